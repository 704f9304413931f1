"""An authenticator app for tests, two ways: as a member takes the steps over HTTP (enrol from
the secret the page shows, sign in with a code), and through services/accounts/two_factor.py for
tests that only need a staff account signed in with a second factor.

Codes are computed with pyotp at the time forum.services.clock says, so a test that freezes the
clock controls which step a code is of. A code works once (its 30-second step is remembered), so
next_code() gives the step after the last one accepted, within the step either side of now that
the service accepts."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import TotpFactor, User
from forum.services import clock
from forum.services.accounts import two_factor
from tests.conftest import PASSWORD, csrf_from

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
BACKUP_CODE = re.compile(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>")


class FrozenClock:
    """clock.now() stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    """A clock moved by hand, starting at the beginning of a 30-second step (so a test knows
    the step it is in), a little after the real time."""
    real = clock.now()
    start = real.replace(microsecond=0) + timedelta(seconds=30 - real.second % 30)
    fake = FrozenClock(start)
    monkeypatch.setattr(clock, "now", fake)
    return fake


def code_at(secret: str, when: datetime | None = None) -> str:
    """The app's code at that moment (default: the forum's clock now)."""
    return pyotp.TOTP(secret).at(int((when or clock.now()).timestamp()))


def secret_from(page: str) -> str:
    """The key the enrolment page shows as text, without its spaces."""
    match = SECRET.search(page)
    assert match, "the page shows no key to type"
    return match.group(1).replace(" ", "")


def backup_codes_from(page: str) -> list[str]:
    """The backup codes a page shows (once)."""
    return BACKUP_CODE.findall(html.unescape(page))


def enrol_totp(client) -> tuple[str, list[str]]:
    """Add an authenticator app as its owner does; returns the secret and the backup codes."""
    token = csrf_from(client, "/account/security")
    started = client.post("/account/security/totp", data={"csrf_token": token})
    assert started.status_code == 200, started.get_data(as_text=True)
    secret = secret_from(started.get_data(as_text=True))
    done = client.post("/account/security/totp/confirm",
                       data={"csrf_token": token, "code": code_at(secret)})
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, backup_codes_from(done.get_data(as_text=True))


def password_step(client, user, password: str = PASSWORD):
    """The first step of signing in: the password. Returns the response (a redirect)."""
    return client.post("/login", data={"pseudonym": user.pseudonym, "password": password,
                                       "csrf_token": csrf_from(client, "/login")})


def code_step(client, code: str):
    """The second step: a code from the app or a backup code."""
    return client.post("/login/second-factor", data={
        "code": code, "csrf_token": csrf_from(client, "/login/second-factor")})


def log_out(client):
    """Log out through the header's form."""
    response = client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    assert response.status_code == 302
    return response


def _step_now(totp: pyotp.TOTP) -> int:
    return int(clock.now().timestamp()) // totp.interval


def enrol_app(user: User) -> str:
    """Add an authenticator app to the account (outside a sign-in: no step-up asked); the
    enrolment is confirmed with the previous step's code, so the current one is still free."""
    secret = two_factor.do_begin_totp(user).secret
    totp = pyotp.TOTP(secret)
    two_factor.check_confirm_totp(user, totp.generate_otp(_step_now(totp) - 1))
    return secret


def next_code(user: User, secret: str) -> str:
    """The next code the service will accept for this account."""
    totp = pyotp.TOTP(secret)
    last = db.session.scalar(select(TotpFactor.last_step).where(TotpFactor.user_id == user.id))
    now = _step_now(totp)
    step = max(last + 1, now - 1)
    assert step <= now + 1, "codes used up for this half-minute: move the test clock on"
    return totp.generate_otp(step)


def log_in_with_totp(client, user: User, secret: str, password: str = PASSWORD):
    """Log in through the real forms: the password, then a code from the app."""
    response = client.post("/login", data={"pseudonym": user.pseudonym, "password": password,
                                           "csrf_token": csrf_from(client, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/login/second-factor"), response.location
    response = client.post("/login/second-factor", data={
        "code": next_code(user, secret),
        "csrf_token": csrf_from(client, "/login/second-factor")})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/login" not in response.location, response.location
    return response
