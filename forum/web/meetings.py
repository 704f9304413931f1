"""Meetings: the list, a meeting's page, scheduling forms, host tools and the feeds."""

from __future__ import annotations

import json

from babel.dates import format_date
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from ..errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import User
from ..services.meetings import (
    access as meetings_access,
    attendance as meetings_attendance,
    feeds as meetings_feeds,
    listing as meetings_listing,
    plan as meetings_plan,
    reminders as meetings_reminders,
    schedule as meetings,
    sessions as meetings_sessions,
)
from ..services.meetings.times import weekdays_of
from .forms import EmptyForm
from .meeting_forms import CancelMeetingForm, MeetingForm
from .util import site_host, site_url, verdict_errors

bp = Blueprint("meetings", __name__)


@bp.app_template_filter("session_day")
def session_day(moment, with_date: bool = True) -> str:
    """A session's start in its own zone, the weekday in the reader's language ("lun. 2026-12-07
    19:00"): strftime's %a is always English."""
    day = format_date(moment.date(), "EEE", locale=get_locale() or "en")
    return f"{day} {moment.strftime('%Y-%m-%d %H:%M' if with_date else '%H:%M')}"


def _viewer():
    return current_user if current_user.is_authenticated else None


def _room_url(meeting) -> str:
    return site_url("rooms.room", slug=meeting.room.slug)


def _page_url(meeting) -> str:
    return site_url("meetings.detail", meeting_id=meeting.id)


@bp.get("/meetings")
def index():
    """Upcoming sessions of the week, in the viewer's time zone, with their state."""
    viewer = _viewer()
    return render_template(
        "meetings/index.html",
        sessions=meetings_listing.upcoming(viewer),
        zone_name=meetings_listing.viewer_zone_name(viewer),
        can_schedule=meetings_access.can_schedule(viewer),
        formats=meetings_plan.FORMATS,
    )


def _form_page(form: MeetingForm, meeting, errors: dict, status: int):
    return render_template("meetings/form.html", form=form, meeting=meeting,
                           errors=errors), status


def _submit(form: MeetingForm, action):
    """Run the service on the submitted form; errors re-render it with everything kept."""
    try:
        return action(form.values()), {}
    except ValidationFailed as exc:
        return None, exc.reasons
    except ContentRejected as exc:
        return None, verdict_errors(exc)


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new():
    """Schedule a meeting (facilitators, moderators, admins)."""
    if not meetings_access.can_schedule(current_user):
        raise PermissionDenied()
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone or "UTC"
        form.weekdays.data = []
        return _form_page(form, None, {}, 200)
    form.validate_on_submit()  # the CSRF token is checked before the view runs
    meeting, errors = _submit(
        form, lambda data: meetings.check_schedule(data, acting_user=current_user))
    if meeting is None:
        return _form_page(form, None, errors, 400)
    flash(_("The meeting is scheduled."), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    """Change a meeting (host, co-host, moderators, admins)."""
    meeting = meetings_access.access_meeting(meeting_id)
    if not meetings_access.can_edit(meeting, current_user):
        raise PermissionDenied()
    if request.method == "GET":
        form = MeetingForm(data=meetings.form_data(meeting))
        return _form_page(form, meeting, {}, 200)
    form = MeetingForm()
    form.validate_on_submit()
    done, errors = _submit(
        form, lambda data: meetings.check_edit(meeting, data, acting_user=current_user))
    if done is None:
        db.session.rollback()
        return _form_page(form, meeting, errors, 400)
    flash(_("The meeting is updated."), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>")
def detail(meeting_id: int):
    """A meeting: schedule, next sessions, reminders, and the host's tools and numbers."""
    meeting = meetings_access.access_meeting(meeting_id)
    viewer = _viewer()
    manage = meetings_access.can_manage(meeting, viewer)
    window = meetings_sessions.current_window(meeting)
    cohost = db.session.get(User, meeting.cohost_id) if meeting.cohost_id else None
    host = db.session.get(User, meeting.host_id) if meeting.host_id else None
    return render_template(
        "meetings/meeting.html",
        meeting=meeting,
        sessions=meetings_listing.upcoming(viewer, meetings=[meeting]),
        zone_name=meetings_listing.viewer_zone_name(viewer),
        weekdays=[meetings_plan.WEEKDAY_NAMES[d] for d in weekdays_of(meeting)],
        weekly=meeting.rrule.startswith("FREQ=WEEKLY"),
        formats=meetings_plan.FORMATS, languages=meetings_plan.LANGUAGES,
        accessibility=meetings_plan.ACCESSIBILITY,
        host=host, cohost=cohost,
        can_manage=manage, can_edit=meetings_access.can_edit(meeting, viewer), running=window,
        history=meetings_attendance.recent_sessions(meeting) if manage else [],
        reminded=meetings_reminders.wants_reminder(meeting, viewer),
        retention_days=meetings_reminders.retention_days(),
        form=EmptyForm(formdata=None), cancel_form=CancelMeetingForm(formdata=None),
    )


def _button(action, meeting_id: int, done: str):
    """A host button: CSRF-checked POST, the service decides, back to the meeting page."""
    meeting = meetings_access.access_meeting(meeting_id)
    EmptyForm().validate_on_submit()
    try:
        action(meeting)
    except ValidationFailed as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/extend")
@login_required
def extend(meeting_id: int):
    """Keep the open session going 15 minutes longer."""
    return _button(lambda m: meetings_sessions.check_extend(m, acting_user=current_user),
                   meeting_id, _("The session is extended by 15 minutes."))


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    """Cancel the meeting and all its future sessions."""
    form = CancelMeetingForm()
    return _button(lambda m: meetings.check_cancel(
        m, acting_user=current_user, reason=(form.reason.data or "").strip()[:500]),
        meeting_id, _("The meeting is cancelled."))


@bp.post("/meetings/<int:meeting_id>/remind")
@login_required
def remind(meeting_id: int):
    """Turn reminders for this meeting on or off for oneself."""
    meeting = meetings_access.access_meeting(meeting_id)
    EmptyForm().validate_on_submit()
    try:
        on = meetings_reminders.check_toggle_reminder(meeting, acting_user=current_user)
    except ValidationFailed as exc:
        flash(str(exc), "error")
    else:
        flash(_("We'll remind you shortly before each session.") if on
              else _("No more reminders for this meeting."), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.get("/meetings/attendance")
@login_required
def attendance():
    """Admins: attendance numbers per meeting (counts only, never who)."""
    rows = meetings_attendance.aggregate(acting_user=current_user)
    return render_template("meetings/attendance.html", rows=rows)


def _calendar(items, filename: str) -> Response:
    body = meetings_feeds.ics(items, room_url=_room_url, page_url=_page_url,
                              host=site_host())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/meetings.ics")
def calendar():
    """Every upcoming meeting as an iCalendar feed."""
    items = [m for m in meetings.scheduled_meetings() if meetings_feeds.is_upcoming(m)]
    return _calendar(items, "meetings.ics")


@bp.get("/meetings/<int:meeting_id>.ics")
def meeting_calendar(meeting_id: int):
    """One meeting as an iCalendar file."""
    meeting = meetings_access.access_meeting(meeting_id)
    if meeting.status != "scheduled":
        raise NotFound()
    return _calendar([meeting], f"meeting-{meeting.id}.ics")


@bp.get("/meetings.json")
def meeting_guide():
    """Weekly meetings in the Meeting Guide format used by recovery meeting finders."""
    items = [m for m in meetings.scheduled_meetings() if meetings_feeds.is_upcoming(m)]
    body = json.dumps(meetings_feeds.meeting_guide(items, room_url=_room_url),
                      ensure_ascii=False)
    return Response(body, mimetype="application/json")
