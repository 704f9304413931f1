"""Reminders before each session (an in-forum notification, once per session per member) and
the retention of meeting chat: what is said in the room stays in the room, and is erased
MEETING_CHAT_RETENTION_DAYS after the session ends, unless a review item is still open on it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...errors import PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ChatMessage, Meeting, MeetingReminder, MeetingSession, Notification, User
from ...models.meetings import SCHEDULED
from ...models.review import RESOLVED, ReviewItem
from .. import clock, transaction
from ..push import outbox as push_outbox
from .sessions import last_close_before, materialize
from .times import occurrences

log = logging.getLogger("forum.meetings")

REMINDER_LEAD = timedelta(minutes=15)
DEFAULT_RETENTION_DAYS = 7
SAFETY = timedelta(days=1)
KIND = "meeting"


def wants_reminder(meeting: Meeting, user: User | None) -> bool:
    """Has this member asked to be reminded of the meeting?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(MeetingReminder.id).where(
        MeetingReminder.meeting_id == meeting.id, MeetingReminder.user_id == user.id)) is not None


def check_toggle_reminder(meeting: Meeting, *, acting_user: User) -> bool:
    """Turn reminders for a meeting on or off for oneself; returns whether they are now on."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied()
    existing = db.session.scalar(select(MeetingReminder).where(
        MeetingReminder.meeting_id == meeting.id, MeetingReminder.user_id == acting_user.id))
    if existing is not None:
        db.session.delete(existing)
        transaction.commit()
        return False
    if meeting.status != SCHEDULED:
        raise ValidationFailed({"": [str(_l("This meeting has been cancelled."))]})
    db.session.add(MeetingReminder(meeting_id=meeting.id, user_id=acting_user.id,
                                   created_at=clock.now()))
    try:
        transaction.commit()
    except IntegrityError:  # a double click from two tabs: already on
        db.session.rollback()
    return True


def run_reminders(now: datetime) -> int:
    """Job: notify subscribers of sessions starting within REMINDER_LEAD; once per session."""
    created = 0
    meetings = list(db.session.scalars(
        select(Meeting).where(Meeting.status == SCHEDULED,
                              Meeting.id.in_(select(MeetingReminder.meeting_id)))))
    for meeting in meetings:
        for start in occurrences(meeting, now, now + REMINDER_LEAD):
            created += _remind(meeting, start, now)
    if created:
        log.info("meeting reminders created count=%s", created)
    return created


def _remind(meeting: Meeting, start: datetime, now: datetime) -> int:
    """Notify every subscriber not yet reminded of this session; commits."""
    session = materialize(meeting, start)
    if session.closes_at <= now:
        return 0  # ended early before it even started: nothing to remind of
    subscribers = set(db.session.scalars(select(MeetingReminder.user_id).where(
        MeetingReminder.meeting_id == meeting.id)))
    done = set(db.session.scalars(select(Notification.user_id).where(
        Notification.meeting_session_id == session.id)))
    for user_id in sorted(subscribers - done):
        db.session.add(Notification(user_id=user_id, kind=KIND, meeting_session_id=session.id,
                                    created_at=now))
    try:
        # And on their phones, for those who turned meeting pushes on (in the same
        # transaction; it flushes the notifications first, so a race shows here).
        push_outbox.meeting_starting(session, subscribers - done)
        transaction.commit()
    except IntegrityError:  # another runner got there first; theirs stand
        db.session.rollback()
        return 0
    return len(subscribers - done)


def member_export(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(MeetingReminder, Meeting.title)
        .join(Meeting, Meeting.id == MeetingReminder.meeting_id)
        .where(MeetingReminder.user_id == user.id).order_by(MeetingReminder.id)).all()
    return [{"meeting": title, "since": r.created_at.isoformat()} for r, title in rows]


def member_erase(user: User, keep: bool) -> None:
    """Reminders are settings, not content: they go either way."""
    db.session.execute(delete(MeetingReminder).where(MeetingReminder.user_id == user.id))


def retention_days() -> int:
    """How many days meeting chat is kept after a session ends."""
    return int(current_app.config.get("MEETING_CHAT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def run_retention(now: datetime) -> int:
    """Job: erase meeting-room messages of sessions that ended `days` ago or more."""
    cutoff = now - timedelta(days=retention_days())
    under_review = select(ReviewItem.content_id).where(
        ReviewItem.content_kind == "chat", ReviewItem.status != RESOLVED)
    erased = 0
    for meeting in db.session.scalars(select(Meeting).order_by(Meeting.id)):
        # A message is said before its session closes; the safety margin covers schedules
        # edited since (their old sessions no longer follow from the rule).
        limit = max(filter(None, (last_close_before(meeting, cutoff), cutoff - SAFETY)))
        ids = list(db.session.scalars(select(ChatMessage.id).where(
            ChatMessage.room_id == meeting.room_id, ChatMessage.created_at <= limit,
            ChatMessage.id.not_in(under_review))))
        if ids:
            # Resolved items go with their message (as when an account is erased), so a
            # reused id can never inherit an old item.
            db.session.execute(delete(ReviewItem).where(
                ReviewItem.content_kind == "chat", ReviewItem.content_id.in_(ids)))
            db.session.execute(delete(ChatMessage).where(ChatMessage.id.in_(ids)))
            erased += len(ids)
    db.session.execute(
        update(MeetingSession)
        .where(MeetingSession.closes_at <= cutoff, MeetingSession.chat_erased_at.is_(None))
        .values(chat_erased_at=now)
    )
    transaction.commit()
    if erased:
        log.info("meeting chat erased messages=%s", erased)
    return erased
