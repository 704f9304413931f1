"""Talk to someone now: a member's private request for a live conversation with a supporter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# SupportRequest.status values. open: waiting for a supporter; accepted: a private room is
# in use; closed: either person ended it; withdrawn: the member stopped waiting.
SUPPORT_OPEN, SUPPORT_ACCEPTED = "open", "accepted"
SUPPORT_CLOSED, SUPPORT_WITHDRAWN = "closed", "withdrawn"
SUPPORT_STATUSES = (SUPPORT_OPEN, SUPPORT_ACCEPTED, SUPPORT_CLOSED, SUPPORT_WITHDRAWN)


class SupportRequest(db.Model):
    """One press of "Talk to someone now" and what came of it."""

    __tablename__ = "support_requests"
    __table_args__ = (Index("ix_support_requests_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The requester's id while the request is open or accepted, NULL afterwards: a unique
    # column that allows many NULLs keeps one active request per member, even under a race.
    active_for_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SUPPORT_OPEN)
    note: Mapped[str | None] = mapped_column(Text)
    # False while the pipeline holds the note for a moderator (supporters don't see it).
    note_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Resource ids named by a crisis verdict on the note, shown to the member at once.
    resource_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("rooms.id", ondelete="SET NULL"), index=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the job told the member nobody had answered in time (sent once).
    fallback_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
