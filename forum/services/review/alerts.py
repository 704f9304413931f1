"""Urgent alerts: an urgent item reaches every on-duty trained moderator at once, and after
5 minutes unclaimed, every trained moderator and every admin.

Alerts leave through the event bus (events.py), so only after the transaction commits.
Audiences are room names the /mod namespace joins (forum/realtime/mod.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import ReviewItem, RoleGrant, User
from ...models.review import OPEN
from .. import audit, clock, events, review_queue, transaction
from ..accounts import staff_gate, two_factor
from ..accounts.account import is_suspended
from ..push import outbox as push_outbox
from . import duty
from .claims import can_handle_risk

log = logging.getLogger("forum.review")

ESCALATE_AFTER = timedelta(minutes=5)
ROOM_DUTY_TRAINED = "duty-trained"
ROOM_DUTY = "duty"
ROOM_TRAINED_ALL = "trained-all"
ROOM_ADMINS = "admins"
ROOM_SUPERVISORS = "supervisors"
QUEUE_ITEM = "queue_item"


def payload(item: ReviewItem, now: datetime | None = None) -> dict:
    """The `queue_item` event of DESIGN.md 3.4: no content, no author."""
    now = now or clock.now()
    return {
        "id": item.id,
        "priority": item.priority,
        "categories": list(item.categories or []),
        "age_s": max(0, int((now - item.created_at).total_seconds())),
    }


def _may_use_staff_roles(user: User) -> bool:
    # An account that must sign in with a second factor and has none uses its staff roles in
    # no sign-in (staff_gate): it hears no alert, on a page or on its phone.
    return not staff_gate.second_factor_required(user) or two_factor.has_second_factor(user)


def accounts_for(rooms: tuple[str, ...]) -> list[int]:
    """The accounts behind the alert rooms, for the alerts that reach a phone (Web Push):
    the same people the /mod rooms hold (forum/realtime/mod.py), connected or not."""
    found: dict[int, User] = {}
    if ROOM_DUTY in rooms or ROOM_DUTY_TRAINED in rooms:
        for user in duty.on_duty_users():
            if review_queue.can_review(user) and (
                    ROOM_DUTY in rooms or can_handle_risk(user)):
                found[user.id] = user
    if ROOM_TRAINED_ALL in rooms or ROOM_ADMINS in rooms:
        staff = db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role.in_(("moderator", "admin")))).unique()
        for user in staff:
            if (ROOM_ADMINS in rooms and user.holds_role("admin")) or (
                    ROOM_TRAINED_ALL in rooms and can_handle_risk(user)):
                found[user.id] = user
    return sorted(uid for uid, user in found.items()
                  if _may_use_staff_roles(user) and not is_suspended(user))


def _alert(item: ReviewItem, rooms: tuple[str, ...], now: datetime | None = None) -> None:
    events.publish(QUEUE_ITEM, payload(item, now), audience=rooms)
    push_outbox.urgent_item(item.id, accounts_for(rooms))


def alert_on_duty(item: ReviewItem) -> None:
    # Risk items need training; other urgent items may go to any on-duty moderator.
    room = ROOM_DUTY_TRAINED if item.is_risk else ROOM_DUTY
    _alert(item, (room,))
    log.info("review urgent alert item_id=%s room=%s", item.id, room)


def run_escalation(now: datetime | None = None) -> int:
    """Widen the alert for urgent items still unclaimed after 5 minutes; returns how many."""
    now = now or clock.now()
    due = list(db.session.scalars(
        select(ReviewItem).where(
            ReviewItem.status == OPEN,
            ReviewItem.priority == "urgent",
            ReviewItem.claimed_by_id.is_(None),
            ReviewItem.widened_at.is_(None),
            ReviewItem.created_at <= now - ESCALATE_AFTER,
        )
    ))
    for item in due:
        item.widened_at = now
        _alert(item, (ROOM_TRAINED_ALL, ROOM_ADMINS), now)
        audit.record("review.alert_widened", acting_user=None, target_type="review_item",
                     target_id=item.id, details={"age_s": payload(item, now)["age_s"]})
        log.info("review alert widened item_id=%s", item.id)
    transaction.commit()
    return len(due)
