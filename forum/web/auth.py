"""Sign-up, log-in, log-out and password recovery."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required, logout_user

from ..errors import ContentRejected, ValidationFailed
from ..extensions import limiter
from ..models import User
from ..row_ids import parse_row_id
from ..services import clock
from ..services.accounts import account as accounts, guidelines, two_factor
from ..services.accounts.login_throttle import TooManyTries
from ..services.accounts.pseudonyms import suggest_pseudonym
from ..services.meetings.times import zone
from ..services.push import subscriptions as push_subscriptions
from . import sessions
from .forms import EmptyForm, LoginForm, RecoverForm, SecondFactorForm, SignupForm
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
            sessions.begin(result.user)
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
            return _password_accepted(user, remember=bool(form.remember.data),
                                      next_url=safe_next_url())
    elif form.is_submitted():
        error = _("Please fill in both your pseudonym and your password.")
    return render_template("auth/login.html", form=form, error=error), (400 if error else 200)


# The password was right; the second factor must follow within this long.
PENDING_S = 300


def _password_accepted(user: User, *, remember: bool, next_url: str | None):
    """Sign in, or ask for the second factor first when the account has one."""
    if two_factor.has_second_factor(user):
        session["pending_sign_in"] = {"user": user.id, "generation": user.session_generation,
                                      "at": int(clock.now().timestamp()), "remember": remember,
                                      "next": next_url}
        return redirect(url_for("auth.second_factor"))
    sessions.begin(user, remember=remember)
    return redirect(next_url or url_for("main.index"))


def pending_user() -> User | None:
    """The account whose password was just accepted and whose second factor is awaited."""
    pending = session.get("pending_sign_in")
    waited = clock.now().timestamp() - pending.get("at", 0) if isinstance(pending, dict) else None
    if waited is None or waited > PENDING_S:
        session.pop("pending_sign_in", None)
        return None
    user = accounts.find_by_id(pending.get("user"))
    if user is None or user.session_generation != pending.get("generation"):
        return None
    return user


def finish_second_factor(user: User, method: str):
    """The second factor was right: sign in and go where the member was going."""
    pending = session.pop("pending_sign_in", {})
    sessions.begin(user, second_factor=method, remember=bool(pending.get("remember")))
    if method == "backup":
        left = two_factor.factors_of(user).backup_codes_left
        flash(ngettext("You used a backup code. %(num)d is left.",
                       "You used a backup code. %(num)d are left.", left), "info")
    return redirect(pending.get("next") or url_for("main.index"))


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=client_bucket, methods=["POST"])
def second_factor():
    """The second step of signing in: a code from the app, a backup code, or a passkey."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = pending_user()
    if user is None:
        flash(_("Please log in again: the second step waits five minutes at most."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    errors: dict = {}
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            method = two_factor.check_code(user, form.code.data or "")
        except TooManyTries as exc:
            errors, status = {"code": [_wait_message(exc)]}, 429
            headers = {"Retry-After": str(exc.retry_after)}
        except ValidationFailed as exc:
            errors, status = exc.reasons, 400
        else:
            return finish_second_factor(user, method)
    elif form.is_submitted():
        errors, status = {name: list(msgs) for name, msgs in form.errors.items()}, 400
    factors = two_factor.factors_of(user)
    return render_template("auth/second_factor.html", form=form, errors=errors,
                           factors=factors), status, headers


@bp.post("/logout")
@login_required
def logout():
    """Log out (a POST with a CSRF token, so no other site can sign a member out).

    The account's sessions end on the server too, on every device, with their remember
    tokens: a copied cookie opens nothing afterwards.
    """
    form = EmptyForm()
    if form.validate_on_submit():
        # This device's notifications end with it; the account's other devices keep theirs.
        push_subscriptions.remove_for_sign_in(getattr(current_user.sign_in, "id", None))
        accounts.do_log_out(current_user._get_current_object())
        logout_user()
        sessions.forget_device()
        flash(_("You are logged out. Take care."), "info")
        response = redirect(url_for("main.index"))
        # The browser drops what it kept of the forum: "cache" the HTTP cache, "storage" the
        # service worker, its caches and unsent drafts, even where the log-out script did not run.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
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
            if two_factor.has_second_factor(user):
                # A recovery code replaces the password, never the second factor.
                flash(_("Your password is changed. Now confirm it's you with your second "
                        "factor."), "success")
                return _password_accepted(user, remember=False, next_url=url_for("account.index"))
            sessions.begin(user)
            left = accounts.remaining_recovery_codes(user)
            flash(
                _("Your password is changed. You have %(n)d recovery codes left.", n=left),
                "success",
            )
            return redirect(url_for("account.index"))
    elif form.is_submitted():
        errors = {name: list(msgs) for name, msgs in form.errors.items()}
    return render_template("auth/recover.html", form=form, errors=errors), (400 if errors else 200)
