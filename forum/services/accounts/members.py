"""A member's public page: their generated avatar, pseudonym, and what they wrote under it.

Only writing everyone may read is listed: published, not deleted, in a visible thread, and never
anything posted anonymously, whoever looks (moderators included: the page is not a tool for
finding out who wrote what). Days are shown only when the member chose to show them on their
posts. Nothing else about the account is shown: not when it was made, which would tie an old
pseudonym to a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...errors import NotFound
from ...extensions import db
from ...models import Board, Post, Thread, User
from . import avatars, milestones
from .pseudonyms import pseudonym_key

LISTED = 20


@dataclass(frozen=True)
class ThreadItem:
    """A thread the member started under their name."""

    id: int
    title: str
    board_name: str
    created_at: datetime


@dataclass(frozen=True)
class ReplyItem:
    """A reply the member wrote under their name."""

    post_id: int
    thread_title: str
    created_at: datetime


@dataclass(frozen=True)
class Profile:
    """What the public page shows."""

    pseudonym: str
    avatar: str
    days: int | None
    threads: list[ThreadItem]
    replies: list[ReplyItem]


def access_member(pseudonym: str) -> User:
    """The account with this current pseudonym (any case); NotFound otherwise, deleted too."""
    if "\x00" in pseudonym or len(pseudonym) > 64:  # no account has one
        raise NotFound()
    user = db.session.scalar(select(User).where(User.pseudonym_key == pseudonym_key(pseudonym)))
    if user is None:
        raise NotFound()
    return user


def _threads(user: User) -> list[ThreadItem]:
    rows = db.session.execute(
        select(Thread.id, Thread.title, Thread.created_at, Board.name)
        .join(Board, Board.id == Thread.board_id)
        .where(Thread.author_id == user.id, Thread.anonymous.is_(False),
               Thread.visible.is_(True))
        .order_by(Thread.id.desc())
        .limit(LISTED)
    )
    return [ThreadItem(r.id, r.title, r.name, r.created_at) for r in rows]


def _replies(user: User) -> list[ReplyItem]:
    rows = db.session.execute(
        select(Post.id, Post.created_at, Thread.title)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == user.id, Post.anonymous.is_(False), Post.visible.is_(True),
               Post.is_opening.is_(False), Thread.visible.is_(True))
        .order_by(Post.id.desc())
        .limit(LISTED)
    )
    return [ReplyItem(r.id, r.title, r.created_at) for r in rows]


def profile(user: User) -> Profile:
    """The page as every viewer sees it: it lists only writing everyone may read."""
    return Profile(
        pseudonym=user.pseudonym,
        avatar=avatars.token_for(user.id, user.pseudonym),
        days=milestones.days_shown({user.id}).get(user.id),
        threads=_threads(user),
        replies=_replies(user),
    )
