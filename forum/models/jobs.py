"""Leases that let several server processes share one schedule of background jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class JobLease(db.Model):
    """One row per named job: when it last ran, and who holds it while it runs."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(String(100))
    # A holder that dies mid-run loses the lease when this passes.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
