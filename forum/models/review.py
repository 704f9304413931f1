"""The review queue's storage: one item per piece of content that a moderator should see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

OPEN, ESCALATED, RESOLVED = "open", "escalated", "resolved"
STATUSES = (OPEN, ESCALATED, RESOLVED)
PRIORITIES = ("urgent", "high", "normal", "low")
# Sorting by a small integer keeps the queue's (status, rank, created_at) index usable.
PRIORITY_ORDER = {p: i for i, p in enumerate(PRIORITIES)}
RISK_CATEGORIES = frozenset({"crisis", "crisis-method", "overdose"})


class ReviewItem(db.Model):
    """Content routed to moderators by the pipeline or by reports; reopened, never duplicated."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("content_kind", "content_id"),
        Index("ix_review_items_status_created", "status", "created_at"),
        Index("ix_review_items_queue", "status", "priority_rank", "created_at", "id"),
        # Rule quality reads the items decided in a window.
        Index("ix_review_items_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_kind: Mapped[str] = mapped_column(String(32))
    content_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    # The strictest pipeline action seen for this content (allow when only reported).
    action: Mapped[str] = mapped_column(String(16), default="allow")
    categories: Mapped[list] = mapped_column(JSON, default=list)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    sources: Mapped[list] = mapped_column(JSON, default=list)  # "pipeline" and/or "report"
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # approved | removed | edited | dismissed
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    priority_rank: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Where the content lives and who wrote it (never shown: only used for summaries and sanctions).
    board_id: Mapped[int | None] = mapped_column(Integer)
    room_id: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time the claimant did something on the item; a claim lapses 15 minutes after it.
    claim_touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    widened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup: Mapped[str | None] = mapped_column(String(32))
    # The deciding moderator's answer to "did this need follow-up?": was the flag worth a
    # moderator's time. Kept with the resolution it belongs to; None when not asked or given.
    followup_needed: Mapped[bool | None] = mapped_column(Boolean)

    @property
    def is_risk(self) -> bool:
        """Crisis, method details or an overdose: needs crisis-response training."""
        return bool(RISK_CATEGORIES.intersection(self.categories or ()))
