"""Community guidelines, versioned so members can be asked to agree again after a change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class GuidelinesVersion(db.Model):
    """One published text of the guidelines; the highest id is current."""

    __tablename__ = "guidelines_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_md: Mapped[str] = mapped_column(Text)
    # The same version in other languages, {"es": markdown}; a language left out is shown in
    # English with a note, so a member never agrees to a text they were not shown.
    translations: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
