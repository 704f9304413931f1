"""The review queue's storage: one item per piece of content that a moderator should see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

OPEN, RESOLVED = "open", "resolved"


class ReviewItem(db.Model):
    """Content routed to moderators by the pipeline or by reports; reopened, never duplicated."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("content_kind", "content_id"),
        Index("ix_review_items_status_created", "status", "created_at"),
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
    resolution: Mapped[str | None] = mapped_column(String(16))  # approved | removed
    resolution_reason: Mapped[str | None] = mapped_column(Text)
