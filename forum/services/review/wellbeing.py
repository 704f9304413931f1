"""Moderator well-being: count distressing items read in the last hour and suggest a break,
naming who else is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...models import ItemView, ReviewItem, User
from .. import clock, transaction
from . import duty

DEFAULT_BREAK_AFTER = 5


@dataclass(frozen=True)
class BreakSuggestion:
    """Shown when a moderator read many distressing items within the hour."""

    count: int
    others_on_duty: list[str]


def do_record_view(item: ReviewItem, user: User, now: datetime | None = None) -> None:
    """Remember that this moderator opened a distressing item (commits)."""
    if not item.is_risk:
        return
    db.session.add(ItemView(user_id=user.id, item_id=item.id, viewed_at=now or clock.now()))
    transaction.commit()


def break_suggestion(user: User, now: datetime | None = None) -> BreakSuggestion | None:
    """A break suggestion after REVIEW_BREAK_AFTER distressing items in an hour, else None."""
    now = now or clock.now()
    limit = int(current_app.config.get("REVIEW_BREAK_AFTER", DEFAULT_BREAK_AFTER))
    count = db.session.scalar(select(func.count(func.distinct(ItemView.item_id))).where(
        ItemView.user_id == user.id, ItemView.viewed_at > now - timedelta(hours=1))) or 0
    if count < limit:
        return None
    others = [u.pseudonym for u in duty.on_duty_users() if u.id != user.id]
    return BreakSuggestion(count, others)
