"""Accounts: pseudonymous members, their roles, recovery codes and training."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

ROLES = ("member", "facilitator", "moderator", "supervisor", "admin")


class User(UserMixin, db.Model):
    """A member account: a pseudonym and a password hash, nothing that names the person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32))
    # Case-folded copy so "River" and "river" cannot both exist.
    pseudonym_key: Mapped[str] = mapped_column(String(32), unique=True)
    # pseudonyms.pseudonym_skeleton: names that look alike share it, so one query finds a
    # look-alike. Not unique: accounts made before it existed may already share one.
    pseudonym_skeleton: Mapped[str | None] = mapped_column(String(32), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    guidelines_version: Mapped[int | None] = mapped_column(Integer)
    guidelines_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on log-out and password change: every session made before stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether reactions to the member's posts reach their notifications (one per post).
    support_notifications: Mapped[bool] = mapped_column(Boolean, default=True,
                                                        server_default=true())
    # When the member hid the home page's first-visit welcome; None: it is still shown.
    welcome_dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleGrant.user_id",
    )
    # Mutes not overturned. Read with the account for each request and event, those not yet
    # ended (auth_loader), so a chat send needs no query for them (sanctions.is_muted still
    # compares ends_at with the clock); written only as Sanction rows.
    unrevoked_mutes = relationship(
        "Sanction", viewonly=True,
        primaryjoin="and_(User.id == foreign(Sanction.user_id), Sanction.kind == 'mute', "
                    "Sanction.revoked_at.is_(None))",
    )

    # Set per request by auth_loader for the signed-in account, never stored: the sign-in
    # (models.SignIn) it acts through, and the staff roles it may not use in that sign-in
    # until a second factor opens it (services/accounts/staff_gate.py).
    sign_in = None
    locked_roles: frozenset[str] = frozenset()

    def get_id(self) -> str:
        """Session id: account id plus generation, so log-out or a new password ends sessions."""
        return f"{self.id}:{self.session_generation}"

    def has_role(self, role: str) -> bool:
        """Whether the account may act in this role now: granted, and not locked in this
        sign-in for want of a second factor. Every account is a member."""
        return role not in self.locked_roles and self.holds_role(role)

    def holds_role(self, role: str) -> bool:
        """Whether the role is granted, usable now or not."""
        return role == "member" or any(g.role == role for g in self.roles)

    @property
    def role_names(self) -> list[str]:
        """All roles held, member first."""
        return ["member"] + sorted(g.role for g in self.roles)


class RoleGrant(db.Model):
    """A role beyond member held by an account."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class PseudonymHistory(db.Model):
    """Earlier pseudonyms, kept for moderators only and erased with the account."""

    __tablename__ = "pseudonym_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """A one-time code, stored hashed, that resets a forgotten password without email."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RememberToken(db.Model):
    """"Keep me logged in" on one device: a random secret, stored hashed, replaced at each use."""

    __tablename__ = "remember_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The secret before the last rotation, accepted briefly for a browser's parallel requests.
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The sign-in that asked to be remembered: the token restores that one (with its second
    # factor and name), and ending it from the sessions page ends the token with it.
    sign_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("sign_ins.id", ondelete="CASCADE"), index=True)


class TrainingRecord(db.Model):
    """A completed training module (crisis-response, privacy, ...) with an optional expiry."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(64))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mute(db.Model):
    """One member's choice to collapse another member's posts and messages."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("muter_id", "muted_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    muter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    muted_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
