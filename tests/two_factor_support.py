"""Steps of two-step sign-in as a member takes them over HTTP: enrol an authenticator app from
the secret the page shows, and sign in with a code. Codes are computed with pyotp at the time
forum.services.clock says, so a test that freezes the clock controls which step a code is of."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pyotp
import pytest

from forum.services import clock
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
