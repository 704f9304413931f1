"""An authenticator app for tests: enrol an account through services/two_factor.py and log in
through /login then /login/second-factor with the code the app would show.

A code works once (its 30-second step is remembered), so each code is the step after the last
one accepted, within the step either side of now that the service accepts."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from forum.extensions import db
from forum.models import TotpFactor, User
from forum.services import clock, two_factor
from tests.conftest import PASSWORD, csrf_from


def _step_now(totp: pyotp.TOTP) -> int:
    return int(clock.now().timestamp()) // totp.interval


def enrol_totp(user: User) -> str:
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
