"""In-forum notifications: replies to my thread, replies quoting me, @mentions, support
(reactions) to my post, and meeting reminders (forum/services/meetings/reminders.py). No email.

A notification stores only who receives it, what kind and which post (or meeting session); who
wrote the post is worked out when it is shown, with the same anonymity rule as every page.
Support is one notification per post: how many people sent it is counted when it is shown, so
it grows while it waits, and never names them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update

from ...extensions import db
from ...models import Mute, Notification, Post, Reaction, User
from ...models.base import utcnow
from .. import transaction
from ..accounts.pseudonyms import pseudonym_key
from ..push import outbox as push_outbox

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]{3,32})")
MAX_MENTIONS = 10
PER_PAGE = 50
SUPPORT = "support"


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
    # Whoever started the thread hears of every post someone else adds to it (on their phone
    # too, when they turned replies on), whether it quotes or mentions them or not.
    thread_author = thread.author_id if not post.is_opening else None
    if thread_author:
        wanted.setdefault(thread_author, "reply")
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
            if user_id == thread_author:
                push_outbox.thread_replied(user_id, post)


def _supporter_filter(recipient: Any) -> list[Any]:
    """Reactions that count as support for `recipient`: not their own, not from a member they
    muted."""
    return [
        Reaction.user_id != recipient,
        ~exists().where(Mute.muter_id == recipient, Mute.muted_id == Reaction.user_id),
    ]


def _support_waiting(user_id: int, post_id: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(
            Notification.user_id == user_id, Notification.post_id == post_id,
            Notification.kind == SUPPORT,
        )
    )


def do_notify_support(post: Post, reactor_id: int) -> None:
    """A reaction was just added to a post: its author hears of one more person's support.

    Called after the reaction is flushed. Not for the author's own reactions, nor from a member
    the author muted, nor when the author turned support notifications off. Another kind from
    someone who already reacted is not one more person, so it changes nothing.
    """
    recipient = post.author_id
    if recipient is None or recipient == reactor_id:
        return
    if not db.session.scalar(select(User.support_notifications).where(User.id == recipient)):
        return
    if _muted_by({recipient}, reactor_id):
        return
    reactions_by_them = db.session.scalar(
        select(func.count(Reaction.id)).where(
            Reaction.post_id == post.id, Reaction.user_id == reactor_id)
    )
    if reactions_by_them != 1:
        return
    existing = _support_waiting(recipient, post.id)
    if existing is not None:
        # Made again rather than updated: it comes back as new, at the top of the list.
        db.session.delete(existing)
        db.session.flush()
    db.session.add(Notification(user_id=recipient, kind=SUPPORT, post_id=post.id))


def do_withdraw_support(post: Post) -> None:
    """A reaction was just taken back: an unread support notice with nobody left goes away."""
    if post.author_id is None:
        return
    waiting = _support_waiting(post.author_id, post.id)
    if waiting is None or waiting.read_at is not None:
        return
    left = db.session.scalar(
        select(func.count(Reaction.id)).where(
            Reaction.post_id == post.id, *_supporter_filter(post.author_id))
    )
    if not left:
        db.session.delete(waiting)


def support_counts(user: User, items: list[Notification]) -> dict[int, int]:
    """post id -> how many people sent support, for the support notifications listed."""
    ids = [n.post_id for n in items if n.kind == SUPPORT and n.post_id is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Reaction.post_id, func.count(func.distinct(Reaction.user_id)))
        .where(Reaction.post_id.in_(ids), *_supporter_filter(user.id))
        .group_by(Reaction.post_id)
    ).all()
    return {post_id: count for post_id, count in rows}


def set_support_notifications(user: User, on: bool) -> None:
    """Turn support notifications on or off; turning them off clears the unread ones."""
    user.support_notifications = on
    if not on:
        db.session.execute(
            delete(Notification).where(
                Notification.user_id == user.id, Notification.kind == SUPPORT,
                Notification.read_at.is_(None),
            )
        )
    transaction.commit()


def _still_shown() -> Any:
    # Post notifications follow their post's visibility; reminders have no post. A support
    # notice is shown while someone's support still counts (reactions can be taken back and
    # their givers muted).
    supported = exists().where(
        Reaction.post_id == Notification.post_id, *_supporter_filter(Notification.user_id))
    return (Notification.post_id.is_(None) | Post.visible.is_(True)) & or_(
        Notification.kind != SUPPORT, supported)


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
    transaction.commit()


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
        transaction.commit()
