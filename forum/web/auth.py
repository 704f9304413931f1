"""Sign-up, log-in, log-out and password recovery."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import ContentRejected, ValidationFailed
from ..extensions import limiter
from ..row_ids import parse_row_id
from ..services import accounts, guidelines
from ..services.login_throttle import TooManyTries
from ..services.meetings_time import zone
from ..services.pseudonyms import suggest_pseudonym
from . import sessions
from .forms import EmptyForm, LoginForm, RecoverForm, SignupForm
from .ratelimit import client_bucket, pair_bucket
from .times import zoned_datetime
from .util import page_language, safe_next_url, verdict_errors

bp = Blueprint("auth", __name__)
bp.before_app_request(sessions.restore_session)
bp.after_app_request(sessions.write_cookie)


def _wait_message(exc: TooManyTries) -> str:
    return ngettext("Too many tries: wait %(num)d second, then try again.",
                    "Too many tries: wait %(num)d seconds, then try again.", exc.retry_after)


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _recover_limit() -> str:
    return current_app.config["RECOVER_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, key_func=client_bucket, methods=["POST"])
def signup():
    """Create an account with a pseudonym and a password; show recovery codes once."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    version = guidelines.current_version()
    errors: dict = {}
    if form.validate_on_submit():
        # The version shown in the form: if the guidelines changed meanwhile, ask again.
        shown = form.guidelines_version.data or ""
        agreed = parse_row_id(shown) if form.agree.data else None
        try:
            result = accounts.check_signup(
                form.pseudonym.data or "",
                form.password.data or "",
                form.password_confirm.data or "",
                agreed_guidelines_version=agreed,
                # The language they joined in: messages the team sends later use it too.
                locale=page_language(),
                timezone=form.timezone.data,
            )
        except ValidationFailed as exc:
            errors = exc.reasons
        except ContentRejected as exc:
            errors = verdict_errors(exc)
        else:
            login_user(result.user)
            return render_template("auth/recovery_codes.html", codes=result.recovery_codes)
    elif form.is_submitted():
        errors = {name: list(msgs) for name, msgs in form.errors.items()}
    form.guidelines_version.data = str(version.id)
    status = 400 if errors else 200
    body, translated = guidelines.text_for(version, page_language())
    return (
        render_template("auth/signup.html", form=form, errors=errors, guidelines=version,
                        guidelines_body=body,
                        untranslated=not translated and page_language() in guidelines.LANGUAGES),
        status,
    )


@bp.get("/signup/suggest")
def suggest():
    """A fresh friendly pseudonym for the "suggest one" button."""
    for _attempt in range(10):
        name = suggest_pseudonym()
        if accounts.find_by_pseudonym(name) is None:
            break
    return jsonify({"pseudonym": name})


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=client_bucket, methods=["POST"])
def login():
    """Log in with pseudonym and password; guesses at one account from one client slow down."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.pseudonym.data, form.password.data,
                                         throttle_key=pair_bucket("login"))
        except TooManyTries as exc:
            page = render_template("auth/login.html", form=form, error=_wait_message(exc))
            return page, 429, {"Retry-After": str(exc.retry_after)}
        if user is None:
            error = _("That pseudonym and password don't match. Check both and try again.")
        elif accounts.is_suspended(user):
            error = _(
                "This account is suspended until %(until)s. Your account page will show the"
                " reason when the suspension ends.",
                # The account's own zone: the password has just shown whose account it is.
                until=zoned_datetime(user.suspended_until, zone(user.timezone)),
            )
        else:
            login_user(user)
            if form.remember.data:
                sessions.remember_device(user)
            return redirect(safe_next_url() or url_for("main.index"))
    elif form.is_submitted():
        error = _("Please fill in both your pseudonym and your password.")
    return render_template("auth/login.html", form=form, error=error), (400 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    """Log out (a POST with a CSRF token, so no other site can sign a member out).

    The account's sessions end on the server too, on every device, with their remember
    tokens: a copied cookie opens nothing afterwards.
    """
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.do_log_out(current_user._get_current_object())
        logout_user()
        sessions.forget_device()
        flash(_("You are logged out. Take care."), "info")
    return redirect(url_for("main.index"))


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(_recover_limit, key_func=client_bucket, methods=["POST"])
def recover():
    """Reset a forgotten password with one of the recovery codes."""
    form = RecoverForm()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            user = accounts.check_reset_with_recovery_code(
                form.pseudonym.data, form.code.data, form.password.data, form.password_confirm.data,
                throttle_key=pair_bucket("recover"),
            )
        except TooManyTries as exc:
            page = render_template("auth/recover.html", form=form,
                                   errors={"code": [_wait_message(exc)]})
            return page, 429, {"Retry-After": str(exc.retry_after)}
        except ValidationFailed as exc:
            errors = exc.reasons
        else:
            login_user(user)
            left = accounts.remaining_recovery_codes(user)
            flash(
                _("Your password is changed. You have %(n)d recovery codes left.", n=left),
                "success",
            )
            return redirect(url_for("account.index"))
    elif form.is_submitted():
        errors = {name: list(msgs) for name, msgs in form.errors.items()}
    return render_template("auth/recover.html", form=form, errors=errors), (400 if errors else 200)
