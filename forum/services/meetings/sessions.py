"""Meeting sessions: when a meeting room is open, extending and ending a session, bookkeeping.

A room opens OPEN_BEFORE ahead of a session and closes at its end, plus any extensions, or
when a host ends it early. Occurrences are computed from the RRULE; a MeetingSession row is
stored only once an occurrence matters (someone joined, it was extended or ended, reminders
went out), so the open rule reads the row when there is one and the rule otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ...errors import NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import AttendanceMark, Meeting, MeetingSession, Room, User
from ...models.meetings import SCHEDULED
from .. import audit, clock, transaction
from ..chat import facilitation as room_controls
from .access import can_manage, meeting_for_room
from .times import duration, occurrences

log = logging.getLogger("forum.meetings")

OPEN_BEFORE = timedelta(minutes=10)
EXTENSION = timedelta(minutes=15)
LOOKBACK = timedelta(days=8)  # a weekly meeting has closed at least once in any 8 days


@dataclass(frozen=True)
class Window:
    """One session's times (UTC) and its stored row, if it has one yet."""

    starts_at: datetime
    closes_at: datetime
    row: MeetingSession | None

    @property
    def opens_at(self) -> datetime:
        """The room opens this long before the start."""
        return self.starts_at - OPEN_BEFORE


def _row(meeting: Meeting, starts_at: datetime) -> MeetingSession | None:
    return db.session.scalar(select(MeetingSession).where(
        MeetingSession.meeting_id == meeting.id, MeetingSession.starts_at == starts_at))


def current_window(meeting: Meeting, now: datetime | None = None) -> Window | None:
    """The session whose window (10 minutes before the start to its close) holds now."""
    now = now or clock.now()
    if meeting.status != SCHEDULED:
        return None
    row = db.session.scalar(
        select(MeetingSession)
        .where(MeetingSession.meeting_id == meeting.id,
               MeetingSession.starts_at <= now + OPEN_BEFORE,
               MeetingSession.closes_at > now)
        .order_by(MeetingSession.starts_at).limit(1)
    )
    if row is not None:
        return Window(row.starts_at, row.closes_at, row)
    for start in occurrences(meeting, now - duration(meeting), now + OPEN_BEFORE):
        end = start + duration(meeting)
        if start - OPEN_BEFORE <= now < end and _row(meeting, start) is None:
            return Window(start, end, None)
    return None


def windows_between(meeting: Meeting, after: datetime, before: datetime) -> list[Window]:
    """Sessions overlapping [after, before], stored rows winning over the plain rule."""
    if meeting.status != SCHEDULED:
        return []
    rows = {r.starts_at: r for r in db.session.scalars(
        select(MeetingSession).where(
            MeetingSession.meeting_id == meeting.id,
            MeetingSession.starts_at <= before,
            MeetingSession.closes_at > after,
        ))}
    found = {start: Window(start, r.closes_at, r) for start, r in rows.items()}
    for start in occurrences(meeting, after - duration(meeting), before):
        end = start + duration(meeting)
        if start not in found and end > after and _row(meeting, start) is None:
            found[start] = Window(start, end, None)
    return [found[k] for k in sorted(found)]


def last_close_before(meeting: Meeting, cutoff: datetime) -> datetime | None:
    """The latest moment at or before cutoff at which a session of this meeting closed."""
    stored = db.session.scalar(select(func.max(MeetingSession.closes_at)).where(
        MeetingSession.meeting_id == meeting.id, MeetingSession.closes_at <= cutoff))
    # Sessions nobody touched were never stored: their close follows from the rule.
    starts = occurrences(meeting, cutoff - LOOKBACK, cutoff)
    for start in sorted(starts, reverse=True):
        if start + duration(meeting) <= cutoff and _row(meeting, start) is None:
            close = start + duration(meeting)
            return max(close, stored) if stored else close
    return stored


def materialize(meeting: Meeting, starts_at: datetime) -> MeetingSession:
    """The stored session for this occurrence, created on first need. Call it before other
    changes in the transaction: a racing creator makes it roll back and read the winner's."""
    row = _row(meeting, starts_at)
    if row is not None:
        return row
    end = starts_at + duration(meeting)
    row = MeetingSession(meeting_id=meeting.id, starts_at=starts_at, ends_at=end, closes_at=end,
                         extended_minutes=0, peak_attendees=0, distinct_attendees=0)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = _row(meeting, starts_at)
        if row is None:
            raise
    return row


def is_room_open(room: Room, now: datetime) -> bool | None:
    """The open rule registered with chat: None for rooms that are not meetings."""
    meeting = meeting_for_room(room)
    if meeting is None:
        return None
    return current_window(meeting, now) is not None


def _running(meeting: Meeting, now: datetime) -> MeetingSession:
    window = current_window(meeting, now)
    if window is None:
        raise ValidationFailed({"": [str(_l("No session of this meeting is open right now."))]})
    return window.row or materialize(meeting, window.starts_at)


def check_extend(meeting: Meeting, *, acting_user: User) -> MeetingSession:
    """Keep the open session going EXTENSION longer (host, co-host, moderator, admin)."""
    if not can_manage(meeting, acting_user):
        raise PermissionDenied()
    now = clock.now()
    session = _running(meeting, now)
    session.extended_minutes += int(EXTENSION.total_seconds() // 60)
    session.closes_at = session.closes_at + EXTENSION
    audit.record("meeting.extend", acting_user=acting_user, target_type="meeting",
                 target_id=meeting.id, details={"session_id": session.id,
                                                "extended_minutes": session.extended_minutes})
    transaction.commit()
    log.info("meeting extended meeting_id=%s session_id=%s", meeting.id, session.id)
    return session


def end_current_session(room: Room, *, acting_user: User) -> MeetingSession:
    """Close the running session of a meeting room now: the room closes for everyone in it
    (the facilitator tools' end) and attendance is finalized at once."""
    meeting = meeting_for_room(room)
    if meeting is None:
        raise NotFound()
    if not can_manage(meeting, acting_user):
        raise PermissionDenied()
    session = _running(meeting, clock.now())
    session.ended_by_id = acting_user.id
    audit.record("meeting.end", acting_user=acting_user, target_type="meeting",
                 target_id=meeting.id, details={"session_id": session.id})
    # Closes the room, takes everyone out, calls observe_session_end and commits.
    room_controls.check_end_session(room, acting_user=acting_user)
    log.info("meeting session ended early meeting_id=%s session_id=%s", meeting.id, session.id)
    return session


def observe_session_end(room: Room) -> None:
    """A facilitator ended the session in the room: the meeting's session ends now and its
    attendance is finalized, in the same transaction."""
    meeting = meeting_for_room(room)
    if meeting is None:
        return
    now = clock.now()
    window = current_window(meeting, now)
    if window is None:
        return
    session = window.row or materialize(meeting, window.starts_at)
    session.ended_early_at = now
    session.closes_at = now
    do_finalize(session, now)


def latest_session_start(room: Room, now: datetime) -> datetime | None:
    """When the latest session of a meeting room opened (at or before now): facilitator
    settings made before then belonged to an earlier session. None for other rooms."""
    meeting = meeting_for_room(room)
    if meeting is None:
        return None
    starts = [s for s in occurrences(meeting, now - LOOKBACK, now + OPEN_BEFORE)
              if s - OPEN_BEFORE <= now]
    stored = db.session.scalar(select(func.max(MeetingSession.starts_at)).where(
        MeetingSession.meeting_id == meeting.id,
        MeetingSession.starts_at <= now + OPEN_BEFORE))
    if stored is not None:
        starts.append(stored)
    return max(starts) - OPEN_BEFORE if starts else None


def do_finalize(session: MeetingSession, now: datetime) -> None:
    """Keep only the two attendance numbers: every per-person mark is deleted."""
    db.session.execute(delete(AttendanceMark).where(AttendanceMark.session_id == session.id))
    session.finalized_at = now


def do_forget_future(meeting: Meeting, now: datetime) -> None:
    """Drop stored sessions that have not opened yet (after a reschedule or a cancel)."""
    db.session.execute(delete(MeetingSession).where(
        MeetingSession.meeting_id == meeting.id,
        MeetingSession.starts_at > now + OPEN_BEFORE,
    ))


def run_bookkeeping(now: datetime) -> int:
    """Job: finalize attendance of sessions that have closed; returns how many."""
    closed = list(db.session.scalars(select(MeetingSession).where(
        MeetingSession.finalized_at.is_(None), MeetingSession.closes_at <= now)))
    for session in closed:
        do_finalize(session, now)
    if closed:
        transaction.commit()
        log.info("meeting sessions finalized count=%s", len(closed))
    return len(closed)
