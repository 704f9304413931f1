"""Guessing is slowed per address and pseudonym; nobody can lock a member out, or everyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.services import clock
from tests.conftest import PASSWORD, csrf_from, page_text

ATTACKER = {"REMOTE_ADDR": "198.51.100.7"}
OWNER = {"REMOTE_ADDR": "192.0.2.44"}


def _login(client, pseudonym, password, env):
    return client.post("/login", environ_base=env, data={
        "pseudonym": pseudonym, "password": password,
        "csrf_token": csrf_from(client, "/login")})


def _recover(client, pseudonym, code, env, password="lanterns over the harbor"):
    return client.post("/recover", environ_base=env, data={
        "pseudonym": pseudonym, "code": code, "password": password,
        "password_confirm": password, "csrf_token": csrf_from(client, "/recover")})


@pytest.fixture
def frozen(monkeypatch):
    """A clock the test moves by hand."""
    now = [clock.now()]
    monkeypatch.setattr(clock, "now", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += timedelta(seconds=seconds)
    return advance


def test_the_owner_logs_in_while_another_address_hammers_the_account(app, member):
    attacker = app.test_client()
    statuses = [_login(attacker, member.pseudonym, f"wrong-{i}-guess", ATTACKER).status_code
                for i in range(20)]
    assert 429 in statuses
    owner = app.test_client()
    assert _login(owner, member.pseudonym, PASSWORD, OWNER).status_code == 302


def test_guessing_from_one_address_waits_longer_each_time(app, member, frozen):
    client = app.test_client()
    for i in range(5):
        assert _login(client, member.pseudonym, f"wrong-{i}-guess", ATTACKER).status_code == 400
    waiting = _login(client, member.pseudonym, PASSWORD, ATTACKER)
    assert waiting.status_code == 429
    assert "Too many tries: wait 5 seconds" in page_text(waiting)
    assert "Retry-After" in waiting.headers  # the limiter may raise it to its own window's end
    frozen(5)
    assert _login(client, member.pseudonym, "wrong-again-x", ATTACKER).status_code == 400
    longer = _login(client, member.pseudonym, PASSWORD, ATTACKER)
    assert "Too many tries: wait 10 seconds" in page_text(longer)
    frozen(10)
    # The right password after the wait gets in, and a success clears the count.
    assert _login(client, member.pseudonym, PASSWORD, ATTACKER).status_code == 302


def test_a_success_resets_the_count(app, member):
    for _round in range(3):
        client = app.test_client()
        for i in range(4):
            assert _login(client, member.pseudonym, f"wrong-{i}-guess", OWNER).status_code == 400
        assert _login(client, member.pseudonym, PASSWORD, OWNER).status_code == 302


def test_the_owner_recovers_while_another_address_guesses_codes(app, member):
    attacker = app.test_client()
    statuses = [_recover(attacker, member.pseudonym, f"aaaaa-bbbb{i}", ATTACKER).status_code
                for i in range(8)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    owner = app.test_client()
    code = member.recovery_codes_for_test[0]
    assert _recover(owner, member.pseudonym, code, OWNER).status_code == 302


def test_a_weak_new_password_is_not_a_wrong_code(app, member):
    client = app.test_client()
    code = member.recovery_codes_for_test[0]
    for _attempt in range(6):
        assert _recover(client, member.pseudonym, code, OWNER, password="short").status_code == 400
    assert _recover(client, member.pseudonym, code, OWNER).status_code == 302


def _signup(client, env, headers=None):
    return client.post("/signup", environ_base=env, headers=headers or {}, data={
        "pseudonym": "x", "password": "", "csrf_token": csrf_from(client, "/signup")})


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(app_config, request):
    app_config["TRUSTED_PROXIES"] = 1
    app = request.getfixturevalue("app")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    first = app.test_client()
    statuses = [_signup(first, proxy, {"X-Forwarded-For": "203.0.113.10"}).status_code
                for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    second = app.test_client()
    assert _signup(second, proxy, {"X-Forwarded-For": "203.0.113.20"}).status_code == 400


def test_without_a_trusted_proxy_the_header_is_ignored(app):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    first = app.test_client()
    for i in range(5):
        assert _signup(first, proxy, {"X-Forwarded-For": f"203.0.113.{i}"}).status_code == 400
    # A client cannot buy a fresh bucket by writing the header itself.
    assert _signup(first, proxy, {"X-Forwarded-For": "203.0.113.99"}).status_code == 429
