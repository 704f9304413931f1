"""Urgent alerts: an urgent item reaches every on-duty trained moderator at once, and after
5 minutes unclaimed, every trained moderator and every admin.

Alerts leave through the event bus (events.py), so only after the transaction commits.
Audiences are room names the /mod namespace joins (forum/realtime/mod.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import ReviewItem
from ..models.review import OPEN
from . import audit, clock, events, review_queue

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


def _alert_on_duty(item: ReviewItem) -> None:
    # Risk items need training; other urgent items may go to any on-duty moderator.
    room = ROOM_DUTY_TRAINED if item.is_risk else ROOM_DUTY
    events.publish(QUEUE_ITEM, payload(item), audience=(room,))
    log.info("review urgent alert item_id=%s room=%s", item.id, room)


review_queue.on_urgent(_alert_on_duty)


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
        events.publish(QUEUE_ITEM, payload(item, now), audience=(ROOM_TRAINED_ALL, ROOM_ADMINS))
        audit.record("review.alert_widened", acting_user=None, target_type="review_item",
                     target_id=item.id, details={"age_s": payload(item, now)["age_s"]})
        log.info("review alert widened item_id=%s", item.id)
    db.session.commit()
    return len(due)
