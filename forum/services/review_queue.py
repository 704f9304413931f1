"""The review queue's storage side: enqueue content, and minimal moderator decisions.

The queue's pages, claims and richer decisions come in a later issue; features register how to
approve and remove their kind of content with register_handler().
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import ReviewItem, User
from ..models.base import utcnow
from ..models.review import OPEN, RESOLVED
from ..moderation.verdict import ACTION_RANK, PRIORITY_RANK
from . import audit

log = logging.getLogger("forum.review")

# kind -> (approve(content_id, acting_user), remove(content_id, reason, acting_user))
_HANDLERS: dict[str, tuple[Callable[[int, User], None], Callable[[int, str, User], None]]] = {}


def register_handler(
    kind: str,
    approve: Callable[[int, User], None],
    remove: Callable[[int, str, User], None],
) -> None:
    """Let a feature say how its content is published or removed by a moderator."""
    _HANDLERS[kind] = (approve, remove)


def can_review(user: User | None) -> bool:
    """Moderators decide on queued content."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role(
        "moderator"
    )


def _stricter(a: str, b: str, rank: dict[str, int]) -> str:
    return a if rank.get(a, -1) >= rank.get(b, -1) else b


def do_enqueue(
    kind: str, content_id: int, *, verdict: Any = None, report: Any = None
) -> ReviewItem:
    """Add content to the queue, or add this verdict or report to its existing item."""
    item = db.session.scalar(
        select(ReviewItem).where(
            ReviewItem.content_kind == kind, ReviewItem.content_id == content_id
        )
    )
    now = utcnow()
    if item is None:
        item = ReviewItem(
            content_kind=kind, content_id=content_id, status=OPEN, action="allow",
            categories=[], priority="low", sources=[], reasons=[], report_count=0,
            created_at=now,
        )
        db.session.add(item)
    elif item.status != OPEN:
        # A resolved item comes back: a new report or an edit deserves a fresh look.
        item.status = OPEN
        item.resolved_at = None
        item.resolved_by_id = None
        item.resolution = None
        item.resolution_reason = None
    sources = list(item.sources or [])
    reasons = list(item.reasons or [])
    categories = set(item.categories or [])
    if verdict is not None:
        if "pipeline" not in sources:
            sources.append("pipeline")
        item.action = _stricter(item.action, verdict.action, ACTION_RANK)
        categories.update(verdict.categories)
        if verdict.priority:
            item.priority = _stricter(item.priority, verdict.priority, PRIORITY_RANK)
        reasons.extend(r.to_dict() for r in verdict.reasons)
    if report is not None:
        if "report" not in sources:
            sources.append("report")
        item.report_count = (item.report_count or 0) + 1
        item.priority = _stricter(item.priority, "normal", PRIORITY_RANK)
        reasons.append({"source": "report", "id": f"report:{report.id}", "category": "report",
                        "span": None, "score": None})
    # Reassign so the JSON columns are seen as changed.
    item.sources = sources
    item.reasons = reasons
    item.categories = sorted(categories)
    item.updated_at = now
    db.session.flush()
    log.info("review enqueued kind=%s content_id=%s item_id=%s", kind, content_id, item.id)
    return item


def access_item(item_id: int, *, acting_user: User) -> ReviewItem:
    """A queue item, for moderators only (NotFound otherwise)."""
    item = db.session.get(ReviewItem, item_id)
    if item is None or not can_review(acting_user):
        raise NotFound()
    return item


def item_for(kind: str, content_id: int) -> ReviewItem | None:
    """The queue item of a piece of content, if any."""
    return db.session.scalar(
        select(ReviewItem).where(
            ReviewItem.content_kind == kind, ReviewItem.content_id == content_id
        )
    )


def _resolve(item: ReviewItem, resolution: str, reason: str | None, acting_user: User) -> None:
    item.status = RESOLVED
    item.resolution = resolution
    item.resolution_reason = reason
    item.resolved_at = utcnow()
    item.resolved_by_id = acting_user.id


def do_approve(item: ReviewItem, *, acting_user: User) -> None:
    """Publish the content (if held) and close the item; audited in the same transaction."""
    if not can_review(acting_user):
        raise PermissionDenied()
    handler = _HANDLERS.get(item.content_kind)
    if handler is not None:
        handler[0](item.content_id, acting_user)
    _resolve(item, "approved", None, acting_user)
    audit.record(
        "review.approve", acting_user=acting_user, target_type=item.content_kind,
        target_id=item.content_id, details={"item_id": item.id},
    )
    db.session.commit()


def do_remove(item: ReviewItem, reason: str, *, acting_user: User) -> None:
    """Hide the content (kept for moderators until retention) and close the item; audited."""
    if not can_review(acting_user):
        raise PermissionDenied()
    handler = _HANDLERS.get(item.content_kind)
    if handler is not None:
        handler[1](item.content_id, reason, acting_user)
    _resolve(item, "removed", reason, acting_user)
    audit.record(
        "review.remove", acting_user=acting_user, target_type=item.content_kind,
        target_id=item.content_id, reason=reason, details={"item_id": item.id},
    )
    db.session.commit()
