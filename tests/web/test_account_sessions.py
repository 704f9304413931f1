"""/account/sessions: a member sees where they are logged in, names devices and logs any of them
out; an admin logs an account out everywhere from the people page. No row keeps an address or
a user agent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from forum.extensions import db
from forum.models import AuditEvent, RememberToken, SignIn, User
from forum.services import clock
from forum.services.accounts import account as accounts
from tests.conftest import PASSWORD, csrf_from, login, page_text

PROBE_IP = "203.0.113.91"
PROBE_UA = "ProbeAgent/7.1 (sessions-page-device-string)"
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _sign_in_of(client) -> int:
    with client.session_transaction() as session:
        return session["sign_in"]


def _client(app, user, **login_kwargs):
    client = app.test_client()
    login(client, user, **login_kwargs)
    return client


def _post(client, path: str, data: dict | None = None, page: str = "/account/sessions"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_from(client, page)})


def _logged_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


def test_both_browsers_of_a_member_are_listed_and_this_one_is_marked(app, member):
    first, second = _client(app, member), _client(app, member)
    page = page_text(first.get("/account/sessions"))
    ids = {_sign_in_of(first), _sign_in_of(second)}
    assert len(ids) == 2
    for sign_in_id in ids:
        assert f'id="sign-in-{sign_in_id}"' in page
    assert page.count("This device") == 1
    mine = page.split(f'id="sign-in-{_sign_in_of(first)}"')[1].split("</li>")[0]
    assert "This device" in mine and "Password only" in mine
    assert "Log out all 1 other devices" not in page and "Log out the other device" in page


def test_ending_another_browser_logs_it_out_on_its_next_request(app, member):
    first, second = _client(app, member), _client(app, member)
    response = _post(first, f"/account/sessions/{_sign_in_of(second)}/end")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/sessions")
    answer = second.get("/account")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert _logged_in(first)
    assert db.session.get(SignIn, _sign_in_of(first)) is not None
    assert db.session.scalars(select(SignIn.id)).all() == [_sign_in_of(first)]


def test_ending_this_browser_logs_it_out(app, member):
    first, second = _client(app, member), _client(app, member)
    response = _post(first, f"/account/sessions/{_sign_in_of(first)}/end")
    assert response.status_code == 302
    assert not _logged_in(first)
    with first.session_transaction() as session:
        assert "sign_in" not in session
    assert _logged_in(second)
    assert "This device is logged out" in page_text(first.get("/"))


def test_ending_all_others_keeps_only_this_browser(app, member, second_member):
    mine = [_client(app, member) for _ in range(3)]
    theirs = _client(app, second_member)
    page = page_text(mine[0].get("/account/sessions"))
    assert "Log out all 2 other devices" in page
    response = _post(mine[0], "/account/sessions/end-others")
    assert response.status_code == 302
    assert "2 other devices are logged out" in page_text(mine[0].get("/account/sessions"))
    assert _logged_in(mine[0])
    assert not _logged_in(mine[1]) and not _logged_in(mine[2])
    assert _logged_in(theirs)  # another account's sessions are not touched
    assert "Log out the other device" not in page_text(mine[0].get("/account/sessions"))


def test_a_device_can_be_named_and_the_name_cleared(app, member):
    first, second = _client(app, member), _client(app, member)
    target = _sign_in_of(second)
    response = _post(first, f"/account/sessions/{target}/rename",
                     {"name": "  Kitchen   tablet "})
    assert response.status_code == 302
    assert db.session.get(SignIn, target).device_name == "Kitchen tablet"
    assert "Kitchen tablet" in page_text(second.get("/account/sessions"))
    too_long = _post(first, f"/account/sessions/{target}/rename", {"name": "x" * 65})
    assert too_long.status_code == 400
    assert 'aria-invalid="true"' in page_text(too_long)
    db.session.expire_all()
    assert db.session.get(SignIn, target).device_name == "Kitchen tablet"
    assert _post(first, f"/account/sessions/{target}/rename", {"name": "  "}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SignIn, target).device_name is None


def test_a_name_with_control_characters_is_saved_without_them(app, member):
    client = _client(app, member)
    target = _sign_in_of(client)
    response = _post(client, f"/account/sessions/{target}/rename",
                     {"name": "Old\x00 phone\x07 \U0001F469\u200D\U0001F4BB"})
    assert response.status_code == 302
    assert db.session.get(SignIn, target).device_name == "Old phone \U0001F469\u200D\U0001F4BB"


def test_another_members_sign_in_can_be_neither_ended_nor_named(app, member, second_member):
    mine, theirs = _client(app, member), _client(app, second_member)
    target = _sign_in_of(theirs)
    assert _post(mine, f"/account/sessions/{target}/end").status_code == 404
    assert _post(mine, f"/account/sessions/{target}/rename", {"name": "Mine now"}).status_code \
        == 404
    assert _logged_in(theirs)
    assert db.session.get(SignIn, target).device_name is None
    assert f'id="sign-in-{target}"' not in page_text(mine.get("/account/sessions"))


def test_a_new_password_ends_the_other_browsers_but_not_this_one(app, member):
    first, second = _client(app, member), _client(app, member)
    response = first.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new and calmer river",
        "password_confirm": "a new and calmer river", "csrf_token": csrf_from(first, "/account")})
    assert response.status_code == 302
    assert _logged_in(first)
    assert not _logged_in(second)
    assert db.session.scalars(select(SignIn.id)).all() == [_sign_in_of(first)]


def test_remembered_browser_ended_from_the_page_does_not_come_back(app, member):
    first = _client(app, member)
    second = app.test_client()
    second.post("/login", data={"pseudonym": member.pseudonym, "password": PASSWORD,
                                "remember": "y", "csrf_token": csrf_from(second, "/login")})
    assert second.get_cookie("remember_token") is not None
    assert db.session.scalar(select(RememberToken.sign_in_id)) == _sign_in_of(second)
    _post(first, f"/account/sessions/{_sign_in_of(second)}/end")
    assert db.session.scalars(select(RememberToken)).all() == []  # it went with its sign-in
    with second.session_transaction() as session:
        session.clear()  # the browser closed: only the remember cookie is left
    assert not _logged_in(second)


def test_times_are_in_the_members_zone_and_last_use_to_the_hour(app, member, monkeypatch):
    moment = datetime(2026, 3, 1, 18, 25, 13, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    accounts.set_preferences(member, locale=None, timezone="America/Mexico_City")
    client = _client(app, member)
    page = page_text(client.get("/account/sessions"))
    # 18:25 UTC is 12:25 in Mexico City; the last use is kept as the hour it fell in.
    assert re.search(r"Logged in: <time[^>]*>2026-03-01 12:25</time>", page)
    assert re.search(r"Last used: in the hour starting <time[^>]*>2026-03-01 12:00</time>", page)
    assert "America/Mexico_City" in page


def test_the_page_in_spanish(app, member):
    client = _client(app, member)
    page = page_text(client.get("/account/sessions", headers=SPANISH))
    assert "Dónde tienes la sesión iniciada" in page
    assert "Este dispositivo" in page and "Solo la contraseña" in page
    assert "Where you are logged in" not in page


def test_the_account_page_links_to_the_sessions(app, member):
    client = _client(app, member)
    assert 'href="/account/sessions"' in client.get("/account").get_data(as_text=True)


def test_the_page_needs_an_account(client):
    response = client.get("/account/sessions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_rows_hold_no_address_or_user_agent(app, member):
    columns = {c["name"] for c in inspect(db.engine).get_columns("sign_ins")}
    assert columns == {"id", "user_id", "created_at", "last_seen_at", "device_name",
                       "second_factor", "stepped_up_at", "step_up_method", "idle_deadline"}
    client = app.test_client()
    env = {"REMOTE_ADDR": PROBE_IP, "HTTP_USER_AGENT": PROBE_UA}
    client.post("/login", environ_base=env, data={
        "pseudonym": member.pseudonym, "password": PASSWORD, "remember": "y",
        "csrf_token": csrf_from(client, "/login")})
    client.get("/account/sessions", environ_base=env)
    rows = db.session.execute(select(SignIn.__table__)).all()
    tokens = db.session.execute(select(RememberToken.__table__)).all()
    assert rows and tokens
    values = " ".join(str(v) for row in [*rows, *tokens] for v in row if v is not None)
    assert "203.0.113" not in values and "ProbeAgent" not in values


# --- An admin ends every session of an account ---------------------------------------------


def _end_all(admin_client, member, reason: str = ""):
    page = f"/review/team/people?name={member.pseudonym}"
    return admin_client.post(f"/review/team/people/{member.id}/sessions/end",
                             data={"sessions-reason": reason,
                                   "csrf_token": csrf_from(admin_client, page)})


def test_an_admin_logs_an_account_out_everywhere(app, admin, member):
    first = _client(app, member)
    remembered = app.test_client()
    remembered.post("/login", data={"pseudonym": member.pseudonym, "password": PASSWORD,
                                    "remember": "y", "csrf_token": csrf_from(remembered, "/login")})
    boss = _client(app, admin)
    page = page_text(boss.get(f"/review/team/people?name={member.pseudonym}"))
    assert "End all sessions of this account" in page
    response = _end_all(boss, member, "Their phone was stolen")
    assert response.status_code == 302
    assert "steady-heron is logged out of 2 sessions" in page_text(
        boss.get(response.headers["Location"]))
    assert not _logged_in(first)
    with remembered.session_transaction() as session:
        session.clear()
    assert not _logged_in(remembered)  # the remembered device does not sign back in
    assert db.session.scalars(select(SignIn).where(SignIn.user_id == member.id)).all() == []
    assert db.session.scalars(select(RememberToken)).all() == []
    assert _logged_in(boss)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.sessions_ended"))
    assert event.actor_id == admin.id and event.target_id == member.id
    assert event.reason == "Their phone was stolen"
    assert event.details == {"sign_ins": 2, "remembered_devices": 1, "step_up": "password"}


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "trained_moderator"])
def test_only_an_admin_may_end_an_accounts_sessions(app, request, second_member, persona):
    user = request.getfixturevalue(persona)
    target = _client(app, second_member)
    client = _client(app, user)
    response = client.post(f"/review/team/people/{second_member.id}/sessions/end",
                           data={"csrf_token": csrf_from(client, "/account")})
    assert response.status_code == 403
    assert _logged_in(target)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.sessions_ended")) is None


def test_ending_an_unknown_accounts_sessions_is_not_found(app, admin):
    boss = _client(app, admin)
    response = boss.post("/review/team/people/999999/sessions/end",
                         data={"csrf_token": csrf_from(boss, "/review/team/people")})
    assert response.status_code == 404


def test_a_reason_too_long_changes_nothing(app, admin, member):
    target, boss = _client(app, member), _client(app, admin)
    response = _end_all(boss, member, "x" * 201)
    assert response.status_code == 302
    assert "200 characters at most" in page_text(boss.get(response.headers["Location"]))
    assert _logged_in(target)


def test_a_deleted_accounts_sessions_go_with_it(app, member):
    client = _client(app, member)
    member_id = member.id
    assert db.session.scalar(select(SignIn.id).where(SignIn.user_id == member_id))
    response = client.post("/account/delete", data={
        "password": PASSWORD, "posts": "delete", "confirm": "y",
        "csrf_token": csrf_from(client, "/account")})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert db.session.scalars(select(SignIn)).all() == []


def test_staff_see_that_their_idle_sessions_end(app, moderator, member):
    page = page_text(_client(app, moderator).get("/account/sessions"))
    assert "unused for 60 minutes ends by itself" in page
    assert "ends by itself" not in page_text(_client(app, member).get("/account/sessions"))


def test_last_seen_moves_with_the_hour(app, member, monkeypatch):
    moment = datetime(2026, 3, 1, 18, 25, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    client = _client(app, member)
    moment += timedelta(minutes=50)
    client.get("/account")
    db.session.expire_all()
    row = db.session.get(SignIn, _sign_in_of(client))
    assert row.last_seen_at == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
