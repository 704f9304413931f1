"""Claims: one moderator at a time works an item; a claim lapses 15 minutes after the last
action on it; admins release claims. Risk items need current crisis-response training."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ReviewItem, User
from ...models.review import ESCALATED, OPEN
from .. import audit, clock, transaction
from ..accounts.roles import has_current_training
from ..push import outbox as push_outbox
from ..review_queue import can_review, is_supervisor

log = logging.getLogger("forum.review")
CLAIM_LAPSE = timedelta(minutes=15)
TRAINING = "crisis-response"


def can_handle_risk(user: User | None) -> bool:
    """May this person read and act on crisis, method and overdose items?"""
    return can_review(user) and has_current_training(user, TRAINING, on=clock.now().date())


def can_read(item: ReviewItem, user: User | None) -> bool:
    """May this person see the item's content? (Others only see that it exists and its wait.)"""
    if not can_review(user):
        return False
    return can_handle_risk(user) if item.is_risk else True


def can_claim(item: ReviewItem, user: User | None) -> bool:
    """Training for risk items; escalated items go to supervisors; resolved items to nobody."""
    if not can_read(item, user) or item.status not in (OPEN, ESCALATED):
        return False
    return item.status == OPEN or is_supervisor(user)


def claim_lapsed(item: ReviewItem, now: datetime | None = None) -> bool:
    """True when the claim has had no action for 15 minutes."""
    touched = item.claim_touched_at or item.claimed_at
    return touched is None or (now or clock.now()) - touched >= CLAIM_LAPSE


def active_claimant(item: ReviewItem, now: datetime | None = None) -> int | None:
    """Who holds a live claim on the item, if anyone."""
    if item.claimed_by_id is None or claim_lapsed(item, now):
        return None
    return item.claimed_by_id


def check_claim(item: ReviewItem, *, acting_user: User, now: datetime | None = None) -> None:
    """Claim an item so nobody else acts on it; audited."""
    now = now or clock.now()
    if not can_review(acting_user):
        raise NotFound()
    if not can_claim(item, acting_user):
        raise PermissionDenied()
    holder = active_claimant(item, now)
    if holder is not None and holder != acting_user.id:
        raise ValidationFailed({"claim": [str(_l("Another moderator is working on this."))]})
    item.claimed_by_id = acting_user.id
    item.claimed_at = item.claimed_at if holder == acting_user.id else now
    item.claim_touched_at = now
    if item.first_action_at is None:
        item.first_action_at = now
    audit.record("review.claim", acting_user=acting_user, target_type="review_item",
                 target_id=item.id)
    # Someone has it: the other moderators' phones stop showing the alert.
    push_outbox.item_claimed(item.id)
    transaction.commit()
    log.info("review claimed item_id=%s account_id=%s", item.id, acting_user.id)


def ensure_claim(item: ReviewItem, acting_user: User, now: datetime) -> None:
    """Before a decision: hold the claim (taking a free one), or refuse."""
    if not can_claim(item, acting_user):
        raise PermissionDenied()
    holder = active_claimant(item, now)
    if holder is not None and holder != acting_user.id:
        raise ValidationFailed({"claim": [str(_l("Another moderator is working on this."))]})
    if holder is None:
        item.claimed_by_id = acting_user.id
        item.claimed_at = now
        push_outbox.item_claimed(item.id)
    item.claim_touched_at = now


def check_release(item: ReviewItem, *, acting_user: User, now: datetime | None = None) -> None:
    """The claimant lets go, or an admin releases anyone's claim; audited."""
    now = now or clock.now()
    if not can_review(acting_user):
        raise NotFound()
    holder = active_claimant(item, now)
    if holder != acting_user.id and not acting_user.has_role("admin"):
        raise PermissionDenied()
    previous = item.claimed_by_id
    item.claimed_by_id = None
    item.claimed_at = None
    item.claim_touched_at = None
    audit.record("review.release", acting_user=acting_user, target_type="review_item",
                 target_id=item.id, details={"claimed_by": previous})
    transaction.commit()


def run_lapse(now: datetime | None = None) -> int:
    """Clear claims with no action for 15 minutes (a job); returns how many."""
    now = now or clock.now()
    stale = list(db.session.scalars(
        select(ReviewItem).where(
            ReviewItem.claimed_by_id.is_not(None),
            ReviewItem.claim_touched_at <= now - CLAIM_LAPSE,
        )
    ))
    for item in stale:
        audit.record("review.claim_lapsed", acting_user=None, target_type="review_item",
                     target_id=item.id, details={"claimed_by": item.claimed_by_id})
        item.claimed_by_id = None
        item.claimed_at = None
        item.claim_touched_at = None
    transaction.commit()
    return len(stale)
