"""Reading threads: who may see what, board listings, thread pages, unread markers, labels.

Visibility in one sentence: a post is shown to everyone when it is published, not deleted and
in a visible thread; its author also sees it while held (or after removal), and moderators see
everything. Writing lives in services/threads/posts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, lazyload

from ...errors import NotFound
from ...extensions import db
from ...models import Board, Post, Thread, ThreadRead, User
from ...row_ids import is_row_id
from .. import transaction

ANONYMOUS_LABEL = _l("Anonymous member")
DELETED_LABEL = _l("deleted member")
THREADS_PER_PAGE = 30
# A page of posts: the thread is already loaded, and authors' roles are not needed to show them.
POST_PAGE_OPTIONS = (lazyload(Post.thread), defaultload(Post.author).lazyload(User.roles))
POSTS_PER_PAGE = 20


def is_signed_in(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def is_moderator(user: User | None) -> bool:
    """Moderators see held, removed and deleted posts and may reveal anonymous authors."""
    return is_signed_in(user) and user.has_role("moderator")


def is_own(post: Post | Thread, user: User | None) -> bool:
    """True when the user wrote this post or thread."""
    return is_signed_in(user) and post.author_id is not None and post.author_id == user.id


def can_see_post(post: Post, viewer: User | None) -> bool:
    """May this viewer see this post at all?"""
    if post.visible and post.thread.visible:
        return True
    if is_moderator(viewer):
        return True
    return is_own(post, viewer) and post.deleted_at is None and thread_visible_to(
        post.thread, viewer
    )


def thread_visible_to(thread: Thread, viewer: User | None) -> bool:
    """May this viewer open the thread? Hidden threads: moderators, and the author until deleted."""
    if thread.visible or is_moderator(viewer):
        return True
    if not is_own(thread, viewer):
        return False
    opening = opening_post(thread)
    return opening is not None and opening.deleted_at is None


def opening_post(thread: Thread) -> Post | None:
    """The thread's first post, which holds its body."""
    return db.session.scalar(
        select(Post).options(lazyload(Post.thread)).where(
            Post.thread_id == thread.id, Post.is_opening.is_(True)
        )
    )


def access_thread(thread_id: int, viewer: User | None) -> Thread:
    """The thread when the viewer may see it; NotFound for missing and not-yours alike."""
    thread = db.session.get(
        Thread, thread_id, options=[defaultload(Thread.author).lazyload(User.roles)]
    )
    if thread is None or not thread_visible_to(thread, viewer):
        raise NotFound()
    return thread


def access_post(post_id: int, viewer: User | None) -> Post:
    """The post when the viewer may see it; NotFound otherwise."""
    post = db.session.get(Post, post_id)
    if post is None or not can_see_post(post, viewer):
        raise NotFound()
    return post


def author_label(post: Post | Thread, viewer: User | None) -> str:
    """The name shown for a post's author: never an anonymous author's pseudonym (except mods)."""
    if post.anonymous:
        if is_own(post, viewer):
            return str(_l("Anonymous member (you)"))
        return str(ANONYMOUS_LABEL)
    if post.author_id is None or post.author is None:
        return str(DELETED_LABEL)
    return post.author.pseudonym


def thread_author_label(thread: Thread, viewer: User | None) -> str:
    """The name shown for who started a thread."""
    return author_label(thread, viewer)


@dataclass(frozen=True)
class Cursor:
    """A position in the board listing: last activity time and thread id."""

    at: datetime
    thread_id: int

    def encode(self) -> str:
        """A compact, URL-safe form."""
        micros = int(self.at.timestamp() * 1_000_000)
        return f"{micros}-{self.thread_id}"

    @staticmethod
    def decode(raw: str | None) -> Cursor | None:
        """Parse a cursor from a query string; None for anything malformed."""
        if not raw:
            return None
        try:
            micros, thread_id = (int(part) for part in raw.split("-", 1))
            at = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
        return Cursor(at, thread_id) if is_row_id(thread_id) else None


def list_boards() -> list[Board]:
    """All boards in their order."""
    return list(db.session.scalars(select(Board).order_by(Board.position, Board.name)))


def access_board(slug: str) -> Board:
    """A board by slug."""
    if "\x00" in slug:  # no board has one, and PostgreSQL refuses NUL in a query
        raise NotFound()
    board = db.session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise NotFound()
    return board


def board_listing_filter(board_id: int, cursor: Cursor | None) -> list:
    """The board listing's conditions: visible threads of the board, after the cursor."""
    conditions = [Thread.board_id == board_id, Thread.visible.is_(True)]
    if cursor is not None:
        # A row-value comparison, so both databases seek in the listing index.
        conditions.append(
            tuple_(Thread.last_activity_at, Thread.id) < tuple_(cursor.at, cursor.thread_id)
        )
    return conditions


def board_threads(
    board: Board, *, cursor: Cursor | None = None, per_page: int = THREADS_PER_PAGE
) -> tuple[list[Thread], Cursor | None]:
    """Visible threads by last activity, one page after the cursor, and the next cursor."""
    query = (
        select(Thread)
        .options(lazyload(Thread.board), defaultload(Thread.author).lazyload(User.roles))
        .where(*board_listing_filter(board.id, cursor))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page + 1)
    )
    threads = list(db.session.scalars(query))
    next_cursor = None
    if len(threads) > per_page:
        threads = threads[:per_page]
        last = threads[-1]
        next_cursor = Cursor(last.last_activity_at, last.id)
    return threads, next_cursor


def my_hidden_threads(board: Board, viewer: User | None) -> list[Thread]:
    """The viewer's own threads on this board that wait for a moderator."""
    if not is_signed_in(viewer):
        return []
    return list(
        db.session.scalars(
            select(Thread)
            .join(Post, and_(Post.thread_id == Thread.id, Post.is_opening.is_(True)))
            .where(
                Thread.board_id == board.id,
                Thread.visible.is_(False),
                Thread.author_id == viewer.id,
                Post.deleted_at.is_(None),
            )
            .order_by(Thread.id.desc())
            .limit(20)
        )
    )


@dataclass(frozen=True)
class PostPage:
    """One page of a thread and whether there is more before or after it."""

    posts: list[Post]
    more_before: bool
    more_after: bool


def visibility_filter(viewer: User | None) -> list:
    """Which posts of a thread this viewer sees: all (moderators), visible ones and their own."""
    if is_moderator(viewer):
        return []
    if is_signed_in(viewer):
        return [or_(
            Post.visible.is_(True),
            and_(Post.author_id == viewer.id, Post.deleted_at.is_(None)),
        )]
    return [Post.visible.is_(True)]


def thread_posts(
    thread: Thread,
    viewer: User | None,
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = POSTS_PER_PAGE,
) -> PostPage:
    """The posts this viewer may see, in order, keyset-paginated on the post id."""
    query = select(Post).options(*POST_PAGE_OPTIONS).where(
        Post.thread_id == thread.id, *visibility_filter(viewer)
    )
    if before is not None:
        rows = list(
            db.session.scalars(
                query.where(Post.id < before).order_by(Post.id.desc()).limit(per_page + 1)
            )
        )
        more_before = len(rows) > per_page
        posts = list(reversed(rows[:per_page]))
        return PostPage(posts, more_before, True)
    rows = list(
        db.session.scalars(
            query.where(Post.id > (after or 0)).order_by(Post.id).limit(per_page + 1)
        )
    )
    return PostPage(rows[:per_page], bool(after), len(rows) > per_page)


def unread_thread_ids(viewer: User | None, threads: list[Thread]) -> set[int]:
    """Threads on this list with posts the member has not seen yet."""
    if not is_signed_in(viewer) or not threads:
        return set()
    seen = dict(
        db.session.execute(
            select(ThreadRead.thread_id, ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == viewer.id,
                ThreadRead.thread_id.in_([t.id for t in threads]),
            )
        ).all()
    )
    return {t.id for t in threads if t.last_post_id > seen.get(t.id, 0)}


def last_read(viewer: User | None, thread: Thread) -> int:
    """The id of the last post the member saw in this thread (0: none)."""
    if not is_signed_in(viewer):
        return 0
    return db.session.scalar(
        select(ThreadRead.last_read_post_id).where(
            ThreadRead.user_id == viewer.id, ThreadRead.thread_id == thread.id
        )
    ) or 0


def do_mark_read(viewer: User | None, thread: Thread, upto_post_id: int) -> None:
    """Remember that the member has seen the thread up to this post."""
    if not is_signed_in(viewer) or upto_post_id <= 0:
        return
    row = db.session.scalar(
        select(ThreadRead).where(
            ThreadRead.user_id == viewer.id, ThreadRead.thread_id == thread.id
        )
    )
    if row is not None and row.last_read_post_id >= upto_post_id:
        return
    try:
        if row is None:
            db.session.add(
                ThreadRead(user_id=viewer.id, thread_id=thread.id, last_read_post_id=upto_post_id)
            )
        else:
            row.last_read_post_id = upto_post_id
        transaction.commit()
    except IntegrityError:
        # Two tabs marking the same thread at once: the other one won, which is fine.
        db.session.rollback()
