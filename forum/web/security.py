"""Second factors: an authenticator app, backup codes, and the page that lists them.

The views are thin: services/accounts/two_factor.py asks for a recent proof (step-up), throttles the
codes per account, audits and ends other sign-ins when a factor goes. A StepUpRequired it raises
is answered by the step-up page's handler (web/step_up.py).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..extensions import limiter
from ..models import User
from ..services.accounts import two_factor
from ..services.accounts.login_throttle import TooManyTries
from .forms import SecondFactorForm
from .posting import account_bucket

bp = Blueprint("security", __name__, url_prefix="/account/security")

# The secret is shown in groups of this many characters, for typing it into an app by hand.
SECRET_GROUP = 4


def second_factor_limit() -> str:
    """The limit on this page's changes, per account (FORUM_SECOND_FACTOR_RATE_LIMIT)."""
    return current_app.config["SECOND_FACTOR_RATE_LIMIT"]


# One budget for every change on the page: each may ask for a code or draw new secrets.
_limited = limiter.shared_limit(second_factor_limit, scope="second-factor",
                                key_func=account_bucket, methods=["POST"])


def _me() -> User:
    return current_user._get_current_object()


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read and type ("ABCD EFGH ...")."""
    return " ".join(secret[i:i + SECRET_GROUP] for i in range(0, len(secret), SECRET_GROUP))


def _page(*, status: int = 200, errors: dict | None = None,
          enrolment: two_factor.Enrolment | None = None, codes: list[str] | None = None,
          turned_on: bool = False, headers: dict | None = None):
    """The page: the status, an enrolment under way, or new backup codes (shown once). A code
    typed wrong is not put back: the app shows a new one soon."""
    page = render_template(
        "account/security.html",
        factors=two_factor.factors_of(_me()),
        enrolment=enrolment,
        secret_text=grouped(enrolment.secret) if enrolment is not None else "",
        codes=codes,
        turned_on=turned_on,
        errors=errors or {},
    )
    return page, status, headers or {}


@bp.get("")
@login_required
def index():
    """What protects the account: the app on or off, passkeys, backup codes left."""
    return _page()


@bp.post("/totp")
@_limited
@login_required
def begin_totp():
    """Start adding an authenticator app: the QR code, the secret as text, and a code form
    (the CSRF token of these forms is checked app-wide by CSRFProtect)."""
    try:
        enrolment = two_factor.do_begin_totp(_me())
    except ValidationFailed as exc:
        return _page(status=400, errors=exc.reasons)
    return _page(enrolment=enrolment)


@bp.post("/totp/confirm")
@_limited
@login_required
def confirm_totp():
    """Confirm the app with a first code; the first factor brings backup codes, shown once."""
    user = _me()
    form = SecondFactorForm()
    if not form.validate_on_submit():
        return _page(status=400, errors=dict(form.errors),
                     enrolment=two_factor.pending_enrolment(user))
    try:
        codes = two_factor.check_confirm_totp(user, form.code.data or "")
    except TooManyTries as exc:
        return _page(status=429, errors={"code": [_wait(exc)]},
                     enrolment=two_factor.pending_enrolment(user),
                     headers={"Retry-After": str(exc.retry_after)})
    except ValidationFailed as exc:
        enrolment = two_factor.pending_enrolment(user)
        errors = exc.reasons
        if enrolment is None:  # nothing begun, or the secret can no longer be read
            errors = {"code": [_("Please start setting up the app again.")]}
        return _page(status=400, errors=errors, enrolment=enrolment)
    if codes:
        return _page(codes=codes, turned_on=True)
    flash(_("Your authenticator app is set up. Signing in now asks for its code."), "success")
    return redirect(url_for("security.index"))


@bp.post("/totp/remove")
@_limited
@login_required
def remove_totp():
    """Remove the authenticator app; the account's other sign-ins end."""
    try:
        two_factor.check_remove_totp(_me())
    except ValidationFailed as exc:
        return _page(status=400, errors=exc.reasons)
    flash(_("The authenticator app is removed. Your other devices are signed out."), "success")
    return redirect(url_for("security.index"))


@bp.post("/backup-codes")
@_limited
@login_required
def new_backup_codes():
    """New backup codes, shown once; the old ones stop working."""
    try:
        codes = two_factor.check_new_backup_codes(_me())
    except ValidationFailed as exc:
        return _page(status=400, errors=exc.reasons)
    return _page(codes=codes)


def _wait(exc: TooManyTries) -> str:
    return ngettext("Too many tries: wait %(num)d second, then try again.",
                    "Too many tries: wait %(num)d seconds, then try again.", exc.retry_after)
