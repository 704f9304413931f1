"""Consented check-ins: who opted in (with a random salt), and answers kept apart from accounts.

The answers table has no account column: each row carries only a keyed hash of the account id
and the salt (see forum/services/measures/checkins.py), so the database alone cannot join it
back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CheckinConsent(db.Model):
    """A member's opt-in to the four-weekly check-in. No timestamp: it would help a join."""

    __tablename__ = "checkin_consents"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    salt: Mapped[str] = mapped_column(String(64))


class CheckinAnswer(db.Model):
    """One check-in: belonging (1-5) and the ten BARC-10 items (1-6), by week only."""

    __tablename__ = "checkin_answers"

    # Random, so the row order says nothing about who answered when.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_key: Mapped[str] = mapped_column(String(64), index=True)
    # The Monday of the week answered: no finer time is kept.
    week: Mapped[date] = mapped_column(Date, index=True)
    connected: Mapped[int] = mapped_column(Integer)
    barc: Mapped[list] = mapped_column(JSON)
