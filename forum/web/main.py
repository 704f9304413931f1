"""Home, health check and the community guidelines."""

from __future__ import annotations

import redis
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
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import text

from .. import moderation
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..services.accounts import guidelines
from ..services.threads import home_feed
from .forms import EmptyForm, GuidelinesForm
from .util import page_language

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """The front page: meetings about to start, who is in the rooms, boards with what is new,
    and a welcome on a first visit."""
    viewer = current_user if current_user.is_authenticated else None
    return render_template("main/index.html", feed=home_feed.home(viewer),
                           form=EmptyForm(formdata=None))


@bp.post("/welcome/dismiss")
@login_required
def dismiss_welcome():
    """Hide the first-visit welcome on the home page for this account."""
    if EmptyForm().validate_on_submit():
        home_feed.check_dismiss_welcome(acting_user=current_user)
    return redirect(url_for("main.index"))


@bp.get("/healthz")
def healthz():
    """Machine-readable health: database, classifier, semantic layer and rules."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means the database is not usable
        database = "error"
        _note("database", database, type(exc).__name__)
    else:
        _note("database", database)
    status = moderation.status()
    redis_state = _redis_state()
    body = {
        "status": "ok" if database == "ok" and redis_state != "error" else "degraded",
        "database": database,
        "redis": redis_state,
        "classifier": status["classifier"],
        "semantic": {"name": status["semantic"]["name"], "ready": status["semantic"]["ready"]},
        "rules": status["rules"],
    }
    # Only a missing database takes this process out of rotation: with Redis away every
    # process is affected alike, and each still serves its own members.
    return jsonify(body), 200 if database == "ok" else 503


def _redis_state() -> str:
    """ok, error, or "not configured" when the forum runs without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means Redis is not usable
        _note("redis", "error", type(exc).__name__)
        return "error"
    finally:
        client.close()
    _note("redis", "ok")
    return "ok"


# What the last probe found, so a proxy probing every few seconds logs each change once.
_LAST_SEEN: dict[str, str] = {}


def _note(part: str, state: str, why: str = "") -> None:
    if _LAST_SEEN.get(part, "ok") != state:
        current_app.logger.warning("healthz %s %s%s", part, state, f" ({why})" if why else "")
    _LAST_SEEN[part] = state


@bp.get("/guidelines")
def guidelines_page():
    """The community guidelines, with an agreement button when the member hasn't agreed."""
    version = guidelines.current_version()
    needs = current_user.is_authenticated and guidelines.needs_agreement(current_user)
    body, translated = guidelines.text_for(version, page_language())
    return render_template(
        "main/guidelines.html", version=version, needs_agreement=needs, form=EmptyForm(),
        body=body, untranslated=not translated and page_language() in guidelines.LANGUAGES
    )


@bp.post("/guidelines/agree")
@login_required
def agree():
    """Record agreement to the current guidelines."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            # The version the member read, so a change published meanwhile is not agreed blindly.
            guidelines.do_agree(current_user, request.form.get("version", type=int) or 0)
        except ValidationFailed as exc:
            flash(str(exc), "error")
            return redirect(url_for("main.guidelines_page"))
        flash(_("Thank you. Welcome back."), "success")
    return redirect(url_for("main.index"))


@bp.route("/guidelines/edit", methods=["GET", "POST"])
@login_required
def edit_guidelines():
    """Admins publish a new version of the guidelines."""
    if not current_user.has_role("admin"):
        raise PermissionDenied()
    form = GuidelinesForm()
    if not form.is_submitted():
        current = guidelines.current_version()
        form.body.data = current.body_md
        form.body_es.data = (current.translations or {}).get("es", "")
    errors: dict = {}
    if form.validate_on_submit():
        try:
            guidelines.check_publish(form.body.data, acting_user=current_user,
                                     translations={"es": form.body_es.data or ""})
        except ValidationFailed as exc:
            errors = exc.reasons
        else:
            flash(_("Published. Members will be asked to agree to the new version."), "success")
            return redirect(url_for("main.guidelines_page"))
    return render_template("main/edit_guidelines.html", form=form, errors=errors)
