"""Admins manage roles and training in the browser: who may, the password check, the audit."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.models import AuditEvent
from forum.services.accounts import roles
from tests.conftest import PASSWORD, csrf_from, login, page_text

PAGE = "/review/team/people"


def _events(db, action: str, target) -> list[AuditEvent]:
    """Audit rows of one action about one account."""
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.target_id == target.id)).all()


def _role_post(client, member, role: str, change: str, password: str = PASSWORD, token=None):
    token = token if token is not None else csrf_from(client, PAGE)
    return client.post(f"{PAGE}/{member.id}/role",
                       data={"csrf_token": token, "role-role": role, "role-change": change,
                             "role-password": password})


def _training_post(client, member, module: str, completed: date, expires: date | None,
                   password: str = PASSWORD):
    return client.post(f"{PAGE}/{member.id}/training", data={
        "csrf_token": csrf_from(client, PAGE), "training-module": module,
        "training-completed_on": completed.isoformat(),
        "training-expires_on": expires.isoformat() if expires else "",
        "training-password": password})


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


def test_visitor_is_sent_to_log_in(client, member):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "trained_moderator"])
def test_everyone_but_an_admin_is_refused(request, client, persona, second_member, db):
    user = request.getfixturevalue(persona)
    login(client, user)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, query_string={"name": second_member.pseudonym}).status_code == 403
    token = csrf_from(client, "/account")
    assert _role_post(client, second_member, "moderator", "grant", token=token).status_code == 403
    response = client.post(f"{PAGE}/{second_member.id}/training", data={
        "csrf_token": token, "training-module": "privacy",
        "training-completed_on": date.today().isoformat(), "training-password": PASSWORD})
    assert response.status_code == 403
    assert not second_member.has_role("moderator")
    assert roles.training_of(second_member) == []
    assert _events(db, "role.grant", second_member) == []


def test_admin_finds_a_member_and_sees_everyone_holding_a_role(admin_client, member,
                                                               trained_moderator):
    page = page_text(admin_client.get(PAGE))
    assert "Everyone with a role or training" in page
    assert "rowan-pine" in page and "Crisis response" in page
    assert "steady-heron" not in page  # a plain member holds nothing
    found = page_text(admin_client.get(PAGE, query_string={"name": "STEADY-heron"}))
    assert "Roles and training of steady-heron" in found
    assert "Grant role" in found and "Record training" in found
    missing = page_text(admin_client.get(PAGE, query_string={"name": "nobody-at-all"}))
    assert "No account is named nobody-at-all." in missing


def test_team_view_links_to_the_people_page(admin_client):
    assert f'href="{PAGE}"' in admin_client.get("/review/team").get_data(as_text=True)


def test_grant_and_revoke_are_audited_with_both_account_ids(admin_client, admin, member, db):
    response = _role_post(admin_client, member, "moderator", "grant")
    assert response.status_code == 302
    page = page_text(admin_client.get(response.headers["Location"]))
    assert "steady-heron is now Moderator." in page
    assert member.has_role("moderator")
    (event,) = _events(db, "role.grant", member)
    # The password typed on the form confirmed it was the admin: the row says so.
    assert (event.actor_id, event.target_id, event.details) == (
        admin.id, member.id, {"role": "moderator", "step_up": "password"})

    response = _role_post(admin_client, member, "moderator", "revoke")
    assert response.status_code == 302
    assert "Moderator removed from steady-heron." in page_text(
        admin_client.get(response.headers["Location"]))
    db.session.expire_all()
    assert not member.has_role("moderator")
    (event,) = _events(db, "role.revoke", member)
    assert (event.actor_id, event.target_id) == (admin.id, member.id)
    for e in db.session.scalars(select(AuditEvent)):
        assert PASSWORD not in repr(e.details) and PASSWORD not in (e.reason or "")


def test_wrong_password_changes_nothing_and_keeps_the_inputs(admin_client, member, db):
    response = _role_post(admin_client, member, "supervisor", "grant", password="not my pass")
    assert response.status_code == 400
    page = page_text(response)
    assert "That is not your password. Nothing was changed." in page
    assert re.search(r'<option selected value="supervisor">|<option value="supervisor" selected',
                     page)
    assert not member.has_role("supervisor") and _events(db, "role.grant", member) == []

    expires = date.today() + timedelta(days=200)
    response = _training_post(admin_client, member, "privacy", date.today() - timedelta(days=3),
                              expires, password="wrong again")
    assert response.status_code == 400
    page = page_text(response)
    assert "That is not your password. Nothing was changed." in page
    assert f'value="{expires.isoformat()}"' in page
    assert re.search(r'<option selected value="privacy">|<option value="privacy" selected', page)
    assert roles.training_of(member) == [] and _events(db, "training.record", member) == []


def test_record_then_renew_training(admin_client, admin, member, db):
    today = date.today()
    response = _training_post(admin_client, member, "crisis-response",
                              today - timedelta(days=360), today + timedelta(days=10))
    assert response.status_code == 302
    page = page_text(admin_client.get(response.headers["Location"]))
    assert "Training recorded for steady-heron: Crisis response" in page
    assert "Expires within 30 days" in page  # in the member's panel and the list
    (event,) = _events(db, "training.record", member)
    assert (event.actor_id, event.target_id) == (admin.id, member.id)
    assert event.details["module"] == "crisis-response"

    # The renew link fills in the module and the same period again.
    renew = page_text(admin_client.get(PAGE, query_string={"name": member.pseudonym,
                                                           "module": "crisis-response"}))
    assert f'value="{(today + timedelta(days=370)).isoformat()}"' in renew
    response = _training_post(admin_client, member, "crisis-response", today,
                              today + timedelta(days=365))
    assert response.status_code == 302
    page = page_text(admin_client.get(response.headers["Location"]))
    assert "Expires within 30 days" not in page
    (renewal,) = _events(db, "training.renew", member)
    assert (renewal.actor_id, renewal.target_id) == (admin.id, member.id)
    assert roles.has_current_training(member, "crisis-response", on=today + timedelta(days=100))


def test_expired_training_is_marked_in_the_list(admin_client, member):
    today = date.today()
    roles.check_record_training(member, "privacy", completed_on=today - timedelta(days=400),
                                expires_on=today - timedelta(days=1), acting_user=None)
    page = page_text(admin_client.get(PAGE))
    card = page[page.index("steady-heron"):]
    assert "Privacy" in card and "Expired" in card
    assert "1 training record has expired." in page


def test_the_last_admin_cannot_remove_their_own_admin_role(admin_client, admin, member, db):
    response = _role_post(admin_client, admin, "admin", "revoke")
    assert response.status_code == 400
    assert "This is the only admin account." in page_text(response)
    db.session.expire_all()
    assert admin.has_role("admin") and _events(db, "role.revoke", admin) == []
    # With a second admin, stepping down works.
    assert _role_post(admin_client, member, "admin", "grant").status_code == 302
    assert _role_post(admin_client, admin, "admin", "revoke").status_code == 302
    db.session.expire_all()
    assert not admin.has_role("admin") and member.has_role("admin")
    assert admin_client.get(PAGE).status_code == 403


def test_a_post_without_csrf_token_changes_nothing(admin_client, member, db):
    response = admin_client.post(f"{PAGE}/{member.id}/role", data={
        "role-role": "moderator", "role-change": "grant", "role-password": PASSWORD})
    assert response.status_code == 400
    assert "This form expired" in page_text(response)
    response = admin_client.post(f"{PAGE}/{member.id}/training", data={
        "training-module": "privacy", "training-completed_on": date.today().isoformat(),
        "training-password": PASSWORD})
    assert response.status_code == 400
    assert not member.has_role("moderator") and roles.training_of(member) == []
    assert _events(db, "role.grant", member) == []


def test_changes_are_rate_limited(app, admin_client, member):
    app.config["PEOPLE_RATE_LIMIT"] = "3 per minute"  # read on each request
    token = csrf_from(admin_client, PAGE)
    codes = [_role_post(admin_client, member, "facilitator", "grant", password=f"guess {i}",
                        token=token).status_code for i in range(4)]
    assert codes == [400, 400, 400, 429]
    assert not member.has_role("facilitator")


def test_spanish_page(admin_client, member):
    page = page_text(admin_client.get(PAGE, query_string={"name": member.pseudonym},
                                      headers={"Accept-Language": "es"}))
    assert "Personas: roles y formación" in page
    assert "Conceder rol" in page and "Registrar formación" in page
