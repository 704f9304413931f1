"""What the queue shows of the content behind an item: its text with matched spans (every kind
that can enter the queue), a short preview for the queue's rows, the board or room by name, the
reasons members gave when reporting a post, the surrounding thread; where posts, reports and
pseudonyms live and who wrote them; how a moderator edits a post or replaces a pseudonym, and
how an author resubmits a removed post."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ...errors import ContentRejected, NotFound, ValidationFailed
from ...extensions import db
from ...models import (
    Board,
    ChatMessage,
    Meeting,
    Post,
    PostRevision,
    PseudonymHistory,
    Report,
    ReviewItem,
    Room,
    SupportRequest,
    TeamMessage,
    Thread,
    User,
)
from ...models.threads import HELD, PUBLISHED, REMOVED
from .. import clock, content_kinds, review_queue, screening, transaction
from ..accounts.account import find_by_pseudonym
from ..accounts.pseudonyms import pseudonym_key, suggest_pseudonym
from ..accounts.standing import can_write
from ..support.requests import ROOM_PREFIX as SUPPORT_ROOM_PREFIX
from ..threads import posts
from . import claims as review_claims

CONTEXT_POSTS = 5
PREVIEW_CHARS = 80
# Control characters (newlines and tabs aside) and bidirectional overrides, which can make text
# read differently from what it says.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Segment:
    """A piece of the content's text; matched pieces are highlighted."""

    text: str
    matched: bool


@dataclass(frozen=True)
class Content:
    """The reviewed text, split around matched spans, and the posts before it."""

    kind_label: str
    title: str | None
    segments: list[Segment]
    context: list[str]
    text: str


def highlight(text: str, reasons: list[dict[str, Any]]) -> list[Segment]:
    """Split text into plain and matched segments from the reasons' spans (overlaps merged)."""
    spans = sorted(
        (max(0, int(r["span"][0])), min(len(text), int(r["span"][1])))
        for r in reasons or ()
        if isinstance(r, dict) and r.get("span") and len(r["span"]) == 2
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    pos = 0
    for start, end in merged:
        if start > pos:
            out.append(Segment(text[pos:start], False))
        out.append(Segment(text[start:end], True))
        pos = end
    if pos < len(text) or not out:
        out.append(Segment(text[pos:], False))
    return out


def locate_post(post_id: int) -> tuple[int | None, int | None, int | None]:
    post = db.session.get(Post, post_id)
    if post is None:
        return None, None, None
    return post.author_id, post.thread.board_id, None


def locate_report(report_id: int) -> tuple[int | None, int | None, int | None]:
    report = db.session.get(Report, report_id)
    return (report.reporter_id if report else None), None, None


def locate_pseudonym(user_id: int) -> tuple[int | None, int | None, int | None]:
    # The name is its owner's: caring messages and strikes reach them.
    return (user_id if db.session.get(User, user_id) is not None else None), None, None


def _pairs(rows: Iterable[tuple[int, str | None]]) -> dict[int, str]:
    return {row_id: text or "" for row_id, text in rows}


def meeting_texts(ids: list[int]) -> dict[int, str]:
    # Title and description, as the meeting page shows them.
    rows = db.session.execute(
        select(Meeting.id, Meeting.title, Meeting.description).where(Meeting.id.in_(ids)))
    return {row_id: f"{title}\n\n{description or ''}".strip() for row_id, title, description
            in rows}


def post_texts(ids: list[int]) -> dict[int, str]:
    return _pairs(db.session.execute(select(Post.id, Post.body_md).where(Post.id.in_(ids))))


def report_texts(ids: list[int]) -> dict[int, str]:
    return _pairs(db.session.execute(select(Report.id, Report.reason).where(Report.id.in_(ids))))


def chat_texts(ids: list[int]) -> dict[int, str]:
    return _pairs(db.session.execute(
        select(ChatMessage.id, ChatMessage.text).where(ChatMessage.id.in_(ids))))


def support_note_texts(ids: list[int]) -> dict[int, str]:
    return _pairs(db.session.execute(
        select(SupportRequest.id, SupportRequest.note).where(SupportRequest.id.in_(ids))))


def pseudonym_texts(ids: list[int]) -> dict[int, str]:
    return _pairs(db.session.execute(select(User.id, User.pseudonym).where(User.id.in_(ids))))


def team_message_texts(ids: list[int]) -> dict[int, str]:
    # The team's own answers never enter the queue.
    return _pairs(db.session.execute(select(TeamMessage.id, TeamMessage.body).where(
        TeamMessage.id.in_(ids), TeamMessage.from_team.is_(False))))


def post_context(post_id: int) -> tuple[str | None, list[str]]:
    """The thread's title (for an opening post) and the visible posts just before it."""
    post = db.session.get(Post, post_id)
    if post is None:
        return None, []
    earlier = list(db.session.scalars(
        select(Post.body_md).where(
            Post.thread_id == post.thread_id, Post.id < post.id, Post.visible.is_(True)
        ).order_by(Post.id.desc()).limit(CONTEXT_POSTS)
    ))
    return (post.thread.title if post.is_opening else None), list(reversed(earlier))


def safe_text(text: str | None) -> str:
    """Member text without control characters or direction overrides (templates escape it)."""
    return _UNSAFE.sub("", text or "")


def content_of(item: ReviewItem) -> Content:
    """The item's text with highlights and the thread's earlier posts (never author names)."""
    kind = content_kinds.get(item.content_kind)
    if kind is None or kind.texts is None:
        return Content(str(kind.label if kind and kind.label else item.content_kind), None, [],
                       [], "")
    text = kind.texts([item.content_id]).get(item.content_id, "")
    reasons = item.reasons if kind.spans_fit else []
    title, context = kind.context(item.content_id) if kind.context else (None, [])
    return Content(str(kind.label), title, highlight(text, reasons), context, text)


def previews(items: Iterable[ReviewItem], *, acting_user: User) -> dict[int, str]:
    """A short one-line preview of each item this moderator may read (one query per kind);
    items that need crisis-response training the moderator lacks get none."""
    wanted: dict[str, list[ReviewItem]] = {}
    for item in items:
        kind = content_kinds.get(item.content_kind)
        if kind is not None and kind.texts is not None and review_claims.can_read(
                item, acting_user):
            wanted.setdefault(item.content_kind, []).append(item)
    out: dict[int, str] = {}
    for name, group in wanted.items():
        texts = content_kinds.get(name).texts([i.content_id for i in group])
        for item in group:
            line = " ".join(safe_text(texts.get(item.content_id)).split())
            if len(line) > PREVIEW_CHARS:
                line = line[:PREVIEW_CHARS - 1].rstrip() + "…"
            out[item.id] = line
    return out


@dataclass(frozen=True)
class Place:
    """Where an item's content lives, by name: a board or a room."""

    kind: str  # "board" or "room"
    slug: str
    name: str


def places(items: Iterable[ReviewItem]) -> dict[int, Place]:
    """The board or room of each item, by name (two queries for the whole page)."""
    items = list(items)
    board_ids = {i.board_id for i in items if i.board_id is not None}
    room_ids = {i.room_id for i in items if i.room_id is not None}
    boards = {row.id: row for row in db.session.execute(
        select(Board.id, Board.slug, Board.name).where(Board.id.in_(board_ids)))} if board_ids \
        else {}
    rooms = {row.id: row for row in db.session.execute(
        select(Room.id, Room.slug, Room.title).where(Room.id.in_(room_ids)))} if room_ids \
        else {}
    out: dict[int, Place] = {}
    for item in items:
        if item.board_id in boards:
            row = boards[item.board_id]
            out[item.id] = Place("board", row.slug, row.name)
        elif item.room_id in rooms:
            row = rooms[item.room_id]
            out[item.id] = Place("room", row.slug, row.title)
    return out


def filter_choices() -> tuple[list[Place], list[Place]]:
    """Boards and rooms a moderator may filter the queue by (private support rooms aside: they
    are never listed)."""
    boards = [Place("board", slug, name) for slug, name in db.session.execute(
        select(Board.slug, Board.name).order_by(Board.position, Board.name))]
    rooms = [Place("room", slug, title) for slug, title in db.session.execute(
        select(Room.slug, Room.title).where(~Room.slug.startswith(SUPPORT_ROOM_PREFIX))
        .order_by(Room.title).limit(500))]
    return boards, rooms


@dataclass(frozen=True)
class ReportReason:
    """What one member said when reporting the content (never who said it). text is None when
    the reason has its own item that this moderator may not read; own_item_id names it."""

    text: str | None
    own_item_id: int | None


def reports_of(item: ReviewItem, *, acting_user: User) -> list[ReportReason]:
    """Every report's reason on a post item, oldest first, without the reporters."""
    if item.content_kind != "post":
        return []
    reports = list(db.session.execute(
        select(Report.id, Report.reason).where(Report.post_id == item.content_id)
        .order_by(Report.id)))
    if not reports:
        return []
    own = {i.content_id: i for i in db.session.scalars(select(ReviewItem).where(
        ReviewItem.content_kind == "report",
        ReviewItem.content_id.in_([r.id for r in reports])))}
    out = []
    for report_id, reason in reports:
        own_item = own.get(report_id)
        if own_item is not None and not review_claims.can_read(own_item, acting_user):
            out.append(ReportReason(None, own_item.id))
        else:
            out.append(ReportReason(safe_text(reason), own_item.id if own_item else None))
    return out


def _edit_post(post_id: int, new_text: str, acting_user: User) -> None:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound()
    db.session.add(PostRevision(post_id=post.id, title=None, body_md=post.body_md,
                                content_note=post.content_note))
    was_visible = post.visible
    post.body_md = new_text
    post.edited_at = clock.now()
    posts.render_body(post)
    post.status = PUBLISHED
    post.hold_message = None
    posts.after_change(post, None, was_visible=was_visible)


_EDITORS = {"post": _edit_post}


def can_edit(kind: str) -> bool:
    """Can a moderator edit this kind of content (edit-and-approve)?"""
    return kind in _EDITORS


def do_edit_content(item: ReviewItem, new_text: str, acting_user: User) -> None:
    """Replace the content's text (a moderator's redaction); the old text stays in history."""
    _EDITORS[item.content_kind](item.content_id, new_text, acting_user)


def access_removed_own_post(post_id: int, user: User | None) -> Post:
    """A post a moderator removed, for its author to edit and resubmit."""
    post = db.session.get(Post, post_id, options=[lazyload(Post.author)])
    if (post is None or user is None or not getattr(user, "is_authenticated", False)
            or post.author_id != user.id or post.status != REMOVED or post.deleted_at):
        raise NotFound()
    return post


def removed_posts_of(user: User) -> list[Post]:
    """The member's posts a moderator removed, which they may edit and send again."""
    return list(db.session.scalars(
        select(Post).options(lazyload(Post.author)).where(
            Post.author_id == user.id, Post.status == REMOVED, Post.deleted_at.is_(None)
        ).order_by(Post.id.desc()).limit(20)
    ))


def check_resubmit(post_id: int, body: str, *, acting_user: User) -> Post:
    """The author edits a removed post and sends it back to the moderators (held until then)."""
    post = access_removed_own_post(post_id, acting_user)
    if not can_write(acting_user):
        raise NotFound()
    body = posts.clean_text(body)
    if not body.strip() or len(body) > posts.BODY_MAX:
        raise ValidationFailed({"body": [str(_l("Please write something first."))]})
    verdict = screening.screen_text(body, scope="post", author=acting_user)
    if verdict.action == "block":
        raise ContentRejected(verdict, field="body")
    db.session.add(PostRevision(post_id=post.id, title=None, body_md=post.body_md,
                                content_note=post.content_note))
    post.body_md = body
    post.edited_at = clock.now()
    posts.render_body(post)
    post.status = HELD
    post.hold_message = str(_l("Thank you for editing. A moderator will look at it soon."))
    review_queue.do_enqueue("post", post.id, verdict=verdict if verdict.needs_review else None)
    transaction.commit()
    return post


def thread_of(item: ReviewItem) -> Thread | None:
    """The thread a post item belongs to, for a link."""
    if item.content_kind != "post":
        return None
    post = db.session.get(Post, item.content_id)
    return post.thread if post else None


def _free_pseudonym() -> str:
    for _attempt in range(20):
        name = suggest_pseudonym()
        if find_by_pseudonym(name) is None:
            return name
    return f"member-{secrets.token_hex(6)}"


def remove_pseudonym(user_id: int, reason: str, acting_user: User) -> None:
    # The name is on every page its owner touches: it is replaced by a friendly free one at
    # once, kept in the history moderators see, and the owner may choose another.
    user = db.session.get(User, user_id)
    if user is None:
        return
    db.session.add(PseudonymHistory(user_id=user.id, pseudonym=user.pseudonym))
    name = _free_pseudonym()
    user.pseudonym = name
    user.pseudonym_key = pseudonym_key(name)

