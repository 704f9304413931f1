"""Scheduled meetings hosted by facilitators, their sessions, reminders and live attendance."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .community import Room

SCHEDULED, CANCELLED = "scheduled", "cancelled"


class Meeting(db.Model):
    """A meeting series (or a one-off) with its own room; times are local to `timezone`."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    host_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    cohost_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The first occurrence as wall-clock time in an IANA zone; the RRULE expands from it.
    start_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    accessibility: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship(lazy="joined")


class MeetingSession(db.Model):
    """One occurrence, stored once it matters (opened, extended, ended, reminded)."""

    __tablename__ = "meeting_sessions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "starts_at"),
        Index("ix_meeting_sessions_window", "closes_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # as scheduled
    # When the room closes: ends_at plus extensions, or the moment a host ended it early.
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extended_minutes: Mapped[int] = mapped_column(Integer, default=0)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    peak_attendees: Mapped[int] = mapped_column(Integer, default=0)
    distinct_attendees: Mapped[int] = mapped_column(Integer, default=0)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chat_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(lazy="joined")


class AttendanceMark(db.Model):
    """Who is in a running session, as a keyed hash only; deleted when the session closes."""

    __tablename__ = "meeting_attendance_marks"
    __table_args__ = (UniqueConstraint("session_id", "attendee_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="CASCADE")
    )
    attendee_key: Mapped[str] = mapped_column(String(64))
    connections: Mapped[int] = mapped_column(Integer, default=0)


class MeetingReminder(db.Model):
    """A member's wish to be reminded before each session of a meeting."""

    __tablename__ = "meeting_reminders"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
