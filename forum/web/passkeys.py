"""Passkeys and security keys (WebAuthn): adding one, and using one to sign in or confirm it's you.

Each use is two JSON requests from static/js/passkeys.js (the CSRF token in the X-CSRFToken
header): `…/options` answers the options for navigator.credentials.create() or .get() and
keeps their challenge in the session cookie (signed by the server; five minutes, taken once),
and the second request sends the browser's answer. Every answer is JSON: `{"redirect": url}`
on success, `{"error": text}` with 400 (or 429 and Retry-After while the account must wait,
or 401 with `"confirm"`, the step-up page, when a change needs the member to confirm first).

The site is named to the authenticator by FORUM_BASE_URL's host name (its origin is checked
too); without it, by the host the request came to. A passkey works only on the host name it was
made for, so production sets FORUM_BASE_URL (docs/deploy.md).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from ..errors import NotFound, ValidationFailed
from ..extensions import limiter
from ..models import User
from ..services import clock
from ..services.accounts import passkeys, step_up, two_factor
from ..services.accounts.login_throttle import TooManyTries
from . import auth
from .forms import EmptyForm
from .posting import account_bucket
from .ratelimit import client_bucket
from .security import second_factor_limit
from .step_up import step_up_limit
from .util import same_site_path

log = logging.getLogger("forum.accounts")

bp = Blueprint("passkeys", __name__)

CHALLENGE_KEY = "passkey_challenge"
CHALLENGE_S = 300

# Adding and removing passkeys share the budget of every change on /account/security.
_limited = limiter.shared_limit(second_factor_limit, scope="second-factor",
                                key_func=account_bucket, methods=["POST"])


def _security_page() -> str:
    return url_for("security.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _me() -> User:
    return current_user._get_current_object()


def relying_party() -> tuple[str, str]:
    """(rp_id, origin): FORUM_BASE_URL's host name and origin, else the request's."""
    parts = urlsplit(current_app.config.get("BASE_URL") or request.host_url)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


@bp.app_template_global("account_passkeys")
def account_passkeys() -> list:
    """The signed-in account's passkeys, for templates/account/_passkeys.html."""
    if not current_user.is_authenticated:
        return []
    return passkeys.passkeys_of(_me())


# --- the challenge, kept between the two requests -------------------------------------------

def _keep(purpose: str, user: User, challenge: bytes) -> None:
    """Keep a challenge for this purpose and account (one at a time: a new one replaces it)."""
    session[CHALLENGE_KEY] = {"purpose": purpose, "user": user.id,
                              "challenge": bytes_to_base64url(challenge),
                              "at": int(clock.now().timestamp())}


def _take(purpose: str, user: User) -> dict | None:
    """The challenge kept for this purpose and account, once; None when missing or stale."""
    kept = session.pop(CHALLENGE_KEY, None)
    if (not isinstance(kept, dict) or kept.get("purpose") != purpose
            or kept.get("user") != user.id
            or not isinstance(kept.get("at"), int)
            or clock.now().timestamp() - kept["at"] > CHALLENGE_S):
        return None
    try:
        kept["challenge"] = base64url_to_bytes(kept["challenge"])
    except (TypeError, ValueError):
        return None
    return kept


# --- answers --------------------------------------------------------------------------------

def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _error(message: str, status: int = 400, headers: dict | None = None, **extra):
    return jsonify({"error": message, **extra}), status, headers or {}


def _refused(exc: ValidationFailed):
    return _error(" ".join(m for msgs in exc.reasons.values() for m in msgs))


def _expired():
    return _error(_("That took too long. Please try again."))


def _wait(exc: TooManyTries):
    message = ngettext("Too many tries: wait %(num)d second, then try again.",
                       "Too many tries: wait %(num)d seconds, then try again.", exc.retry_after)
    return _error(message, 429, {"Retry-After": str(exc.retry_after)})


def _did_not_work():
    return _error(_("That passkey didn't work. Try again, or use another way to confirm."))


def _confirm_first():
    """The answer to a StepUpRequired, as web/step_up.py gives scripts (401 naming the
    step-up page) with words to show, returning to the security page."""
    confirm = url_for("step_up.confirm", next=_security_page())
    return _error(_("For your safety, confirm it's you, then do it again. Nothing was changed."),
                  401, confirm=confirm)


# --- adding and removing --------------------------------------------------------------------

@bp.post("/account/security/passkeys/options")
@_limited
@login_required
def registration_options():
    """Options for adding a passkey (a `name` sent along is checked before the key is asked)."""
    user = _me()
    body = _body()
    rp_id, _origin = relying_party()
    try:
        if "name" in body:
            passkeys.check_name(body["name"])
        options, challenge = passkeys.begin_registration(user, rp_id, _("Peer Support Forum"))
    except step_up.StepUpRequired:
        return _confirm_first()
    except ValidationFailed as exc:
        return _refused(exc)
    _keep("register", user, challenge)
    return jsonify({"options": json.loads(options)})


@bp.post("/account/security/passkeys")
@_limited
@login_required
def register():
    """Add the passkey the browser made (`credential`) under the `name` the member gave."""
    user = _me()
    body = _body()
    kept = _take("register", user)
    if kept is None:
        return _expired()
    rp_id, origin = relying_party()
    try:
        added = passkeys.check_finish_registration(user, body.get("credential"),
                                                   kept["challenge"], rp_id, origin,
                                                   body.get("name"))
    except step_up.StepUpRequired:
        return _confirm_first()
    except ValidationFailed as exc:
        return _refused(exc)
    if added.backup_codes:
        # Shown once by the page's script; nobody can show them again.
        return jsonify({"backup_codes": added.backup_codes, "redirect": _security_page()})
    flash(_("Your passkey “%(name)s” is added. Signing in can now use it.",
            name=added.passkey.name), "success")
    return jsonify({"redirect": _security_page()})


@bp.post("/account/security/passkeys/<int:passkey_id>/delete")
@_limited
@login_required
def remove(passkey_id: int):
    """Remove one of my passkeys; my other sign-ins end (a form, with its csrf_token)."""
    user = _me()
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(_security_page())
    if passkeys.find_own(user, passkey_id) is None:
        raise NotFound()
    try:
        # A StepUpRequired goes to the step-up page's handler (web/step_up.py), as on the
        # rest of /account/security.
        two_factor.check_remove_passkey(user, passkey_id)
    except ValidationFailed as exc:
        for messages in exc.reasons.values():
            for message in messages:
                flash(message, "error")
        return redirect(_security_page())
    flash(_("The passkey is removed. Your other devices are signed out."), "success")
    return redirect(_security_page())


# --- the second step of signing in ----------------------------------------------------------

def _signed_in_already():
    return jsonify({"redirect": url_for("main.index")})


def _log_in_again():
    return _error(_("Please log in again: the second step waits five minutes at most."),
                  redirect=url_for("auth.login"))


@bp.post("/login/second-factor/passkey/options")
@limiter.limit(_login_limit, key_func=client_bucket)
def sign_in_options():
    """Options for signing in with one of the account whose password was just accepted."""
    if current_user.is_authenticated:
        return _signed_in_already()
    user = auth.pending_user()
    if user is None:
        return _log_in_again()
    rp_id, _origin = relying_party()
    try:
        options, challenge = passkeys.begin_authentication(user, rp_id)
    except ValidationFailed as exc:
        return _refused(exc)
    _keep("sign_in", user, challenge)
    return jsonify({"options": json.loads(options)})


@bp.post("/login/second-factor/passkey")
@limiter.limit(_login_limit, key_func=client_bucket)
def sign_in():
    """Check the passkey's answer (`credential`) and sign in."""
    if current_user.is_authenticated:
        return _signed_in_already()
    user = auth.pending_user()
    if user is None:
        return _log_in_again()
    kept = _take("sign_in", user)
    if kept is None:
        return _expired()
    rp_id, origin = relying_party()
    try:
        right = passkeys.verify_authentication(user, _body().get("credential"),
                                               kept["challenge"], rp_id, origin)
    except TooManyTries as exc:
        return _wait(exc)
    if not right:
        return _did_not_work()
    return jsonify({"redirect": auth.finish_second_factor(user, "passkey").location})


# --- confirming it's me (step-up) -----------------------------------------------------------

@bp.post("/account/confirm/passkey/options")
@limiter.limit(step_up_limit, key_func=account_bucket)
@login_required
def step_up_options():
    """Options for confirming it's me with one of my passkeys."""
    user = _me()
    rp_id, _origin = relying_party()
    try:
        options, challenge = passkeys.begin_authentication(user, rp_id)
    except ValidationFailed as exc:
        return _refused(exc)
    _keep("step_up", user, challenge)
    return jsonify({"options": json.loads(options)})


@bp.post("/account/confirm/passkey")
@limiter.limit(step_up_limit, key_func=account_bucket)
@login_required
def step_up_confirm():
    """Check the passkey's answer (`credential`); then go on to `next` (a path on this site)."""
    user = _me()
    body = _body()
    kept = _take("step_up", user)
    if kept is None:
        return _expired()
    rp_id, origin = relying_party()
    try:
        right = passkeys.verify_authentication(user, body.get("credential"), kept["challenge"],
                                               rp_id, origin)
    except TooManyTries as exc:
        return _wait(exc)
    if not right:
        return _did_not_work()
    step_up.do_mark(user, "passkey")
    log.info("stepped up account_id=%s method=passkey", user.id)
    flash(_("Thank you. You can go ahead now."), "success")
    target = body.get("next")
    return jsonify({"redirect": (same_site_path(target) if isinstance(target, str) else None)
                    or url_for("account.index")})
