"""Engagement figures computed from stored content: accounts, posts, chat messages and the
review queue. Activity means something written (a post, a reply, a chat message), dated by when it
was written; there are no page views or logins in here, and nothing per person leaves a figure.

Meeting attendance and support-request figures are in measure_feeds.py: they are computed from
rows those features supply, and registered once their tables exist.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...extensions import db
from ...models import Board, ChatMessage, Post, ReviewItem, Thread, User
from ...models.chat import CHAT_DELETED, CHAT_PUBLISHED
from ...models.review import PRIORITIES
from ...models.threads import PUBLISHED
from .report import Figure, Period, Series, Value, register_figure, week_of

AWAY = timedelta(days=30)
# Chat messages their authors later deleted were still said; removed or held ones were not.
CHAT_SAID = (CHAT_PUBLISHED, CHAT_DELETED)

Record = tuple[date, int | str | None, Any]  # (week, person, payload)


def value_of(items: list[tuple[int | str | None, Any]],
             agg: Callable[[list[Any]], float | int | None] | None,
             people: Callable[[list[Any]], int] | None = None) -> Value:
    """Aggregate one bucket. People are the distinct known persons (deleted accounts excluded),
    or, for anonymous counts, what `people` works out from the payloads."""
    count = people([x for _, x in items]) if people else len({p for p, _ in items
                                                              if p is not None})
    if agg is None:
        return Value(count, count)
    return Value(agg([x for _, x in items]), count)


def series_of(period: Period, records: Iterable[Record], label: str = "",
              agg: Callable[[list[Any]], float | int | None] | None = None,
              people: Callable[[list[Any]], int] | None = None) -> Series:
    """Bucket records by week; agg=None counts distinct people. agg gets [] for an empty week."""
    weeks = set(period.weeks)
    by_week: dict[date, list[tuple[int | str | None, Any]]] = defaultdict(list)
    every: list[tuple[int | str | None, Any]] = []
    for week, person, payload in records:
        if week in weeks:
            by_week[week].append((person, payload))
            every.append((person, payload))
    return Series(label, [value_of(by_week.get(w, []), agg, people) for w in period.weeks],
                  value_of(every, agg, people))


def _median(xs: list[float]) -> float | None:
    return float(statistics.median(xs)) if xs else None


def activity(start: datetime, end: datetime) -> list[tuple[int, datetime]]:
    """(author, written at) for every post, reply and chat message said in [start, end)."""
    posts = db.session.execute(
        select(Post.author_id, Post.created_at).where(
            Post.author_id.is_not(None), Post.status == PUBLISHED,
            Post.created_at >= start, Post.created_at < end))
    chats = db.session.execute(
        select(ChatMessage.author_id, ChatMessage.created_at).where(
            ChatMessage.author_id.is_not(None), ChatMessage.status.in_(CHAT_SAID),
            ChatMessage.created_at >= start, ChatMessage.created_at < end))
    return [(a, t) for a, t in posts] + [(a, t) for a, t in chats]


def active_members(period: Period) -> Figure:
    """Members who wrote at least one post, reply or chat message in the week."""
    start, end = period.bounds()
    rows = activity(start, end)
    return Figure("active_members", [series_of(period, ((week_of(t), a, 1) for a, t in rows))])


def new_members(period: Period) -> Figure:
    """Accounts created in the week (accounts deleted since are not counted)."""
    start, end = period.bounds()
    rows = db.session.execute(select(User.id, User.created_at).where(
        User.created_at >= start, User.created_at < end))
    return Figure("new_members", [series_of(period, ((week_of(t), uid, 1) for uid, t in rows))])


def _last_before(moment: datetime) -> dict[int, datetime]:
    latest: dict[int, datetime] = {}
    queries = (
        select(Post.author_id, func.max(Post.created_at)).where(
            Post.author_id.is_not(None), Post.status == PUBLISHED, Post.created_at < moment)
        .group_by(Post.author_id),
        select(ChatMessage.author_id, func.max(ChatMessage.created_at)).where(
            ChatMessage.author_id.is_not(None), ChatMessage.status.in_(CHAT_SAID),
            ChatMessage.created_at < moment).group_by(ChatMessage.author_id),
    )
    for query in queries:
        for author, at in db.session.execute(query):
            if author not in latest or at > latest[author]:
                latest[author] = at
    return latest


def returning_members(period: Period) -> Figure:
    """Members who wrote again after 30 days or more without writing anything."""
    start, end = period.bounds()
    since = start - AWAY
    previous = _last_before(since)
    times: dict[int, list[datetime]] = defaultdict(list)
    for author, at in activity(since, end):
        times[author].append(at)
    records: list[Record] = []
    for author, moments in times.items():
        prev = previous.get(author)
        for at in sorted(moments):
            if at >= start and prev is not None and at - prev >= AWAY:
                records.append((week_of(at), author, 1))
            prev = at
    return Figure("returning_members", [series_of(period, records)])


def _boards() -> list[Board]:
    return list(db.session.scalars(select(Board).order_by(Board.position, Board.id)))


def _posts_by_board(period: Period, opening: bool) -> Figure:
    start, end = period.bounds()
    rows = db.session.execute(
        select(Thread.board_id, Post.author_id, Post.created_at).join(Thread,
                                                                      Thread.id == Post.thread_id)
        .where(Post.is_opening.is_(opening), Post.status == PUBLISHED,
               Post.created_at >= start, Post.created_at < end)).all()
    by_board: dict[int, list[Record]] = defaultdict(list)
    for board_id, author, at in rows:
        by_board[board_id].append((week_of(at), author, 1))
    key = "threads_by_board" if opening else "replies_by_board"
    return Figure(key, [series_of(period, by_board.get(b.id, []), b.name, len)
                        for b in _boards()])


def threads_by_board(period: Period) -> Figure:
    """New threads per board and week."""
    return _posts_by_board(period, True)


def replies_by_board(period: Period) -> Figure:
    """Replies per board and week."""
    return _posts_by_board(period, False)


def _first_replies(period: Period) -> list[tuple[date, int | None, float | None]]:
    """(week opened, opener, hours to the first reply by someone else or None)."""
    start, end = period.bounds()
    threads = db.session.execute(
        select(Thread.id, Thread.author_id, Post.created_at).join(Post, Post.thread_id == Thread.id)
        .where(Post.is_opening.is_(True), Post.status == PUBLISHED,
               Post.created_at >= start, Post.created_at < end)).all()
    first: dict[int, datetime] = {}
    opener = {tid: author for tid, author, _ in threads}
    for tid, author, at in db.session.execute(
            select(Post.thread_id, Post.author_id, Post.created_at).where(
                Post.thread_id.in_(list(opener) or [0]), Post.is_opening.is_(False),
                Post.status == PUBLISHED)):
        # A member answering their own thread is not the reply the figure is about.
        if author is not None and author == opener[tid]:
            continue
        if tid not in first or at < first[tid]:
            first[tid] = at
    return [(week_of(at), author,
             (first[tid] - at).total_seconds() / 3600 if tid in first else None)
            for tid, author, at in threads]


def first_reply_share(period: Period) -> Figure:
    """Share of new threads that got a reply from someone else (so far), in percent."""
    rows = _first_replies(period)

    def share(hours: list[float | None]) -> float | None:
        if not hours:
            return None
        return 100.0 * sum(1 for h in hours if h is not None) / len(hours)

    return Figure("first_reply_share", [series_of(period, rows, "", share)])


def first_reply_hours(period: Period) -> Figure:
    """Median hours from a new thread to its first reply, over threads that got one."""
    rows = [r for r in _first_replies(period) if r[2] is not None]
    return Figure("first_reply_hours", [series_of(period, rows, "", _median)])


def chat_messages(period: Period) -> Figure:
    """Messages said in live chat rooms per week."""
    start, end = period.bounds()
    rows = db.session.execute(select(ChatMessage.author_id, ChatMessage.created_at).where(
        ChatMessage.status.in_(CHAT_SAID), ChatMessage.created_at >= start,
        ChatMessage.created_at < end))
    return Figure("chat_messages",
                  [series_of(period, ((week_of(t), a, 1) for a, t in rows), "", len)])


def _review_rows(period: Period) -> list[tuple[str, date, int | None, float | None]]:
    start, end = period.bounds()
    rows = db.session.execute(select(
        ReviewItem.priority, ReviewItem.created_at, ReviewItem.author_id,
        ReviewItem.first_action_at).where(ReviewItem.created_at >= start,
                                          ReviewItem.created_at < end))
    return [(p, week_of(c), a, (f - c).total_seconds() / 60 if f else None)
            for p, c, a, f in rows]


def review_items(period: Period) -> Figure:
    """Items that entered the review queue, by priority; people are the authors concerned."""
    rows = _review_rows(period)
    return Figure("review_items", [
        series_of(period, [(w, a, 1) for p, w, a, _ in rows if p == prio], prio, len)
        for prio in PRIORITIES])


def review_first_action(period: Period) -> Figure:
    """Median minutes from entering the queue to a moderator's first action, by priority."""
    rows = _review_rows(period)
    return Figure("review_first_action", [
        series_of(period, [(w, a, m) for p, w, a, m in rows if p == prio and m is not None],
                  prio, _median)
        for prio in PRIORITIES])


def register() -> None:
    """Register the engagement figures, in the order the pages show them."""
    written = _l("Counted from posts, replies and chat messages written that week (not logins"
                 " or page views).")
    register_figure("active_members", _l("Active members"), active_members,
                    unit=_l("people"), note=written)
    register_figure("new_members", _l("New members"), new_members, unit=_l("people"),
                    note=_l("Accounts created that week."))
    register_figure("returning_members", _l("Members who came back after 30 days away"),
                    returning_members, unit=_l("people"),
                    note=_l("Wrote again after 30 days or more without writing anything."))
    register_figure("threads_by_board", _l("New threads per board"), threads_by_board,
                    unit=_l("threads"), note=_l("People: the members who started them."))
    register_figure("replies_by_board", _l("Replies per board"), replies_by_board,
                    unit=_l("replies"), note=_l("People: the members who wrote them."))
    register_figure("first_reply_share", _l("New threads that got a reply"), first_reply_share,
                    unit=_l("percent"),
                    note=_l("A reply from someone other than the member who started the thread,"
                            " at any time so far. People: the members who started them."))
    register_figure("first_reply_hours", _l("Median time to the first reply"),
                    first_reply_hours, unit=_l("hours"),
                    note=_l("Over the new threads that got a reply."))
    register_figure("chat_messages", _l("Live chat messages"), chat_messages,
                    unit=_l("messages"), note=_l("People: the members who wrote them."))
    register_figure("review_items", _l("Review queue: items by priority"), review_items,
                    unit=_l("items"), note=_l("People: the members whose writing was reviewed."))
    register_figure("review_first_action", _l("Review queue: median time to first action"),
                    review_first_action, unit=_l("minutes"),
                    note=_l("By priority. People: the members whose writing was reviewed."))
