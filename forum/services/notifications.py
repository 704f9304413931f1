"""In-forum notifications: replies to my thread, replies quoting me, @mentions, and meeting
reminders (forum/services/meetings_reminders.py). No email.

A notification stores only who receives it, what kind and which post (or meeting session); who
wrote the post is worked out when it is shown, with the same anonymity rule as every page.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Mute, Notification, Post, User
from ..models.base import utcnow
from .pseudonyms import pseudonym_key

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]{3,32})")
MAX_MENTIONS = 10
PER_PAGE = 50


def mentioned_keys(text: str) -> list[str]:
    """Case-folded pseudonyms @mentioned in a text, first ones only."""
    keys = dict.fromkeys(pseudonym_key(m.rstrip("-_")) for m in MENTION.findall(text or ""))
    return list(keys)[:MAX_MENTIONS]


def _muted_by(user_ids: set[int], author_id: int | None) -> set[int]:
    if author_id is None or not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Mute.muter_id).where(Mute.muted_id == author_id, Mute.muter_id.in_(user_ids))
        )
    )


def do_notify_for(post: Post) -> None:
    """Create notifications for a post that has just become visible to everyone."""
    wanted: dict[int, str] = {}  # user id -> kind; the first (most specific) kind wins
    if post.quote_of_id:
        quoted = db.session.get(Post, post.quote_of_id)
        if quoted is not None and quoted.author_id and quoted.thread_id == post.thread_id:
            wanted.setdefault(quoted.author_id, "quote")
    keys = mentioned_keys(post.body_md)
    if keys:
        for user_id in db.session.scalars(select(User.id).where(User.pseudonym_key.in_(keys))):
            wanted.setdefault(user_id, "mention")
    thread = post.thread
    if not post.is_opening and thread.author_id:
        wanted.setdefault(thread.author_id, "reply")
    wanted.pop(post.author_id, None)  # never notify members of their own posts
    # An anonymous author is nobody: a mute of the member behind the post must not change who
    # is told of it, or a missing notification would say who wrote it.
    if not post.anonymous:
        for muter in _muted_by(set(wanted), post.author_id):
            wanted.pop(muter, None)
    for user_id, kind in wanted.items():
        exists = db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.post_id == post.id
            )
        )
        if exists is None:
            db.session.add(Notification(user_id=user_id, kind=kind, post_id=post.id))


def _still_shown() -> Any:
    # Post notifications follow their post's visibility; reminders have no post.
    return Notification.post_id.is_(None) | Post.visible.is_(True)


def unread_count(user: User) -> int:
    """How many unread notifications the member has (for the header)."""
    return db.session.scalar(
        select(func.count(Notification.id))
        .outerjoin(Post, Post.id == Notification.post_id)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
            _still_shown(),
        )
    ) or 0


def list_for(user: User, *, before: int | None = None) -> list[Notification]:
    """The member's notifications, newest first: reminders, and posts still visible."""
    query = (
        select(Notification)
        .outerjoin(Post, Post.id == Notification.post_id)
        .where(Notification.user_id == user.id, _still_shown())
        .order_by(Notification.id.desc())
        .limit(PER_PAGE)
    )
    if before:
        query = query.where(Notification.id < before)
    return [n for n in db.session.scalars(query)
            if n.post is None or n.post.thread.visible]


def do_mark_read(user: User, notification_id: int | None = None) -> None:
    """Mark one notification (or all of them) as read."""
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()


def do_mark_read_for_posts(user: User, post_ids: list[int]) -> None:
    """Opening a thread marks the notifications about the posts on the page as read."""
    if not post_ids:
        return
    # Read first: most page views have nothing to mark, and a write would take the write lock.
    ids = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.user_id == user.id,
                Notification.read_at.is_(None),
                Notification.post_id.in_(post_ids),
            )
        )
    )
    if ids:
        db.session.execute(
            update(Notification).where(Notification.id.in_(ids)).values(read_at=utcnow())
        )
        db.session.commit()
