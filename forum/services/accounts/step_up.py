"""Step-up: sensitive acts need the owner to have proved it is them within the last minutes.

Revealing an anonymous author, granting or revoking roles, recording training, exporting or
deleting an account, changing the password or the second factors and ending an account's
sessions each call require() first (an audit-log export, when one exists, must too).
Signing in counts as a proof; later ones come from re-entering the
password or a second factor (mark()): on the step-up page (web/step_up.py), or the password a
form asks for anyway (changing the password, deleting the account, an admin's role and training
changes), which check_password counts. The sign-in carries the time and method, so the audit row
of the act can say how it was confirmed.

An account acting outside a sign-in (the operator's command line, jobs) has no sign-in to
step up and is not asked.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l, lazy_ngettext

from ...errors import ForumError, ValidationFailed
from ...models import FACTOR_METHODS, User
from .. import clock, transaction
from . import login_throttle
from .login_throttle import TooManyTries
from .passwords import verify_secret

log = logging.getLogger("forum.accounts")

WINDOW = timedelta(minutes=10)


class StepUpRequired(ForumError):
    """The act needs the owner to confirm it is them first."""

    code = "step_up_required"


def is_fresh(user: User, now: datetime | None = None) -> bool:
    """Whether the acting sign-in proved its owner within WINDOW (true outside a sign-in)."""
    sign_in = getattr(user, "sign_in", None)
    if sign_in is None:
        return True
    if sign_in.stepped_up_at is None:
        return False
    return (now or clock.now()) - sign_in.stepped_up_at < WINDOW


def require(user: User) -> str | None:
    """Raise StepUpRequired unless fresh; returns the method of the proof, for the audit row."""
    if not is_fresh(user):
        raise StepUpRequired()
    sign_in = getattr(user, "sign_in", None)
    return sign_in.step_up_method if sign_in is not None else None


def mark(user: User, method: str) -> None:
    """Record a proof just given in the acting sign-in (joins the caller's transaction)."""
    if method not in FACTOR_METHODS:
        raise ValueError(method)
    sign_in = getattr(user, "sign_in", None)
    if sign_in is None:
        return
    sign_in.stepped_up_at = clock.now()
    sign_in.step_up_method = method


def do_mark(user: User, method: str) -> None:
    """Record a proof just given in the acting sign-in (committed)."""
    mark(user, method)
    transaction.commit()


def with_method(details: dict, method: str | None) -> dict:
    """An audit row's details with the proof the act was confirmed by (none outside a
    sign-in: the operator's command line and jobs are not asked)."""
    return {**details, "step_up": method} if method is not None else details


class TooManyProofs(ValidationFailed):
    """Too many wrong passwords for this account: it waits retry_after seconds."""

    def __init__(self, field: str, retry_after: int) -> None:
        super().__init__({field: [str(lazy_ngettext(
            "Too many tries: wait %(num)d second, then try again.",
            "Too many tries: wait %(num)d seconds, then try again.", retry_after))]})
        self.retry_after = retry_after


def _throttle_key(user: User) -> str:
    return "step-up:" + hashlib.sha256(f"{user.id}".encode()).hexdigest()[:16]


def check_password(user: User, password: str | None, *, field: str = "password",
                   wrong: str | None = None) -> str:
    """The account's password, typed again, proves it is them: the acting sign-in is marked
    (joins the caller's transaction) and "password" returned. Wrong passwords count per account
    (login_throttle), since whoever types them holds a session of it; raises ValidationFailed
    (TooManyProofs while the account must wait) under `field`."""
    key = _throttle_key(user)
    try:
        login_throttle.check(key)
    except TooManyTries as exc:
        raise TooManyProofs(field, exc.retry_after) from None
    if not password or not verify_secret(user.password_hash, password):
        login_throttle.record_failure(key)
        log.info("step-up password refused account_id=%s", user.id)
        raise ValidationFailed({field: [wrong or str(_l(
            "That is not your password. Nothing was changed."))]})
    login_throttle.record_success(key)
    mark(user, "password")
    return "password"


def do_confirm_password(user: User, password: str | None) -> str:
    """The step-up page's password: check_password, committed."""
    method = check_password(user, password)
    transaction.commit()
    log.info("stepped up account_id=%s method=password", user.id)
    return method
