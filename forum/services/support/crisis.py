"""What the crisis panel and Talk to someone now may truthfully say about people right now,
and the crisis panel of a member's own post, reachable again after the page that first showed it.

Every sentence those pages say about people is built from here at the moment of asking: how
many are on duty now, else when the next scheduled shift starts, else that none is scheduled.
The panel of a post belongs to its author alone (anonymous or not): anyone else gets the same
NotFound as for a post that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ...errors import NotFound
from ...extensions import db
from ...models import Post, ReviewItem, User
from ...moderation.verdict import RISK_TO_AUTHOR
from ..review import duty
from ..threads.reading import is_own
from .requests import supporter_ids_on_duty

POST_KIND = "post"


def supporter_cover(requester: User | None, now: datetime | None = None) -> duty.Cover:
    """Peer supporters on duty now who could answer this member (never the member themself)."""
    exclude = (requester.id,) if requester is not None and requester.id else ()
    count = len(supporter_ids_on_duty(exclude=exclude))
    return duty.Cover(count, None if count else duty.next_shift_start(now))


@dataclass(frozen=True)
class PostSupport:
    """A post whose screening answered its author with resources."""

    post: Post
    resource_ids: tuple[str, ...]
    risk: bool


def _rule_resources() -> dict[str, tuple[str, ...]]:
    pipeline = current_app.extensions.get("moderation")
    if pipeline is None:
        return {}
    return {rule.id: rule.resources for rule in pipeline.ruleset.rules}


def _support_of(item: ReviewItem | None, rules: dict[str, tuple[str, ...]]
                ) -> tuple[tuple[str, ...], bool] | None:
    """The resources and risk the pipeline found in this item, or None when it found neither."""
    if item is None or "pipeline" not in (item.sources or []):
        return None
    ids: dict[str, None] = {}
    for reason in item.reasons or []:
        if isinstance(reason, dict) and reason.get("source") == "rule":
            ids.update(dict.fromkeys(rules.get(reason.get("id"), ())))
    risk = not RISK_TO_AUTHOR.isdisjoint(item.categories or [])
    if not ids and not risk:
        return None
    return tuple(ids), risk


def access_post_support(post_id: Any, *, viewer: User | None) -> PostSupport:
    """The crisis panel of the viewer's own post; the same NotFound for anything else."""
    post = (db.session.get(Post, post_id)
            if isinstance(post_id, int) and not isinstance(post_id, bool) else None)
    if post is None or not is_own(post, viewer):
        raise NotFound()
    item = db.session.scalar(select(ReviewItem).where(
        ReviewItem.content_kind == POST_KIND, ReviewItem.content_id == post.id))
    found = _support_of(item, _rule_resources())
    if found is None:
        raise NotFound()
    return PostSupport(post, *found)


def posts_with_support(post_ids: Iterable[int], viewer: User | None) -> set[int]:
    """Which of these posts are the viewer's own and have a crisis panel (one query)."""
    ids = set(post_ids)
    if not ids or viewer is None or not getattr(viewer, "is_authenticated", False):
        return set()
    items = db.session.scalars(
        select(ReviewItem)
        .join(Post, Post.id == ReviewItem.content_id)
        .where(ReviewItem.content_kind == POST_KIND, ReviewItem.content_id.in_(ids),
               Post.author_id == viewer.id)
    )
    rules = _rule_resources()
    return {item.content_id for item in items if _support_of(item, rules) is not None}
