"""What the home page shows: the next meetings one may join, how many people are in each room,
the boards with what is unread and their latest activity, and a first-visit welcome.

The page is the most visited one, so every part costs a fixed number of queries however many
boards, rooms or meetings there are: room counts come from presence in one round trip, meeting
sessions for all meetings in one query, boards with their unread counts in two.

Rooms give a count and nothing else: never who is there (in an anonymous room least of all).
Latest activity names a thread and a time, never an author, so an anonymous post stays nobody's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ...errors import PermissionDenied
from ...extensions import db
from ...models import Board, Meeting, MeetingSession, Room, Thread, ThreadRead, User
from .. import clock, presence, transaction
from ..accounts.account import is_suspended
from ..chat import messages as chat
from ..meetings.listing import HORIZON, IN_PROGRESS, SessionView, describe, viewer_zone_name
from ..meetings.schedule import scheduled_meetings
from ..meetings.sessions import LOOKBACK, Window
from ..meetings.times import duration, occurrences

MEETINGS_SHOWN = 3
# The home counts down to a session from this far ahead: "Starting in 40 minutes" is worth a
# glance, though the room itself opens only OPEN_BEFORE ahead.
SOON = timedelta(hours=1)
# Unread means new since the member joined and within this window: a thread quiet for longer
# is not news, and the count stays a cheap range over recent threads.
UNREAD_HORIZON = timedelta(days=30)


@dataclass(frozen=True)
class MeetingCard:
    """A meeting's next session as the home page shows it."""

    session: SessionView
    room_slug: str
    # Not running yet, and starting within SOON: the page counts down the minutes.
    soon: bool
    # The viewer may go in now: the room is open and they are a member not suspended.
    joinable: bool


@dataclass(frozen=True)
class RoomCard:
    """A chat room and how many are in it now (a number, never who)."""

    slug: str
    title: str
    description: str
    anonymous: bool
    present: int


@dataclass(frozen=True)
class BoardCard:
    """A board, the member's unread threads on it and its latest visible activity."""

    slug: str
    name: str
    description: str
    unread: int | None  # None for visitors
    latest_thread_id: int | None
    latest_title: str | None
    latest_at: datetime | None


@dataclass(frozen=True)
class HomeFeed:
    """Everything the home page shows, read at one moment."""

    now: datetime
    zone_name: str
    welcome: bool
    meetings: list[MeetingCard]
    rooms: list[RoomCard]
    boards: list[BoardCard]


def _is_member(viewer: User | None) -> bool:
    return viewer is not None and bool(getattr(viewer, "is_authenticated", False))


def shows_welcome(viewer: User | None) -> bool:
    """Visitors always see the welcome; members until they hide it."""
    return not _is_member(viewer) or viewer.welcome_dismissed_at is None


def check_dismiss_welcome(*, acting_user: User | None) -> None:
    """Hide the welcome for this account, for good."""
    if not _is_member(acting_user):
        raise PermissionDenied()
    if acting_user.welcome_dismissed_at is None:
        acting_user.welcome_dismissed_at = clock.now()
        transaction.commit()


def _stored_sessions(meetings: list[Meeting],
                     now: datetime) -> dict[int, dict[datetime, MeetingSession]]:
    """Stored session rows of these meetings around the coming week, in one query."""
    found: dict[int, dict[datetime, MeetingSession]] = defaultdict(dict)
    if not meetings:
        return found
    rows = db.session.scalars(select(MeetingSession).where(
        MeetingSession.meeting_id.in_([m.id for m in meetings]),
        MeetingSession.starts_at >= now - LOOKBACK,
        MeetingSession.starts_at <= now + HORIZON,
    ))
    for row in rows:
        found[row.meeting_id][row.starts_at] = row
    return found


def _next_window(meeting: Meeting, stored: dict[datetime, MeetingSession],
                 now: datetime) -> Window | None:
    """The meeting's running or next session: meetings_sessions.windows_between's rule (a
    stored row wins over the plain rule), with the rows read beforehand for every meeting."""
    found = {start: Window(start, row.closes_at, row) for start, row in stored.items()
             if row.closes_at > now}
    for start in occurrences(meeting, now - duration(meeting), now + HORIZON):
        end = start + duration(meeting)
        if start not in stored and end > now:
            found[start] = Window(start, end, None)
    return found[min(found)] if found else None


def next_meetings(viewer: User | None, visible_rooms: set[int], now: datetime,
                  limit: int = MEETINGS_SHOWN) -> list[MeetingCard]:
    """The soonest running or upcoming session of each meeting whose room this viewer may
    see, soonest first, at most `limit`."""
    meetings = [m for m in scheduled_meetings() if m.room_id in visible_rooms]
    stored = _stored_sessions(meetings, now)
    zone_name = viewer_zone_name(viewer)
    may_enter = _is_member(viewer) and not is_suspended(viewer, now)
    cards = []
    for meeting in meetings:
        window = _next_window(meeting, stored.get(meeting.id, {}), now)
        if window is None:
            continue
        view = describe(meeting, window, now, zone_name)
        soon = view.state != IN_PROGRESS and now < window.starts_at <= now + SOON
        cards.append(MeetingCard(view, meeting.room.slug, soon, may_enter and view.is_open))
    cards.sort(key=lambda c: (c.session.starts_at, c.session.meeting.id))
    return cards[:limit]


def room_cards(rooms: list[Room], meeting_rooms: set[int]) -> list[RoomCard]:
    """The chat rooms that are not a meeting's, busiest first, with how many are in each."""
    chat_rooms = [r for r in rooms if r.id not in meeting_rooms]
    counts = presence.counts([chat.room_audience(r) for r in chat_rooms])
    cards = [RoomCard(r.slug, r.title, r.description, r.anonymous,
                      max(0, counts.get(chat.room_audience(r), 0))) for r in chat_rooms]
    return sorted(cards, key=lambda c: -c.present)  # stable: by title within a count


def _unread_by_board(viewer: User, now: datetime) -> dict[int, int]:
    """Per board: visible threads with posts newer than the member last read, among those
    active since they joined (and within UNREAD_HORIZON). One grouped query."""
    since = max(viewer.created_at, now - UNREAD_HORIZON)
    query = (
        select(Thread.board_id, func.count(Thread.id))
        .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Thread.id,
                                    ThreadRead.user_id == viewer.id))
        .where(Thread.visible.is_(True), Thread.last_activity_at > since,
               Thread.last_post_id > func.coalesce(ThreadRead.last_read_post_id, 0))
        .group_by(Thread.board_id)
    )
    return dict(db.session.execute(query).all())


def board_cards(viewer: User | None, now: datetime) -> list[BoardCard]:
    """Every board in order, each with its latest visible thread and the member's unread
    count: one query for the boards and their latest thread, one for the counts."""
    latest_id = (
        select(Thread.id)
        .where(Thread.board_id == Board.id, Thread.visible.is_(True))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(1)
        .correlate(Board)
        .scalar_subquery()
    )
    latest = aliased(Thread)
    rows = db.session.execute(
        select(Board.id, Board.slug, Board.name, Board.description, latest.id, latest.title,
               latest.last_activity_at)
        .outerjoin(latest, latest.id == latest_id)
        .order_by(Board.position, Board.name)
    ).all()
    member = _is_member(viewer)
    unread = _unread_by_board(viewer, now) if member else {}
    return [
        BoardCard(slug=slug, name=name, description=description or "",
                  unread=unread.get(board_id, 0) if member else None,
                  latest_thread_id=thread_id, latest_title=title, latest_at=at)
        for board_id, slug, name, description, thread_id, title, at in rows
    ]


def home(viewer: User | None, now: datetime | None = None) -> HomeFeed:
    """The home page for this viewer at this moment."""
    now = now or clock.now()
    viewer = viewer if _is_member(viewer) else None
    # Private support rooms and rooms this viewer may not see are left out here, once.
    rooms = chat.list_rooms(viewer)
    visible = {r.id for r in rooms}
    meeting_rooms = set(db.session.scalars(select(Meeting.room_id)))
    return HomeFeed(
        now=now,
        zone_name=viewer_zone_name(viewer),
        welcome=shows_welcome(viewer),
        meetings=next_meetings(viewer, visible, now),
        rooms=room_cards(rooms, meeting_rooms),
        boards=board_cards(viewer, now),
    )
