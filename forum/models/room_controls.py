"""What facilitators set in a live room: open override, lock, waiting room, slow mode, pin,
and each member's standing in the current session (waiting, admitted, removed, muted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# RoomParticipant.status values for the current session.
WAITING, ADMITTED, DECLINED, REMOVED = "waiting", "admitted", "declined", "removed"
PARTICIPANT_STATUSES = (WAITING, ADMITTED, DECLINED, REMOVED)


class RoomControl(db.Model):
    """One row per room once a facilitator has changed something; no row means defaults."""

    __tablename__ = "room_controls"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    # None: the room follows its open rules; True/False: a facilitator's manual override.
    open_override: Mapped[bool | None] = mapped_column(Boolean)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: the default (on for meeting rooms, off for always-open rooms).
    waiting_room: Mapped[bool | None] = mapped_column(Boolean)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    pinned_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoomParticipant(db.Model):
    """A member's standing in a room's current session; cleared when the session ends."""

    __tablename__ = "room_participants"
    __table_args__ = (
        UniqueConstraint("room_id", "user_id", name="uq_room_participants_room_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str | None] = mapped_column(String(16))
    # A fresh random token for each knock: hosts admit or decline by it, never by account id.
    knock_token: Mapped[str | None] = mapped_column(String(32))
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
