"""Scheduled meetings hosted by facilitators: schedule, edit, cancel, list.

Each meeting owns a Room (always_open=False) created in the same transaction; chat opens it
in the session window through the open rule of meetings_sessions. Title and description are
screened once each (scope "title" and "post"): block refuses with the reason, hold refuses too
(a meeting cannot wait in the queue before it exists), flag publishes and queues the meeting.
Every change is audited in the same transaction. Times: meetings_time.py; sessions, extend and
end: meetings_sessions.py; attendance, feeds, reminders and retention: their own modules.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import ContentRejected, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Meeting, Room, User
from ...models.meetings import CANCELLED, SCHEDULED
from ...moderation.verdict import ACTION_RANK
from .. import audit, clock, review_queue, screening, transaction
from .access import (
    can_edit,
    can_manage,
    can_schedule,  # for the room-control tools
)
from .plan import Plan, validate
from .sessions import do_forget_future
from .times import weekdays_of

log = logging.getLogger("forum.meetings")

KIND = "meeting"


def _screen(plan: Plan, author: User, before: Meeting | None) -> Any:
    """Screen new or changed texts once; block and hold refuse, with the text kept."""
    checks = [("title", plan.title, "title")]
    if plan.description:
        checks.append(("description", plan.description, "post"))
    worst = None
    for field, text, scope in checks:
        if before is not None and getattr(before, field) == text:
            continue
        verdict = screening.screen_text(text, scope=scope, author=author)
        if verdict.action == "block":
            raise ContentRejected(verdict, field=field)
        if verdict.action == "hold":
            raise ValidationFailed({field: [str(_l(
                "This needs a moderator's look before it can be shown, so nothing was saved."
                " Please reword it and try again."))]})
        if worst is None or ACTION_RANK[verdict.action] > ACTION_RANK[worst.action]:
            worst = verdict
    return worst


def unique_slug(title: str) -> str:
    """A room slug from the title: lowercase ASCII words and dashes, numbered when taken."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:56].strip("-")
    base = base or "meeting"
    slug, n = base, 2
    while db.session.scalar(select(Room.id).where(Room.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(meeting: Meeting, plan: Plan) -> None:
    for field in ("title", "description", "start_date", "start_time", "timezone",
                  "duration_minutes", "rrule", "format", "language", "capacity", "cohost_id"):
        setattr(meeting, field, getattr(plan, field))
    meeting.accessibility = list(plan.accessibility)
    meeting.updated_at = clock.now()
    meeting.room.title = plan.title
    meeting.room.description = plan.description


def _summary(meeting: Meeting) -> dict[str, Any]:
    """Audit details: the schedule, never the texts."""
    return {"rrule": meeting.rrule, "start": f"{meeting.start_date} {meeting.start_time:%H:%M}",
            "timezone": meeting.timezone, "duration": meeting.duration_minutes,
            "cohost_id": meeting.cohost_id, "capacity": meeting.capacity}


def check_schedule(data: dict[str, Any], *, acting_user: User) -> Meeting:
    """Schedule a meeting and create its room, screened, audited, in one transaction."""
    if not can_schedule(acting_user):
        raise PermissionDenied()
    now = clock.now()
    plan = validate(data, host=acting_user, today=now.date())
    verdict = _screen(plan, acting_user, None)
    room = Room(slug=unique_slug(plan.title), title=plan.title, description=plan.description,
                always_open=False, anonymous=False)
    db.session.add(room)
    db.session.flush()
    meeting = Meeting(room_id=room.id, host_id=acting_user.id, status=SCHEDULED, created_at=now,
                      title=plan.title)
    meeting.room = room
    _apply(meeting, plan)
    db.session.add(meeting)
    db.session.flush()
    if verdict is not None and verdict.needs_review:
        review_queue.do_enqueue(KIND, meeting.id, verdict=verdict)
    audit.record("meeting.schedule", acting_user=acting_user, target_type="meeting",
                 target_id=meeting.id, details=_summary(meeting))
    transaction.commit()
    log.info("meeting scheduled meeting_id=%s room_id=%s", meeting.id, room.id)
    return meeting


def check_edit(meeting: Meeting, data: dict[str, Any], *, acting_user: User) -> Meeting:
    """Change a meeting (host, co-host, moderator, admin); future sessions follow the rule."""
    if not can_edit(meeting, acting_user) or meeting.status != SCHEDULED:
        raise PermissionDenied()
    now = clock.now()
    host = db.session.get(User, meeting.host_id) if meeting.host_id else acting_user
    plan = validate(data, host=host or acting_user, today=now.date(),
                    kept_start=meeting.start_date)
    verdict = _screen(plan, acting_user, meeting)
    schedule_changed = (plan.rrule, plan.start_date, plan.start_time, plan.timezone,
                        plan.duration_minutes) != (meeting.rrule, meeting.start_date,
                                                   meeting.start_time, meeting.timezone,
                                                   meeting.duration_minutes)
    _apply(meeting, plan)
    if schedule_changed:
        do_forget_future(meeting, now)
    if verdict is not None and verdict.needs_review:
        review_queue.do_enqueue(KIND, meeting.id, verdict=verdict)
    audit.record("meeting.edit", acting_user=acting_user, target_type="meeting",
                 target_id=meeting.id, details=_summary(meeting))
    transaction.commit()
    log.info("meeting edited meeting_id=%s", meeting.id)
    return meeting


def check_cancel(meeting: Meeting, *, acting_user: User, reason: str | None = None) -> Meeting:
    """Cancel every future session; the room stays closed from now on."""
    if not can_manage(meeting, acting_user) or meeting.status != SCHEDULED:
        raise PermissionDenied()
    do_cancel(meeting)
    audit.record("meeting.cancel", acting_user=acting_user, target_type="meeting",
                 target_id=meeting.id, reason=reason or None)
    transaction.commit()
    log.info("meeting cancelled meeting_id=%s", meeting.id)
    return meeting


def do_cancel(meeting: Meeting) -> None:
    """Mark cancelled and forget stored sessions that have not opened yet."""
    now = clock.now()
    meeting.status = CANCELLED
    meeting.updated_at = now
    do_forget_future(meeting, now)


def form_data(meeting: Meeting) -> dict[str, Any]:
    """The meeting as the edit form's values."""
    cohost = db.session.get(User, meeting.cohost_id) if meeting.cohost_id else None
    return {
        "title": meeting.title, "description": meeting.description,
        "start_date": meeting.start_date.isoformat(),
        "start_time": meeting.start_time.strftime("%H:%M"), "timezone": meeting.timezone,
        "duration": str(meeting.duration_minutes),
        "recurrence": "weekly" if meeting.rrule.startswith("FREQ=WEEKLY") else "once",
        "weekdays": weekdays_of(meeting) if meeting.rrule.startswith("FREQ=WEEKLY") else [],
        "format": meeting.format, "language": meeting.language,
        "accessibility": list(meeting.accessibility or []), "capacity": str(meeting.capacity),
        "cohost": cohost.pseudonym if cohost else "",
    }


def scheduled_meetings() -> list[Meeting]:
    """Every meeting that has not been cancelled, oldest first."""
    return list(db.session.scalars(
        select(Meeting).where(Meeting.status == SCHEDULED).order_by(Meeting.id)))


def hosted_by(user: User) -> list[Meeting]:
    """Meetings this account hosts or co-hosts."""
    return list(db.session.scalars(select(Meeting).where(
        (Meeting.host_id == user.id) | (Meeting.cohost_id == user.id)).order_by(Meeting.id)))


# The review queue: a flagged title or description stays up; removing it cancels the meeting.

def review_approve(meeting_id: int, acting_user: User) -> None:
    return None


def review_remove(meeting_id: int, reason: str, acting_user: User) -> None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is not None and meeting.status == SCHEDULED:
        do_cancel(meeting)


def review_locate(meeting_id: int) -> tuple[int | None, int | None, int | None]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        return None, None, None
    return meeting.host_id, None, meeting.room_id


def load_text(meeting_id: int) -> str | None:
    """Title and description of a meeting, for the review page."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    return f"{meeting.title}\n\n{meeting.description}".strip()
