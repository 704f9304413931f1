"""Attendance without names: during a session a keyed hash per attendee (never the account id)
and a connection count; when the session closes the marks are deleted and only the peak and the
number of distinct attendees remain on the session."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ...errors import PermissionDenied
from ...extensions import db
from ...models import AttendanceMark, Meeting, MeetingSession, Room, User
from .. import clock, transaction
from .access import can_see_attendance, meeting_for_room
from .sessions import current_window, materialize

log = logging.getLogger("forum.meetings")
RECENT_SESSIONS = 10


def attendee_key(session_id: int, user_id: int) -> str:
    """A per-session keyed hash: the same person twice matches, nobody can read it back."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"attendance:{session_id}:{user_id}".encode(),
                    hashlib.sha256).hexdigest()


def observe_presence(room: Room, user_id: int, joined: bool, count: int) -> None:
    """Presence observer: update the running session's live peak and distinct attendees."""
    meeting = meeting_for_room(room)
    if meeting is None:
        return
    now = clock.now()
    window = current_window(meeting, now)
    if window is None:
        return
    if window.row is None and not joined:
        return
    session = window.row or materialize(meeting, window.starts_at)
    key = attendee_key(session.id, user_id)
    mark = db.session.scalar(select(AttendanceMark).where(
        AttendanceMark.session_id == session.id, AttendanceMark.attendee_key == key))
    if mark is None:
        if not joined:
            return  # joined during an earlier session: nothing to count here
        mark = AttendanceMark(session_id=session.id, attendee_key=key, connections=0)
        db.session.add(mark)
    mark.connections = mark.connections + 1 if joined else max(0, mark.connections - 1)
    db.session.flush()
    present = db.session.scalar(select(func.count(AttendanceMark.id)).where(
        AttendanceMark.session_id == session.id, AttendanceMark.connections > 0)) or 0
    distinct = db.session.scalar(select(func.count(AttendanceMark.id)).where(
        AttendanceMark.session_id == session.id)) or 0
    session.peak_attendees = max(session.peak_attendees, present)
    session.distinct_attendees = distinct
    transaction.commit()


def recent_sessions(meeting: Meeting, limit: int = RECENT_SESSIONS) -> list[MeetingSession]:
    """The meeting's latest sessions that someone attended or that were changed, newest first."""
    now = clock.now()
    return list(db.session.scalars(
        select(MeetingSession)
        .where(MeetingSession.meeting_id == meeting.id, MeetingSession.starts_at <= now)
        .order_by(MeetingSession.starts_at.desc()).limit(limit)
    ))


@dataclass(frozen=True)
class MeetingAttendance:
    """Totals for one meeting across its past sessions."""

    meeting: Meeting
    sessions: int
    peak: int
    average_distinct: float
    total_distinct: int


def aggregate(*, acting_user: User) -> list[MeetingAttendance]:
    """Admins: sessions held, highest peak, average and total distinct attendees per meeting."""
    if not can_see_attendance(acting_user):
        raise PermissionDenied()
    rows = db.session.execute(
        select(MeetingSession.meeting_id, func.count(MeetingSession.id),
               func.max(MeetingSession.peak_attendees),
               func.avg(MeetingSession.distinct_attendees),
               func.sum(MeetingSession.distinct_attendees))
        .where(MeetingSession.finalized_at.is_not(None))
        .group_by(MeetingSession.meeting_id)
    ).all()
    result = []
    for meeting_id, sessions, peak, average, total in rows:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is not None:
            result.append(MeetingAttendance(meeting, int(sessions), int(peak or 0),
                                            round(float(average or 0), 1), int(total or 0)))
    return sorted(result, key=lambda r: r.meeting.title.lower())


def held_session_rows(start, end) -> list[tuple]:
    """(starts_at, distinct attendees) of finished sessions someone attended, in [start, end):
    the community measures' meeting figures read only these two anonymous numbers."""
    return list(db.session.execute(
        select(MeetingSession.starts_at, MeetingSession.distinct_attendees)
        .where(MeetingSession.finalized_at.is_not(None), MeetingSession.distinct_attendees > 0,
               MeetingSession.starts_at >= start, MeetingSession.starts_at < end)
        .order_by(MeetingSession.starts_at)
    ).all())
