"""Log-out ends the session on the server; "keep me logged in" is one rotating token per device."""

from __future__ import annotations

from datetime import timedelta

from forum.extensions import socketio
from forum.services import clock
from tests.conftest import PASSWORD, csrf_from, login

REMEMBER = "remember_token"


def _login_remembered(client, user):
    response = client.post("/login", data={
        "pseudonym": user.pseudonym, "password": PASSWORD, "remember": "y",
        "csrf_token": csrf_from(client, "/login")})
    assert response.status_code == 302
    return client.get_cookie(REMEMBER).value


def _logout(client):
    assert client.post("/logout", data={"csrf_token": csrf_from(client, "/account")}) \
        .status_code == 302


def _with_cookie(app, name, value):
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def test_a_copied_session_cookie_stops_working_after_logout(app, client, member):
    login(client, member)
    copied = client.get_cookie("session").value
    assert _with_cookie(app, "session", copied).get("/account").status_code == 200
    _logout(client)
    response = _with_cookie(app, "session", copied).get("/account")
    assert response.status_code == 302
    assert "/login" in response.location


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, member):
    token = _login_remembered(client, member)
    _logout(client)
    assert client.get_cookie(REMEMBER) is None
    assert _with_cookie(app, REMEMBER, token).get("/account").status_code == 302


def test_the_remember_cookie_alone_logs_in_and_is_rotated(app, client, member, monkeypatch):
    token = _login_remembered(client, member)
    restarted = _with_cookie(app, REMEMBER, token)
    assert restarted.get("/account").status_code == 200
    rotated = restarted.get_cookie(REMEMBER).value
    assert rotated != token
    # Past the grace period for a browser's parallel first requests, the old token is dead.
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _with_cookie(app, REMEMBER, token).get("/account").status_code == 302
    # An old token shown again is taken as a copy: that device's token is revoked too.
    assert _with_cookie(app, REMEMBER, rotated).get("/account").status_code == 302


def test_the_rotated_token_keeps_the_device_remembered(app, client, member):
    token = _login_remembered(client, member)
    first = _with_cookie(app, REMEMBER, token)
    assert first.get("/account").status_code == 200
    second = _with_cookie(app, REMEMBER, first.get_cookie(REMEMBER).value)
    assert second.get("/account").status_code == 200


def test_each_device_has_its_own_remember_token(app, member):
    phone, laptop = app.test_client(), app.test_client()
    phone_token = _login_remembered(phone, member)
    laptop_token = _login_remembered(laptop, member)
    assert _with_cookie(app, REMEMBER, phone_token).get("/account").status_code == 200
    assert _with_cookie(app, REMEMBER, laptop_token).get("/account").status_code == 200


def test_a_forged_remember_cookie_is_refused_and_cleared(app, member):
    forged = _with_cookie(app, REMEMBER, "1.not-the-secret")
    assert forged.get("/account").status_code == 302
    assert forged.get_cookie(REMEMBER) is None


def test_a_password_change_revokes_remember_tokens(app, member):
    phone, laptop = app.test_client(), app.test_client()
    phone_token = _login_remembered(phone, member)
    login(laptop, member)
    assert laptop.post("/account/password", data={
        "current_password": PASSWORD, "password": "lanterns over the harbor",
        "password_confirm": "lanterns over the harbor",
        "csrf_token": csrf_from(laptop, "/account")}).status_code == 302
    assert _with_cookie(app, REMEMBER, phone_token).get("/account").status_code == 302


def test_a_chat_connection_with_a_copied_cookie_is_refused_after_logout(app, client, member):
    login(client, member)
    copied = client.get_cookie("session").value
    _logout(client)
    sock = socketio.test_client(app, namespace="/chat",
                                flask_test_client=_with_cookie(app, "session", copied))
    assert not sock.is_connected("/chat")


def test_the_session_cookie_holds_no_hash_of_the_address(app, client, member):
    login(client, member)
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(client.get_cookie("session").value)
    assert session["_user_id"] == member.get_id()
    assert not session.get("_id")
