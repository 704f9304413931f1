"""Confirming it's you before a sensitive act (step-up).

The services refuse a sensitive act with StepUpRequired when the sign-in has not proved its owner
within the last minutes (services/accounts/step_up.py). This blueprint answers that refusal for
every route: a page gets a 303 to /account/confirm, which returns to the page the form was on; a
script gets 401 JSON naming that page. Nothing was changed, so the member does it again.

/account/confirm takes the password, a code from the authenticator app or a backup code, or a
passkey (auth/_passkey_step_up.html and its routes in web/passkeys.py, which mark the sign-in
and return to `next_url` themselves).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..extensions import limiter
from ..services.accounts import step_up, two_factor
from ..services.accounts.login_throttle import TooManyTries
from ..services.accounts.step_up import StepUpRequired, TooManyProofs
from .forms import PasswordConfirmForm, SecondFactorForm
from .posting import account_bucket
from .util import safe_next_url, same_site_path

log = logging.getLogger("forum.accounts")

bp = Blueprint("step_up", __name__, url_prefix="/account/confirm")

# Per account (FORUM_STEP_UP_RATE_LIMIT overrides it); wrong passwords and codes are also
# slowed per account (services/accounts/step_up.py, services/accounts/two_factor.py).
DEFAULT_RATE_LIMIT = "30 per 15 minutes"


def step_up_limit() -> str:
    """The limit in force on confirming."""
    return current_app.config.get("STEP_UP_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _same_site_referrer() -> str | None:
    """The page the request came from, when it is on this site (browsers told
    Referrer-Policy: no-referrer send none; scripts and tests may)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return same_site_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def _return_page() -> str:
    """Where to come back to after confirming: the page the form was on (its hidden `next`
    field, else a same-site referrer), else the account page."""
    return (same_site_path(request.form.get("next")) or _same_site_referrer()
            or url_for("account.index"))


def _wants_json() -> bool:
    """A script's request (fetch with the CSRF header, or asking for JSON), not a page's."""
    if request.is_json or "X-CSRFToken" in request.headers:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


@bp.app_errorhandler(StepUpRequired)
def step_up_required(_exc: StepUpRequired):
    """A sensitive act refused for want of a recent proof: nothing was changed."""
    confirm = url_for("step_up.confirm", next=_return_page())
    if _wants_json():
        return jsonify(error="step_up_required", confirm=confirm), 401
    flash(_("For your safety, confirm it's you, then do it again. Nothing was changed."), "info")
    return redirect(confirm, 303)


def _wait_message(retry_after: int) -> str:
    return ngettext("Too many tries: wait %(num)d second, then try again.",
                    "Too many tries: wait %(num)d seconds, then try again.", retry_after)


@bp.route("", methods=["GET", "POST"])
@limiter.limit(step_up_limit, key_func=account_bucket, methods=["POST"])
@login_required
def confirm():
    """Confirm it's you: the password, a code (app or backup) or a passkey; then back."""
    next_url = safe_next_url() or url_for("account.index")
    with_code = request.method == "POST" and "code" in request.form
    password_form = PasswordConfirmForm(**({"formdata": None} if with_code else {}))
    code_form = SecondFactorForm(**({} if with_code else {"formdata": None}))
    form = code_form if with_code else password_form
    errors: dict = {}
    status, retry_after = 200, None
    if form.validate_on_submit():
        try:
            if with_code:
                method = two_factor.check_code(current_user, code_form.code.data or "")
                step_up.do_mark(current_user, method)
            else:
                method = step_up.do_confirm_password(current_user, password_form.password.data)
        except TooManyTries as exc:
            errors, status, retry_after = {"code": [_wait_message(exc.retry_after)]}, 429, \
                exc.retry_after
        except TooManyProofs as exc:
            errors, status, retry_after = exc.reasons, 429, exc.retry_after
        except ValidationFailed as exc:
            errors, status = exc.reasons, 400
        else:
            log.info("stepped up account_id=%s method=%s", current_user.id, method)
            flash(_("Thank you. You can go ahead now."), "success")
            return redirect(next_url, 303)
    elif form.is_submitted():
        errors, status = {name: list(msgs) for name, msgs in form.errors.items()}, 400
    response = current_app.make_response((render_template(
        "auth/confirm.html", password_form=password_form, code_form=code_form, errors=errors,
        factors=two_factor.factors_of(current_user), next_url=next_url,
        minutes=int(step_up.WINDOW.total_seconds() // 60)), status))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
