"""Signing in: the sessions an account has open and its second factors.

No table here holds an IP address or a user agent: a session is known by when it began, the hour
it was last seen and the name its owner gave the device.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# How a sign-in or a step-up was confirmed.
FACTOR_METHODS = ("password", "totp", "passkey", "backup")


class SignIn(db.Model):
    """One signed-in browser: its row ending ends the session, wherever its cookie is."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Truncated to the hour: enough to tell a forgotten session, not a diary of visits.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device_name: Mapped[str | None] = mapped_column(String(64))
    # The second factor that opened it ("totp", "passkey", "backup"); None: the password alone.
    second_factor: Mapped[str | None] = mapped_column(String(16))
    # When the owner last proved it was them (sign-in counts), and how.
    stepped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    step_up_method: Mapped[str | None] = mapped_column(String(16))
    # Staff sessions only: the moment it ends unless used before (FORUM_STAFF_IDLE_MINUTES).
    idle_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class TotpFactor(db.Model):
    """An authenticator app: its secret (encrypted with a key derived from the app's secret)."""

    __tablename__ = "totp_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    secret_sealed: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while enrolling: the factor counts once a first code from the app was accepted.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step whose code was accepted: a code works once, even in its window.
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class PasskeyCredential(db.Model):
    """A passkey or security key (WebAuthn): its public key, never a private one."""

    __tablename__ = "passkey_credentials"
    __table_args__ = (UniqueConstraint("credential_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackupCode(db.Model):
    """A one-time code, stored hashed, that stands in for a lost second factor."""

    __tablename__ = "backup_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
