"""The thread and board pages read as plain rows, one query each.

The thread page is the most requested page of the forum. Loading its posts as ORM entities, then
their milestones and reaction counts in further queries, cost more CPU than rendering them; here
one Core query returns each post with its author's pseudonym, the days they chose to show and the
reaction counts (and, for members, which reactions they gave). Visibility is the same rule as
services/threads/reading.py: thread_posts and these rows share one filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, bindparam, exists, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from ...errors import NotFound
from ...extensions import db
from ...models import Board, Milestone, Post, Reaction, Thread, User
from ...models.base import UTCDateTime
from ...moderation.render import RENDERER_VERSION
from .posts import ensure_rendered
from .reactions import KINDS
from .reading import (
    ANONYMOUS_LABEL,
    DELETED_LABEL,
    POSTS_PER_PAGE,
    THREADS_PER_PAGE,
    Cursor,
    PostPage,
    is_moderator,
    is_own,
    is_signed_in,
    thread_visible_to,
    visibility_filter,
)

_POST_COLUMNS = (
    Post.id, Post.thread_id, Post.author_id, Post.is_opening, Post.anonymous, Post.body_html,
    Post.renderer_version, Post.content_note, Post.status, Post.visible, Post.hold_message,
    Post.created_at, Post.edited_at, Post.deleted_at, Post.author_badge, Post.auto_note,
)
KIND_LIST = tuple(KINDS)


def _run(statement: Any, params: dict[str, Any]):
    """Execute a prepared Core statement on the session's connection (its transaction too);
    going through Session.execute would add the ORM's per-statement bookkeeping."""
    return db.session.connection().execute(statement, params)


def _reaction_columns(member: bool) -> list[Any]:
    """Per kind: the count, and (members only) whether the viewer gave it."""
    columns: list[Any] = []
    for i, kind in enumerate(KIND_LIST):
        columns.append(
            select(func.count(Reaction.id))
            .where(Reaction.post_id == Post.id, Reaction.kind == kind)
            .correlate(Post)
            .scalar_subquery()
            .label(f"count_{i}")
        )
    if member:
        for i, kind in enumerate(KIND_LIST):
            columns.append(
                exists()
                .where(Reaction.post_id == Post.id, Reaction.kind == kind,
                       Reaction.user_id == bindparam("viewer_id"))
                .correlate(Post)
                .label(f"given_{i}")
            )
    return columns


@cache
def _page_statement(audience: str, backwards: bool):
    """The page query for one audience ("moderator", "member", "visitor") and direction.

    Built once per process with bound parameters: constructing this statement cost more CPU
    than running it.
    """
    author = aliased(User)
    if audience == "moderator":
        seen: list[Any] = []
    elif audience == "member":
        seen = [or_(
            Post.visible.is_(True),
            and_(Post.author_id == bindparam("viewer_id"), Post.deleted_at.is_(None)),
        )]
    else:
        seen = [Post.visible.is_(True)]
    query = (
        select(
            *_POST_COLUMNS,
            author.pseudonym.label("author_pseudonym"),
            Milestone.recovery_start,
            *_reaction_columns(audience != "visitor"),
        )
        .outerjoin(author, author.id == Post.author_id)
        .outerjoin(Milestone, and_(
            Milestone.user_id == Post.author_id, Milestone.show_days.is_(True),
            Milestone.recovery_start.is_not(None),
        ))
        .where(Post.thread_id == bindparam("thread_id"), *seen)
    )
    if backwards:
        query = query.where(Post.id < bindparam("edge")).order_by(Post.id.desc())
    else:
        query = query.where(Post.id > bindparam("edge")).order_by(Post.id)
    return query.limit(bindparam("rows", type_=Integer))


def _audience(viewer: User | None) -> str:
    if is_moderator(viewer):
        return "moderator"
    return "member" if is_signed_in(viewer) else "visitor"


def _fetch(thread: Thread, viewer: User | None, after: int | None, before: int | None,
           per_page: int) -> PostPage:
    audience = _audience(viewer)
    params: dict[str, Any] = {"thread_id": thread.id, "rows": per_page + 1}
    if audience != "visitor":
        params["viewer_id"] = viewer.id
    if before is not None:
        params["edge"] = before
        rows = _run(_page_statement(audience, True), params).all()
        return PostPage(list(reversed(rows[:per_page])), len(rows) > per_page, True)
    params["edge"] = after or 0
    rows = _run(_page_statement(audience, False), params).all()
    return PostPage(rows[:per_page], bool(after), len(rows) > per_page)


def post_rows(
    thread: Thread,
    viewer: User | None,
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = POSTS_PER_PAGE,
) -> PostPage:
    """One page of the posts this viewer may see, as rows, each with everything shown with it.

    Same posts and order as threads.thread_posts. HTML made by an older renderer is rendered
    again and saved first, so the page never shows stale markup.
    """
    page = _fetch(thread, viewer, after, before, per_page)
    stale = [row.id for row in page.posts if row.renderer_version != RENDERER_VERSION]
    if stale:
        ensure_rendered(list(db.session.scalars(select(Post).where(Post.id.in_(stale)))))
        page = _fetch(thread, viewer, after, before, per_page)
    return page


def page_after(thread_id: int, post_id: int, viewer: User | None, *,
               per_page: int = POSTS_PER_PAGE) -> int | None:
    """The `after` cursor of the thread page that holds this post for this viewer (None for
    the first page).

    Pages are cut every `per_page` posts from the start, as the "Later posts" links cut them,
    so a member sent back to a post sees it among the posts around it, not alone at the top
    of a page that starts with it. The post itself need not be visible (a deleted one still
    has a place).
    """
    seen = (Post.thread_id == thread_id, Post.id < post_id, *visibility_filter(viewer))
    before = db.session.scalar(select(func.count(Post.id)).where(*seen)) or 0
    pages_before = before // per_page
    if not pages_before:
        return None
    # The last post of the previous page is where this page starts.
    return db.session.scalar(
        select(Post.id).where(*seen).order_by(Post.id)
        .offset(pages_before * per_page - 1).limit(1)
    )


def previous_post_id(thread_id: int, post_id: int, viewer: User | None) -> int | None:
    """The last post before this one that the viewer sees (where to go back to after a
    post is deleted)."""
    return db.session.scalar(
        select(func.max(Post.id)).where(
            Post.thread_id == thread_id, Post.id < post_id, *visibility_filter(viewer))
    )


def row_author_label(row: Any, viewer: User | None) -> str:
    """author_label for a row (a post or a thread with author_pseudonym)."""
    if row.anonymous:
        if is_own(row, viewer):
            return str(_l("Anonymous member (you)"))
        return str(ANONYMOUS_LABEL)
    if row.author_id is None or row.author_pseudonym is None:
        return str(DELETED_LABEL)
    return row.author_pseudonym


def row_reactions(row: Any) -> dict[str, tuple[int, bool]]:
    """kind -> (count, given by the viewer), for the kinds this post received."""
    mapping = row._mapping
    given = "given_0" in mapping
    out = {}
    for i, kind in enumerate(KIND_LIST):
        count = mapping[f"count_{i}"]
        if count:
            out[kind] = (count, bool(mapping[f"given_{i}"]) if given else False)
    return out


def row_days(row: Any, today: date | None = None) -> int | None:
    """Days since the author's recovery start, when shown (never on anonymous posts)."""
    if row.anonymous or row.author_id is None or row.recovery_start is None:
        return None
    return ((today or date.today()) - row.recovery_start).days


@cache
def _board_statement(after_cursor: bool):
    """The board listing query (threads.board_threads' conditions and order), built once."""
    author = aliased(User)
    query = (
        select(Thread.id, Thread.author_id, Thread.anonymous, Thread.title, Thread.reply_count,
               Thread.last_activity_at, Thread.last_post_id,
               author.pseudonym.label("author_pseudonym"))
        .outerjoin(author, author.id == Thread.author_id)
        .where(Thread.board_id == bindparam("board_id"), Thread.visible.is_(True))
    )
    if after_cursor:
        query = query.where(tuple_(Thread.last_activity_at, Thread.id) < tuple_(
            bindparam("at", type_=UTCDateTime), bindparam("thread_id", type_=Integer)))
    return (query.order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(bindparam("rows", type_=Integer)))


def board_rows(board: Board, *, cursor: Cursor | None = None,
               per_page: int = THREADS_PER_PAGE) -> tuple[list[Any], Cursor | None]:
    """One page of the board listing as rows with the author's pseudonym, and the next cursor."""
    params: dict[str, Any] = {"board_id": board.id, "rows": per_page + 1}
    if cursor is not None:
        params.update(at=cursor.at, thread_id=cursor.thread_id)
    rows = _run(_board_statement(cursor is not None), params).all()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = Cursor(rows[-1].last_activity_at, rows[-1].id)
    return rows, next_cursor


@dataclass(frozen=True, slots=True)
class BoardHead:
    """The board a thread page links back to."""

    id: int
    slug: str
    name: str
    content_note: str | None


@dataclass(frozen=True, slots=True)
class ThreadHead:
    """What the thread page needs of its thread, read without building ORM entities."""

    id: int
    author_id: int | None
    anonymous: bool
    title: str
    visible: bool
    reply_count: int
    last_post_id: int
    author_pseudonym: str | None
    board: BoardHead


@cache
def _head_statement():
    author = aliased(User)
    return (
        select(Thread.id, Thread.author_id, Thread.anonymous, Thread.title, Thread.visible,
               Thread.reply_count, Thread.last_post_id,
               author.pseudonym.label("author_pseudonym"),
               Board.id.label("board_id"), Board.slug, Board.name, Board.content_note)
        .join(Board, Board.id == Thread.board_id)
        .outerjoin(author, author.id == Thread.author_id)
        .where(Thread.id == bindparam("thread_id", type_=Integer))
    )


def access_thread_head(thread_id: int, viewer: User | None) -> ThreadHead:
    """threads.access_thread for the thread page: same rule, NotFound for missing and hidden."""
    row = _run(_head_statement(), {"thread_id": thread_id}).first()
    if row is None:
        raise NotFound()
    head = ThreadHead(
        id=row.id, author_id=row.author_id, anonymous=row.anonymous, title=row.title,
        visible=row.visible, reply_count=row.reply_count, last_post_id=row.last_post_id,
        author_pseudonym=row.author_pseudonym,
        board=BoardHead(row.board_id, row.slug, row.name, row.content_note),
    )
    if not thread_visible_to(head, viewer):
        raise NotFound()
    return head


@cache
def _board_head_statement():
    return select(Board.id, Board.slug, Board.name, Board.description, Board.content_note).where(
        Board.slug == bindparam("slug", type_=String)
    )


def access_board_row(slug: str) -> Any:
    """threads.access_board for the board page, as a row; NotFound for an unknown slug."""
    if "\x00" in slug:  # no board has one, and PostgreSQL refuses NUL in a query
        raise NotFound()
    row = _run(_board_head_statement(), {"slug": slug}).first()
    if row is None:
        raise NotFound()
    return row
