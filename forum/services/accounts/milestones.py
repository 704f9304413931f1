"""Milestones without shame: days since a recovery start, kept history after a relapse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import ValidationFailed
from ...extensions import db
from ...models import Milestone, User
from ...models.base import utcnow
from .. import transaction


@dataclass(frozen=True)
class MilestoneView:
    """What a member sees about their own milestone."""

    recovery_start: date | None
    show_days: bool
    days: int | None
    days_in_community: int
    came_back_count: int


def _get(user: User) -> Milestone | None:
    return db.session.scalar(select(Milestone).where(Milestone.user_id == user.id))


def view(user: User, today: date | None = None) -> MilestoneView:
    """The member's milestone: days, days in the community and times they came back."""
    today = today or date.today()
    row = _get(user)
    start = row.recovery_start if row else None
    return MilestoneView(
        recovery_start=start,
        show_days=bool(row and row.show_days),
        days=(today - start).days if start else None,
        days_in_community=max(0, (today - user.created_at.date()).days),
        came_back_count=row.came_back_count if row else 0,
    )


def check_set_start(user: User, start: date | None, *, came_back: bool, show_days: bool,
                    today: date | None = None) -> Milestone:
    """Set or reset the start date; a reset after a relapse counts a "came back", erases nothing."""
    today = today or date.today()
    if start is not None and start > today:
        raise ValidationFailed({"recovery_start": [str(_l("The date can't be in the future."))]})
    row = _get(user)
    if row is None:
        row = Milestone(user_id=user.id, came_back_count=0)
        db.session.add(row)
    if came_back and row.recovery_start is not None and start != row.recovery_start:
        row.came_back_count = (row.came_back_count or 0) + 1
    row.recovery_start = start
    row.show_days = bool(show_days and start is not None)
    row.updated_at = utcnow()
    transaction.commit()
    return row


def days_shown(user_ids: set[int], today: date | None = None) -> dict[int, int]:
    """Days since the start for the members on a page who chose to show them."""
    if not user_ids:
        return {}
    today = today or date.today()
    rows = db.session.execute(
        select(Milestone.user_id, Milestone.recovery_start).where(
            Milestone.user_id.in_(user_ids), Milestone.show_days.is_(True),
            Milestone.recovery_start.is_not(None),
        )
    ).all()
    return {uid: (today - start).days for uid, start in rows}


def erase(user: User) -> None:
    """Forget the member's milestone (account deletion)."""
    row = _get(user)
    if row is not None:
        db.session.delete(row)
