"""Items screened while the classifier was unavailable, kept for `flask rescreen`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class PendingRescreen(db.Model):
    """A reference to content (never its text) that must be screened again."""

    __tablename__ = "pending_rescreens"
    __table_args__ = (UniqueConstraint("content_kind", "content_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_kind: Mapped[str] = mapped_column(String(32))
    content_id: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
