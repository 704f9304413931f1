"""Roles beyond member, and training records for moderators and facilitators."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ROLES, RoleGrant, TrainingRecord, User
from .. import audit, transaction
from . import step_up

TRAINING_MODULES = (
    "crisis-response",
    "boundaries-and-ethics",
    "privacy",
    "facilitation",
    "peer-support",
)


def can_manage_roles(user: User | None) -> bool:
    """Only admins grant roles and record training; None is the operator's command line."""
    return user is None or user.has_role("admin")


def _require_manager(acting_user: User | None) -> str | None:
    """An admin who confirmed it is them within step_up.WINDOW (or the command line); the
    method of that proof, for the audit row."""
    if not can_manage_roles(acting_user):
        raise PermissionDenied()
    return step_up.require(acting_user) if acting_user is not None else None


def check_grant_role(user: User, role: str, *, acting_user: User | None) -> RoleGrant | None:
    """Grant a role (idempotent) and audit it; returns None when already held."""
    method = _require_manager(acting_user)
    if role not in ROLES or role == "member":
        raise ValidationFailed({"role": [str(_l("Unknown role: %(r)s", r=role))]})
    # The grant itself, usable or not: a staff account locked for want of a second factor
    # (staff_gate) still holds its roles, and must not be granted them twice.
    if user.holds_role(role):
        return None
    grant = RoleGrant(
        user_id=user.id, role=role, granted_by_id=acting_user.id if acting_user else None
    )
    user.roles.append(grant)
    audit.record(
        "role.grant",
        acting_user=acting_user,
        target_type="user",
        target_id=user.id,
        details=step_up.with_method({"role": role}, method),
    )
    transaction.commit()
    return grant


def _is_last_admin(user: User) -> bool:
    """Is this the only account holding admin? The admin grants are locked (PostgreSQL) so two
    admins removing their own role at once cannot both see the other one still there."""
    holders = db.session.scalars(
        select(RoleGrant.user_id).where(RoleGrant.role == "admin").with_for_update()
    ).all()
    return set(holders) == {user.id}


def check_revoke_role(user: User, role: str, *, acting_user: User | None) -> bool:
    """Take a role away and audit it; False when it was not held. The last admin keeps theirs:
    without one, nobody could grant roles from the browser again."""
    method = _require_manager(acting_user)
    if role not in ROLES or role == "member":
        raise ValidationFailed({"role": [str(_l("Unknown role: %(r)s", r=role))]})
    if not user.holds_role(role):
        return False
    if role == "admin" and _is_last_admin(user):
        raise ValidationFailed({"role": [str(_l(
            "This is the only admin account. Make someone else an admin before removing it."))]})
    for grant in list(user.roles):
        if grant.role == role:
            user.roles.remove(grant)
    audit.record(
        "role.revoke",
        acting_user=acting_user,
        target_type="user",
        target_id=user.id,
        details=step_up.with_method({"role": role}, method),
    )
    transaction.commit()
    return True


def check_record_training(
    user: User,
    module: str,
    *,
    completed_on: date,
    expires_on: date | None,
    acting_user: User | None,
) -> TrainingRecord:
    """Record a completed training module (or its renewal) and audit it."""
    method = _require_manager(acting_user)
    if module not in TRAINING_MODULES:
        raise ValidationFailed(
            {"module": [str(_l("Unknown module. Known: %(m)s", m=", ".join(TRAINING_MODULES)))]}
        )
    # A day of slack: the admin's calendar may already be on tomorrow.
    if completed_on > date.today() + timedelta(days=1):
        raise ValidationFailed(
            {"completed": [str(_l("The completion date can't be in the future."))]}
        )
    if expires_on is not None and expires_on <= completed_on:
        raise ValidationFailed({"expires": [str(_l("The expiry must be after completion."))]})
    # A module recorded before is a renewal: the earlier record stays as history.
    renewal = db.session.scalar(
        select(TrainingRecord.id)
        .where(TrainingRecord.user_id == user.id, TrainingRecord.module == module)
        .limit(1)
    ) is not None
    record = TrainingRecord(
        user_id=user.id, module=module, completed_on=completed_on, expires_on=expires_on
    )
    db.session.add(record)
    audit.record(
        "training.renew" if renewal else "training.record",
        acting_user=acting_user,
        target_type="user",
        target_id=user.id,
        details=step_up.with_method(
            {"module": module, "expires_on": expires_on.isoformat() if expires_on else None},
            method),
    )
    transaction.commit()
    return record


def has_current_training(user: User, module: str, *, on: date | None = None) -> bool:
    """Does this person hold current (completed, unexpired) training in the module?"""
    on = on or date.today()
    found = db.session.scalar(
        select(TrainingRecord.id)
        .where(
            TrainingRecord.user_id == user.id,
            TrainingRecord.module == module,
            TrainingRecord.completed_on <= on,
            (TrainingRecord.expires_on.is_(None)) | (TrainingRecord.expires_on >= on),
        )
        .limit(1)
    )
    return found is not None


def training_of(user: User) -> list[TrainingRecord]:
    """All training records of a person, newest first."""
    return list(
        db.session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.user_id == user.id)
            .order_by(TrainingRecord.completed_on.desc())
        )
    )
