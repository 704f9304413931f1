"""The review queue: enqueue content (one item per piece of content), list, filter and count.

How each kind of content is located, approved and removed is its ContentKind
(content_kinds.py). Claims are in review_claims.py, decisions in review_decisions.py, alerts and
escalation in review_alerts.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, select

from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import Board, ReviewItem, Room, User
from ..models.review import OPEN, PRIORITY_ORDER, RESOLVED, STATUSES
from ..moderation.verdict import ACTION_RANK, PRIORITY_RANK
from . import audit, clock, content_kinds, transaction

log = logging.getLogger("forum.review")

def can_remove(kind: str) -> bool:
    """Does removing mean something for this kind of content (its kind says how)?"""
    content = content_kinds.get(kind)
    return content is not None and content.remove is not None


# Called after an item is created or raised to urgent (review_alerts sets this).
_ON_URGENT: list[Callable[[ReviewItem], None]] = []
PAGE_SIZE = 50
NAME_MAX = 100  # a board or room filter, by address or name


def on_urgent(callback: Callable[[ReviewItem], None]) -> None:
    """Run callback when an item becomes urgent (once per item)."""
    if callback not in _ON_URGENT:
        _ON_URGENT.append(callback)


def can_review(user: User | None) -> bool:
    """Moderators (and admins, who supervise them) work the queue."""
    return (
        user is not None
        and bool(getattr(user, "is_authenticated", False))
        and (user.has_role("moderator") or user.has_role("admin"))
    )


def is_supervisor(user: User | None) -> bool:
    """Supervisors receive escalations: admins and moderators marked as supervisor."""
    return can_review(user) and (user.has_role("admin") or user.has_role("supervisor"))


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
    now = clock.now()
    if item is None:
        author_id = board_id = room_id = None
        content = content_kinds.get(kind)
        if content is not None and content.locate is not None:
            author_id, board_id, room_id = content.locate(content_id)
        item = ReviewItem(
            content_kind=kind, content_id=content_id, status=OPEN, action="allow",
            categories=[], priority="low", priority_rank=PRIORITY_ORDER["low"], sources=[],
            reasons=[], report_count=0, created_at=now, author_id=author_id,
            board_id=board_id, room_id=room_id,
        )
        db.session.add(item)
    elif item.status != OPEN:
        # A resolved item comes back: a new report or an edit deserves a fresh look.
        item.status = OPEN
        item.resolved_at = None
        item.resolved_by_id = None
        item.resolution = None
        item.resolution_reason = None
        item.claimed_by_id = None
        item.claimed_at = None
        item.claim_touched_at = None
        # A fresh look is a fresh wait: the 5-minute target counts from now.
        item.created_at = now
        item.alerted_at = None
        item.widened_at = None
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
    item.priority_rank = PRIORITY_ORDER.get(item.priority, PRIORITY_ORDER["normal"])
    item.updated_at = now
    db.session.flush()
    if item.priority == "urgent" and item.alerted_at is None:
        item.alerted_at = now
        for callback in _ON_URGENT:
            callback(item)
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


def resolve(item: ReviewItem, resolution: str, reason: str | None, acting_user: User) -> None:
    item.status = RESOLVED
    item.resolution = resolution
    item.resolution_reason = reason
    item.resolved_at = clock.now()
    item.resolved_by_id = acting_user.id
    item.claimed_by_id = None
    item.claimed_at = None
    item.claim_touched_at = None
    if item.first_action_at is None:
        item.first_action_at = item.resolved_at


def do_approve(item: ReviewItem, *, acting_user: User) -> None:
    """Publish the content (if held) and close the item; audited in the same transaction."""
    if not can_review(acting_user):
        raise PermissionDenied()
    content = content_kinds.get(item.content_kind)
    if content is not None and content.approve is not None:
        content.approve(item.content_id, acting_user)
    resolve(item, "approved", None, acting_user)
    audit.record(
        "review.approve", acting_user=acting_user, target_type=item.content_kind,
        target_id=item.content_id, details={"item_id": item.id},
    )
    transaction.commit()


def do_remove(item: ReviewItem, reason: str, *, acting_user: User) -> None:
    """Hide the content (kept for moderators until retention) and close the item; audited."""
    if not can_review(acting_user):
        raise PermissionDenied()
    content = content_kinds.get(item.content_kind)
    if content is not None and content.remove is not None:
        content.remove(item.content_id, reason, acting_user)
    resolve(item, "removed", reason, acting_user)
    audit.record(
        "review.remove", acting_user=acting_user, target_type=item.content_kind,
        target_id=item.content_id, reason=reason, details={"item_id": item.id},
    )
    transaction.commit()


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page shows: a status and optional category, source, board or room (the
    board and room by address or name, as moderators know them)."""

    status: str = OPEN
    category: str | None = None
    source: str | None = None
    board: str | None = None
    room: str | None = None

    @classmethod
    def parse(cls, args: Any) -> QueueFilter:
        """Read a filter from query arguments, ignoring anything malformed."""
        status = args.get("status") or OPEN
        if status not in STATUSES:
            status = OPEN

        def name(key: str) -> str | None:
            value = args.get(key)
            if not isinstance(value, str):
                return None
            return value.replace("\x00", "").strip()[:NAME_MAX] or None

        category = (args.get("category") or "").strip()[:32] or None
        source = args.get("source") if args.get("source") in ("pipeline", "report") else None
        return cls(status, category, source, name("board"), name("room"))



def _json_has(column: Any, value: str) -> Any:
    # JSON lists are stored as text like ["crisis", "pii"] on both databases; the quotes keep
    # "crisis" from matching "crisis-method".
    return cast(column, String).like(f'%"{value}"%')


def _named(model: Any, label: Any, value: str) -> Any:
    # The address, or the name as shown (any case): an unknown one matches nothing.
    return select(model.id).where(or_(model.slug == value, model.slug == value.lower(),
                                      func.lower(label) == value.lower()))


def _filtered(query: Any, flt: QueueFilter) -> Any:
    query = query.where(ReviewItem.status == flt.status)
    if flt.category:
        query = query.where(_json_has(ReviewItem.categories, flt.category))
    if flt.source:
        query = query.where(_json_has(ReviewItem.sources, flt.source))
    if flt.board:
        query = query.where(ReviewItem.board_id.in_(_named(Board, Board.name, flt.board)))
    if flt.room:
        query = query.where(ReviewItem.room_id.in_(_named(Room, Room.title, flt.room)))
    return query


def list_queue(
    flt: QueueFilter | None = None, *, page: int = 1, per_page: int = PAGE_SIZE,
    acting_user: User,
) -> tuple[list[ReviewItem], int]:
    """One page of the queue: priority (urgent first), then oldest first; and the total."""
    if not can_review(acting_user):
        raise NotFound()
    flt = flt or QueueFilter()
    page = max(1, page)
    query = _filtered(select(ReviewItem), flt).order_by(
        ReviewItem.priority_rank, ReviewItem.created_at, ReviewItem.id
    )
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    total = db.session.scalar(_filtered(select(func.count(ReviewItem.id)), flt)) or 0
    return items, total


def category_counts(status: str = OPEN) -> dict[str, int]:
    """How many items of each category have this status (an item counts once per category)."""
    # Grouping by the stored list keeps this one small query even with 10,000 open items.
    rows = db.session.execute(
        select(cast(ReviewItem.categories, String), func.count(ReviewItem.id))
        .where(ReviewItem.status == status)
        .group_by(cast(ReviewItem.categories, String))
    )
    counts: dict[str, int] = {}
    for raw, n in rows:
        try:
            cats = json.loads(raw) if raw else []
        except ValueError:
            cats = []
        for cat in cats or ["report"]:
            counts[cat] = counts.get(cat, 0) + n
    return dict(sorted(counts.items()))
