"""Who is on duty now, moderators and facilitators going on and off duty, and shifts entered
by admins. Facilitators' duty only makes them peer supporters (support_requests.py): the
header line, the shifts page and the review queue's alerts count moderators alone."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from ...errors import PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import DutyPeriod, RoleGrant, Shift, User
from .. import audit, clock, transaction
from ..review_queue import can_review
from .claims import can_handle_risk


def _open_period(user: User) -> DutyPeriod | None:
    return db.session.scalar(
        select(DutyPeriod).where(DutyPeriod.user_id == user.id, DutyPeriod.ended_at.is_(None))
    )


# Roles whose duty the moderation team's views count (admins supervise the queue).
MODERATING_ROLES = ("moderator", "admin")


def can_take_duty(user: User | None) -> bool:
    """Moderators and admins (the queue) and facilitators (peer support) go on duty."""
    return can_review(user) or (
        user is not None and bool(getattr(user, "is_authenticated", False))
        and user.has_role("facilitator")
    )


def _moderating() -> ColumnElement[bool]:
    return DutyPeriod.user_id.in_(
        select(RoleGrant.user_id).where(RoleGrant.role.in_(MODERATING_ROLES))
    )


def is_on_duty(user: User | None) -> bool:
    """Is this moderator (or facilitator) on duty right now?"""
    return user is not None and getattr(user, "id", None) is not None and (
        _open_period(user) is not None
    )


def on_duty_users(*, moderators_only: bool = True) -> list[User]:
    """Moderators on duty now; with moderators_only=False, facilitators on duty too."""
    query = (
        select(User)
        .join(DutyPeriod, DutyPeriod.user_id == User.id)
        .where(DutyPeriod.ended_at.is_(None))
        .order_by(User.pseudonym)
    )
    if moderators_only:
        query = query.where(_moderating())
    return list(db.session.scalars(query).unique())


def check_set_duty(on: bool, *, acting_user: User) -> None:
    """Go on or off duty (moderators, admins and facilitators); audited."""
    if not can_take_duty(acting_user):
        raise PermissionDenied()
    period = _open_period(acting_user)
    now = clock.now()
    if on and period is None:
        db.session.add(DutyPeriod(user_id=acting_user.id, started_at=now))
        audit.record("duty.on", acting_user=acting_user, target_type="user",
                     target_id=acting_user.id)
    elif not on and period is not None:
        period.ended_at = now
        audit.record("duty.off", acting_user=acting_user, target_type="user",
                     target_id=acting_user.id)
    transaction.commit()
    _forget_header_status()


def check_add_shift(
    starts_at: datetime, ends_at: datetime, *, moderator: User | None, acting_user: User
) -> Shift:
    """Admins enter a shift; audited."""
    if acting_user is None or not acting_user.has_role("admin"):
        raise PermissionDenied()
    if ends_at <= starts_at:
        raise ValidationFailed({"ends_at": [str(_l("A shift must end after it starts."))]})
    shift = Shift(starts_at=starts_at, ends_at=ends_at,
                  user_id=moderator.id if moderator else None, created_by_id=acting_user.id)
    db.session.add(shift)
    db.session.flush()
    audit.record("shift.add", acting_user=acting_user, target_type="shift", target_id=shift.id,
                 details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    transaction.commit()
    _forget_header_status()
    return shift


def check_delete_shift(shift_id: int, *, acting_user: User) -> None:
    """Admins remove a shift; audited."""
    if acting_user is None or not acting_user.has_role("admin"):
        raise PermissionDenied()
    shift = db.session.get(Shift, shift_id)
    if shift is not None:
        db.session.delete(shift)
        audit.record("shift.delete", acting_user=acting_user, target_type="shift",
                     target_id=shift_id)
        transaction.commit()
        _forget_header_status()


def upcoming_shifts(limit: int = 20, now: datetime | None = None) -> list[Shift]:
    """Shifts that have not ended yet, soonest first."""
    now = now or clock.now()
    return list(db.session.scalars(
        select(Shift).where(Shift.ends_at > now).order_by(Shift.starts_at).limit(limit)
    ))


def next_shift_start(now: datetime | None = None) -> datetime | None:
    """When the next shift that has not begun yet starts, if one is scheduled."""
    now = now or clock.now()
    return db.session.scalar(
        select(Shift.starts_at).where(Shift.starts_at > now).order_by(Shift.starts_at).limit(1)
    )


@dataclass(frozen=True)
class DutyStatus:
    """What the header tells members: someone on duty now, or when the next shift starts."""

    on_duty: bool
    next_shift: datetime | None


# Every page shows the duty line; a few seconds' staleness is fine and saves three queries
# per page view. Changes made in this process clear it at once.
HEADER_CACHE_SECONDS = 15.0


def _forget_header_status() -> None:
    current_app.extensions.pop("duty_header_cache", None)


def header_status(now: datetime | None = None) -> DutyStatus:
    """Any open duty period or shift now, else the next shift (cached briefly per process)."""
    if now is not None:
        return _header_status(now)
    cached = current_app.extensions.get("duty_header_cache")
    moment = time.monotonic()
    if cached is not None and cached[0] > moment:
        return cached[1]
    status = _header_status(clock.now())
    current_app.extensions["duty_header_cache"] = (moment + HEADER_CACHE_SECONDS, status)
    return status


def _header_status(now: datetime) -> DutyStatus:
    on = db.session.scalar(
        select(DutyPeriod.id).where(DutyPeriod.ended_at.is_(None), _moderating()).limit(1)
    ) is not None
    if not on:
        on = db.session.scalar(
            select(Shift.id).where(Shift.starts_at <= now, Shift.ends_at > now).limit(1)
        ) is not None
    nxt = None if on else db.session.scalar(
        select(Shift.starts_at).where(Shift.starts_at > now).order_by(Shift.starts_at).limit(1)
    )
    return DutyStatus(on, nxt)


@dataclass(frozen=True)
class Cover:
    """Who can answer now: how many are on duty; when nobody is, the next shift (or None)."""

    on_duty: int
    next_shift: datetime | None


def moderator_cover(now: datetime | None = None) -> Cover:
    """Moderators on duty now who may act on a crisis disclosure (current training), else the
    next shift: what a member in crisis may truthfully be told about people."""
    count = sum(1 for user in on_duty_users() if can_handle_risk(user))
    return Cover(count, None if count else next_shift_start(now))
