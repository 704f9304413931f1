"""Step-up in the browser: a sensitive act on a sign-in older than ten minutes sends the member
to "Confirm it's you" with nothing changed; after the password, a code or a passkey the act
works again and its audit row says how it was confirmed. Scripts get 401 JSON instead."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from forum.models import AuditEvent, Post
from forum.services import clock
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import new_thread
from tests.fixtures.two_factor import enrol_app, log_in_with_totp, next_code

screener = threads_support.screener
board = threads_support.board

CONFIRM = "/account/confirm"
STALE = timedelta(minutes=10)  # step_up.WINDOW: a proof this old no longer counts
NOTICE = "For your safety, confirm it's you, then do it again. Nothing was changed."


@pytest.fixture
def now(monkeypatch):
    """The services' clock, stopped at the real now; the test moves it on."""

    class Clock:
        moment = clock.now()

        def later(self, delta: timedelta) -> None:
            self.moment += delta

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.moment)
    return fake


@pytest.fixture
def anonymous_post(screener, board, member):
    return new_thread(board, member, title="Only without my name",
                      body="Something I can only say anonymously.", anonymous=True).post


def _audit(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.actor_id.is_not(None))))


def _reveal(client, post: Post, **headers):
    """The thread page's "Reveal author" form, as the browser sends it."""
    return client.post(f"/p/{post.id}/reveal", headers=headers, data={
        "csrf_token": csrf_from(client, f"/t/{post.thread_id}"), "next": f"/p/{post.id}"})


def _confirm(client, location: str, **data):
    return client.post(location, data={"csrf_token": csrf_from(client, location), **data})


def _sent_to_confirm(response, back_to: str) -> str:
    assert response.status_code == 303, response.status_code
    parts = urlsplit(response.location)
    assert (parts.path, parse_qs(parts.query)) == (CONFIRM, {"next": [back_to]})
    return response.location


def test_a_stale_reveal_asks_first_then_works_with_the_password(
        app, db, now, trained_moderator, member, anonymous_post):
    client = app.test_client()
    login(client, trained_moderator)
    now.later(STALE)
    location = _sent_to_confirm(_reveal(client, anonymous_post), f"/p/{anonymous_post.id}")
    assert _audit(db, "post.reveal_author") == []
    page = page_text(client.get(location))
    assert NOTICE in page and "Confirm it’s you" in page
    assert 'name="code"' not in page  # no second factor: the password only

    done = _confirm(client, location, password=PASSWORD)
    assert done.status_code == 303 and done.location == f"/p/{anonymous_post.id}"
    again = _reveal(client, anonymous_post)
    assert again.status_code == 200 and member.pseudonym in page_text(again)
    (row,) = _audit(db, "post.reveal_author")
    assert (row.actor_id, row.details) == (trained_moderator.id, {"step_up": "password"})


def test_a_code_from_the_app_confirms_and_the_row_says_totp(app, db, now, member):
    secret = enrol_app(member)
    now.later(timedelta(seconds=30))
    client = app.test_client()
    log_in_with_totp(client, member, secret)
    assert client.get("/account/export").status_code == 200  # signing in was the proof
    (first,) = _audit(db, "account.exported")
    assert first.details == {"step_up": "totp"}

    now.later(STALE)
    location = _sent_to_confirm(client.get("/account/export"), "/account")
    assert len(_audit(db, "account.exported")) == 1
    page = page_text(client.get(location))
    assert 'name="code"' in page and 'name="password"' in page
    done = _confirm(client, location, code=next_code(member, secret))
    assert done.status_code == 303 and done.location == "/account"
    export = client.get("/account/export")
    assert export.status_code == 200 and export.get_json()["account"]["id"] == member.id
    assert [row.details for row in _audit(db, "account.exported")] == [
        {"step_up": "totp"}, {"step_up": "totp"}]


def test_a_used_code_does_not_confirm_twice(app, db, now, member):
    secret = enrol_app(member)
    now.later(timedelta(seconds=30))
    client = app.test_client()
    log_in_with_totp(client, member, secret)
    now.later(STALE)
    location = _sent_to_confirm(client.get("/account/export"), "/account")
    code = next_code(member, secret)
    assert _confirm(client, location, code=code).status_code == 303
    now.later(STALE)
    assert client.get("/account/export").status_code == 303
    refused = _confirm(client, location, code=code)
    assert refused.status_code == 400
    assert "That code didn't work" in page_text(refused)
    assert client.get("/account/export").status_code == 303  # still not confirmed


def test_a_script_gets_401_json_and_nothing_changes(app, db, now, trained_moderator,
                                                    anonymous_post):
    client = app.test_client()
    login(client, trained_moderator)
    now.later(STALE)
    token = csrf_from(client, f"/t/{anonymous_post.thread_id}")
    fetched = client.post(f"/p/{anonymous_post.id}/reveal", headers={"X-CSRFToken": token})
    assert fetched.status_code == 401
    assert fetched.get_json() == {"error": "step_up_required",
                                  "confirm": f"{CONFIRM}?next=/account"}
    asked = client.get("/account/export", headers={"Accept": "application/json"})
    assert asked.status_code == 401 and asked.get_json()["error"] == "step_up_required"
    assert _audit(db, "post.reveal_author") == [] and _audit(db, "account.exported") == []


def test_the_way_back_stays_on_this_site(app, now, member):
    client = app.test_client()
    login(client, member)
    now.later(STALE)
    # A same-site referrer is the way back; another site's, or none, is the account page.
    _sent_to_confirm(client.get("/account/export", headers={
        "Referer": "http://localhost/notifications?page=2"}), "/notifications?page=2")
    _sent_to_confirm(client.get("/account/export", headers={
        "Referer": "https://elsewhere.example/account"}), "/account")
    # A forged ?next= never leaves the site after confirming.
    for forged in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example"):
        location = f"{CONFIRM}?next={forged}"
        done = _confirm(client, location, password=PASSWORD)
        assert done.status_code == 303 and done.location == "/account", forged


def test_wrong_passwords_are_refused_then_slowed(app, db, now, member):
    client = app.test_client()
    login(client, member)
    now.later(STALE)
    for _ in range(5):
        wrong = _confirm(client, CONFIRM, password="not my password")
        assert wrong.status_code == 400
        assert "That is not your password. Nothing was changed." in page_text(wrong)
    waiting = _confirm(client, CONFIRM, password=PASSWORD)
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) > 0
    assert client.get("/account/export").status_code == 303
    now.later(timedelta(minutes=1))
    assert _confirm(client, CONFIRM, password=PASSWORD).status_code == 303
    assert client.get("/account/export").status_code == 200


def test_the_confirm_page_needs_an_account(client):
    response = client.get(CONFIRM)
    assert response.status_code == 302 and "/login" in response.location


def test_the_password_typed_on_a_form_is_the_proof(app, db, now, member, admin):
    """Changing the password, deleting the account and an admin's role and training changes
    ask for the password anyway: on a stale sign-in it counts, and the row says "password"."""
    admin_client = app.test_client()
    login(admin_client, admin)
    client = app.test_client()
    login(client, member)
    now.later(STALE)
    role = admin_client.post(f"/review/team/people/{member.id}/role", data={
        "role-role": "facilitator", "role-change": "grant", "role-password": PASSWORD,
        "csrf_token": csrf_from(admin_client, "/review/team/people")})
    assert role.status_code == 302
    training = admin_client.post(f"/review/team/people/{member.id}/training", data={
        "training-module": "privacy", "training-completed_on": now.moment.date().isoformat(),
        "training-password": PASSWORD,
        "csrf_token": csrf_from(admin_client, "/review/team/people")})
    assert training.status_code == 302
    changed = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new calm lake at noon",
        "password_confirm": "a new calm lake at noon", "csrf_token": csrf_from(client, "/account")})
    assert changed.status_code == 302
    for action in ("role.grant", "training.record", "account.password_changed"):
        (row,) = _audit(db, action)
        assert row.details["step_up"] == "password", action
    now.later(STALE)
    deleted = client.post("/account/delete", data={
        "password": "a new calm lake at noon", "posts": "keep", "confirm": "y",
        "csrf_token": csrf_from(client, "/account")})
    assert deleted.status_code == 200 and "Your account is deleted" in page_text(deleted)
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.deleted"))
    assert row.details == {"keep_posts": True, "step_up": "password"}


def test_a_wrong_password_on_a_stale_form_changes_nothing(app, db, now, member, admin):
    admin_client = app.test_client()
    login(admin_client, admin)
    now.later(STALE)
    role = admin_client.post(f"/review/team/people/{member.id}/role", data={
        "role-role": "moderator", "role-change": "grant", "role-password": "not my password",
        "csrf_token": csrf_from(admin_client, "/review/team/people")})
    assert role.status_code == 400
    assert "That is not your password. Nothing was changed." in page_text(role)
    db.session.expire_all()
    assert not member.holds_role("moderator") and _audit(db, "role.grant") == []
    # Still stale: the wrong password proved nothing.
    assert admin_client.get("/account/export").status_code == 303


def test_the_confirm_page_in_spanish(app, now, member):
    client = app.test_client()
    login(client, member)
    now.later(STALE)
    spanish = {"Accept-Language": "es-ES,es;q=0.9"}
    location = client.get("/account/export", headers=spanish).location
    page = page_text(client.get(location, headers=spanish))
    assert "Confirma que eres tú" in page
    assert "Por tu seguridad, confirma que eres tú" in page  # the notice
    assert "Confirm it’s you" not in page
