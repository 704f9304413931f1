"""The moderation team's records: decisions, sanctions and appeals, the inbox, duty and shifts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class ReviewDecision(db.Model):
    """One decision on a review item, with the reason that is kept."""

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # approve | remove | edit | escalate | dismiss | followup | message
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sanction(db.Model):
    """A strike: warn, mute (no posting or chatting) or suspend (no login), with its reason."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # warn | mute | suspend
    reason: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id", ondelete="SET NULL")
    )
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an appeal overturns it; the strike then no longer counts or restricts.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appeal = relationship("Appeal", back_populates="sanction", uselist=False, lazy="selectin")


class Appeal(db.Model):
    """A member's one appeal against a strike, decided by a different moderator."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(
        ForeignKey("sanctions.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|upheld|overturned
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    sanction = relationship("Sanction", back_populates="appeal", lazy="joined")


class TeamMessage(db.Model):
    """A private message between one member and the moderation team (never member to member)."""

    __tablename__ = "team_messages"
    __table_args__ = (Index("ix_team_messages_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The moderator who wrote it; None when the member wrote it.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_team: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DutyPeriod(db.Model):
    """A stretch of time a moderator was on duty; open while ended_at is None."""

    __tablename__ = "duty_periods"
    __table_args__ = (Index("ix_duty_periods_open", "ended_at", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Shift(db.Model):
    """A scheduled moderation shift, entered by an admin."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ItemView(db.Model):
    """A moderator opened a distressing item; counted for break suggestions, nothing else."""

    __tablename__ = "review_item_views"
    __table_args__ = (Index("ix_review_item_views_user", "user_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueSnapshot(db.Model):
    """The open queue's size at one moment, taken by a job for the team view."""

    __tablename__ = "queue_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    by_priority: Mapped[dict] = mapped_column(JSON, default=dict)
