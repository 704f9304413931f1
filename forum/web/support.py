"""Talk to someone now (/support): the confirmation page the header links to, the member's
request and waiting page, the on-duty supporters' list and accept button, withdraw and close.
Both member pages say how many peer supporters are on duty at that moment; with none, they say
so at once and show the crisis and overdose lines first. The live part is static/js/support.js
over the /chat namespace; the pages work without it."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from ..extensions import limiter
from ..models.support import SUPPORT_ACCEPTED, SUPPORT_OPEN
from ..services import clock
from ..services.review import duty
from ..services.support import crisis as crisis_support, requests as support
from ..services.support.rooms import fallback_resources, note_resources
from .crisis import CONTACT_NAMES, KIND_NAMES
from .posting import account_bucket
from .times import viewer_zone

bp = Blueprint("support", __name__)


class RequestForm(FlaskForm):
    """Ask to talk to someone now, with an optional short note."""

    note = TextAreaField(_l("Anything you'd like them to know first? (optional)"),
                         validators=[Optional(), Length(max=support.NOTE_MAX)])


class ActionForm(FlaskForm):
    """Accept, withdraw or close: only the CSRF token (checked app-wide by CSRFProtect)."""


class DutyForm(FlaskForm):
    """Go on or off duty as a peer supporter."""

    on = HiddenField(validators=[InputRequired()])


def init_app(app: Flask) -> None:
    """The rate limit, and the header's support helpers for every page."""
    app.config.setdefault("SUPPORT_RATE_LIMIT", "6 per minute; 30 per hour")

    @app.context_processor
    def _support_context():
        def supporter_on_duty() -> bool:
            return support.is_supporter_on_duty(current_user)

        def support_waiting() -> list:
            # Re-shown on every page, so an alert doesn't vanish when the supporter moves on.
            if not support.is_supporter_on_duty(current_user):
                return []
            return support.open_requests(acting_user=current_user)

        def can_support() -> bool:
            return support.can_support(current_user)

        return {"supporter_on_duty": supporter_on_duty, "support_waiting": support_waiting,
                "can_support": can_support, "viewer_zone": viewer_zone}


def support_limit() -> str:
    """The limit on opening requests."""
    return current_app.config["SUPPORT_RATE_LIMIT"]


def _flash_errors(exc: ValidationFailed) -> None:
    for messages in exc.reasons.values():
        for message in messages:
            flash(message, "error")


def _localized(resources: list) -> list:
    language = get_locale().language if get_locale() else None
    return [r.localized(language) for r in resources]


@bp.route("/support", methods=["GET", "POST"])
@login_required
@limiter.limit(support_limit, key_func=account_bucket, methods=["POST"])
def start():
    """Ask before paging anyone (the header's link lands here); the POST opens the request
    (or returns to the open one)."""
    form = RequestForm()
    errors: dict = {}
    if request.method == "GET":
        active = support.active_request(current_user)
        if active is not None:
            return redirect(url_for("support.show", request_id=active.id))
    elif form.validate_on_submit():
        try:
            result = support.check_open(form.note.data, acting_user=current_user)
        except ValidationFailed as exc:
            errors = exc.reasons
        except ContentRejected as exc:
            errors = {"note": [getattr(exc.verdict, "message", None)
                               or _("This note can't be sent. You can change it or leave it out.")]}
        else:
            if not result.created:
                flash(_("You already asked; here is your request."), "info")
            return redirect(url_for("support.show", request_id=result.request.id))
    else:
        errors = form.errors
    status = 400 if errors else 200
    cover = crisis_support.supporter_cover(current_user)
    return render_template("support/start.html", form=form, errors=errors,
                           suspended=not support.can_request(current_user), cover=cover,
                           zone=viewer_zone(),
                           lines=[] if cover.on_duty else _localized(fallback_resources()),
                           kind_names=KIND_NAMES, contact_names=CONTACT_NAMES), status


def _show_context(req) -> dict:
    now = clock.now()
    mine = req.requester_id == current_user.id
    room = support.room_of(req)
    waiting = mine and req.status == SUPPORT_OPEN
    return {
        "req": req, "mine": mine, "room": room, "form": ActionForm(formdata=None),
        "past_deadline": support.past_deadline(req, now),
        "seconds_left": support.seconds_left(req, now),
        # Counted as the page is made: the waiting text never promises people who are not there.
        "cover": crisis_support.supporter_cover(current_user, now) if waiting else None,
        "zone": viewer_zone(),
        "fallback": _localized(fallback_resources()) if mine else [],
        "note_resources": _localized(note_resources(req)) if mine else [],
        "supporter_name": support.person_name(req.accepted_by_id) if req.accepted_by_id else None,
        "requester_name": support.person_name(req.requester_id),
        "kind_names": KIND_NAMES, "contact_names": CONTACT_NAMES,
        "open": req.status == SUPPORT_OPEN, "accepted": req.status == SUPPORT_ACCEPTED,
    }


@bp.get("/support/<int:request_id>")
@login_required
def show(request_id: int):
    """The member's waiting page (or, for an on-duty supporter, the request and Accept)."""
    req = support.access_request(request_id, viewer=current_user)
    return render_template("support/request.html", **_show_context(req))


@bp.get("/support/<int:request_id>/status")
@login_required
def status(request_id: int):
    """The request's state as JSON, polled by the waiting page when the socket is away."""
    req = support.access_request(request_id, viewer=current_user)
    room = support.room_of(req)
    now = clock.now()
    return jsonify({
        "id": req.id, "status": req.status,
        "room_url": url_for("rooms.room", slug=room.slug) if room else None,
        "past_deadline": support.past_deadline(req, now),
        "seconds_left": support.seconds_left(req, now),
    })


@bp.post("/support/<int:request_id>/accept")
@login_required
def accept(request_id: int):
    """Accept a request: the first supporter wins and both go to a private room."""
    try:
        req = support.check_accept(request_id, acting_user=current_user)
    except support.AlreadyTaken as exc:
        flash(str(exc), "info")
        return redirect(url_for("support.requests"))
    except PermissionDenied:
        if not support.can_support(current_user):
            # Not a supporter: the same answer as their /support/requests, not a redirect there.
            raise NotFound() from None
        flash(_("Go on duty as a supporter to accept requests."), "error")
        return redirect(url_for("support.requests"))
    return redirect(url_for("rooms.room", slug=support.room_of(req).slug))


@bp.post("/support/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int):
    """The member stops waiting."""
    try:
        support.check_withdraw(request_id, acting_user=current_user)
        flash(_("Your request is withdrawn. You can ask again at any time."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return redirect(url_for("support.show", request_id=request_id))


@bp.post("/support/<int:request_id>/close")
@login_required
def close(request_id: int):
    """Either person ends the conversation; the room takes no new messages."""
    try:
        support.check_close(request_id, acting_user=current_user)
        flash(_("The conversation has ended. Thank you for reaching out."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return redirect(url_for("support.show", request_id=request_id))


@bp.get("/support/requests")
@login_required
def requests():
    """On-duty supporters: open requests, their conversations, and going on or off duty."""
    if not support.can_support(current_user):
        raise NotFound()
    on_duty = duty.is_on_duty(current_user)
    return render_template(
        "support/requests.html", on_duty=on_duty,
        items=support.open_requests(acting_user=current_user) if on_duty else [],
        conversations=support.conversations_of(current_user), name=support.person_name,
        room_of=support.room_of, form=ActionForm(formdata=None),
        duty_form=DutyForm(formdata=None),
    )


@bp.post("/support/duty")
@login_required
def set_duty():
    """Peer supporters go on or off duty."""
    form = DutyForm()
    if not form.validate_on_submit() or not support.can_support(current_user):
        raise NotFound()
    on = form.on.data == "1"
    duty.check_set_duty(on, acting_user=current_user)
    flash(_("You are on duty: requests will reach you here.") if on
          else _("You are off duty. Thank you."), "success")
    return redirect(url_for("support.requests"))
