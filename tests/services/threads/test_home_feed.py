"""The home page's feed: next meetings and their states, room counts, unread per board, what
each viewer may see, and a fixed number of queries however much there is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from forum.errors import PermissionDenied
from forum.extensions import db
from forum.services import presence
from forum.services.chat import messages as chat
from forum.services.meetings import (
    listing as meetings_listing,
    schedule as meetings,
    sessions as meetings_sessions,
)
from forum.services.meetings.listing import IN_PROGRESS, STARTING_SOON
from forum.services.support import requests as support
from forum.services.threads import home_feed, reading as threads
from tests.fixtures import (
    chat as chat_support,
    meetings as meetings_support,
    threads as threads_support,
)
from tests.fixtures.meetings import schedule
from tests.fixtures.talk import on_duty
from tests.fixtures.threads import new_reply, new_thread

fake_clock = meetings_support.fake_clock
board = threads_support.board
screener = threads_support.screener

NOW = meetings_support.BEFORE_DST_END  # Monday 2026-10-12 09:00 UTC
MIN = timedelta(minutes=1)


def _once(host, title, start: datetime, minutes: int = 60):
    """A one-off meeting at a UTC moment."""
    return schedule(host, title=title, start_date=start.date().isoformat(),
                    start_time=start.strftime("%H:%M"), timezone="UTC",
                    duration=str(minutes), recurrence="once", weekdays=[])


@pytest.fixture
def four_meetings(fake_clock, facilitator):
    """Running since 08:30, starting at 09:12, weekly on Tuesdays, and one in three days."""
    running = _once(facilitator, "Running circle", NOW - 30 * MIN, 60)
    soon = _once(facilitator, "Soon circle", NOW + 12 * MIN, 45)
    weekly = schedule(facilitator, title="Tuesday circle")  # Tuesdays 19:00 London
    later = _once(facilitator, "Later circle", NOW + timedelta(days=3))
    return running, soon, weekly, later


def _titles(cards) -> list[str]:
    return [c.session.meeting.title for c in cards]


def test_next_meetings_soonest_first_with_their_states(four_meetings, member):
    cards = home_feed.home(member, NOW).meetings
    assert _titles(cards) == ["Running circle", "Soon circle", "Tuesday circle"]
    assert [c.session.state for c in cards] == [IN_PROGRESS, None, None]
    # Counted down from an hour ahead, though its room opens ten minutes before.
    assert [c.soon for c in cards] == [False, True, False]
    assert cards[1].session.minutes_until == 12
    # Open rooms (from ten minutes before) are one tap away; the Tuesday one is not open yet.
    assert [c.joinable for c in cards] == [True, False, False]
    assert cards[2].session.starts_at == datetime(2026, 10, 13, 18, 0, tzinfo=UTC)


def test_a_weekly_meeting_shows_once_and_states_follow_the_clock(four_meetings, member,
                                                                 fake_clock):
    running, soon, weekly, later = four_meetings
    fake_clock.set(NOW + 5 * MIN)
    cards = home_feed.home(member).meetings
    assert [c.session.state for c in cards[:2]] == [IN_PROGRESS, STARTING_SOON]
    assert cards[1].session.minutes_until == 7 and cards[1].joinable and cards[1].soon
    fake_clock.set(NOW + 31 * MIN)  # the running one has ended; the soon one is running
    cards = home_feed.home(member).meetings
    assert _titles(cards) == ["Soon circle", "Tuesday circle", "Later circle"]
    assert cards[0].session.state == IN_PROGRESS
    fake_clock.set(datetime(2026, 10, 13, 17, 55, tzinfo=UTC))
    assert _titles(home_feed.home(member).meetings)[0] == "Tuesday circle"
    assert len(_titles(home_feed.home(member, NOW + 8 * 24 * 60 * MIN).meetings)) == 1


def test_the_home_agrees_with_the_meetings_page(four_meetings, member):
    listed = meetings_listing.upcoming(member, NOW)
    first = {}
    for view in listed:
        first.setdefault(view.meeting.id, view)
    for card in home_feed.next_meetings(member, {m.room_id for m in four_meetings}, NOW, 10):
        assert card.session == first[card.session.meeting.id]


def test_times_are_in_the_members_own_zone(four_meetings, member):
    member.timezone = "America/Mexico_City"
    db.session.commit()
    cards = home_feed.home(member, NOW).meetings
    assert home_feed.home(member, NOW).zone_name == "America/Mexico_City"
    assert str(cards[2].session.starts_at.tzinfo) == "America/Mexico_City"
    assert cards[2].session.starts_at.strftime("%Y-%m-%d %H:%M") == "2026-10-13 12:00"
    assert home_feed.home(None, NOW).zone_name == "UTC"


def test_an_extended_session_stays_in_progress_and_an_ended_one_gives_way(
        four_meetings, facilitator, member, fake_clock):
    running, soon, weekly, later = four_meetings
    fake_clock.set(NOW + 25 * MIN)
    meetings_sessions.check_extend(running, acting_user=facilitator)
    fake_clock.set(NOW + 35 * MIN)  # past its hour, within the extension
    cards = home_feed.home(member).meetings
    assert _titles(cards)[0] == "Running circle" and cards[0].session.state == IN_PROGRESS
    assert cards[0].session.closes_at == NOW + 45 * MIN
    meetings_sessions.end_current_session(soon.room, acting_user=facilitator)
    assert "Soon circle" not in _titles(home_feed.home(member).meetings)


def test_visitors_and_suspended_members_see_meetings_but_no_join(four_meetings, suspended):
    for viewer in (None, suspended):
        cards = home_feed.home(viewer, NOW).meetings
        assert _titles(cards)[:2] == ["Running circle", "Soon circle"]
        assert cards[0].session.is_open and not any(c.joinable for c in cards)


def test_meetings_whose_room_the_viewer_may_not_see_or_that_are_cancelled_are_left_out(
        four_meetings, facilitator, member, second_member, monkeypatch):
    running, soon, weekly, later = four_meetings
    meetings.check_cancel(weekly, acting_user=facilitator)

    def hide_from_member(room, viewer):
        if room.id == running.room_id:
            return viewer is not None and viewer.id != member.id
        return None

    monkeypatch.setattr(chat, "_ACCESS_RULES", [*chat._ACCESS_RULES, hide_from_member])
    assert _titles(home_feed.home(member, NOW).meetings) == ["Soon circle", "Later circle"]
    assert _titles(home_feed.home(second_member, NOW).meetings) == [
        "Running circle", "Soon circle", "Later circle"]
    assert _titles(home_feed.home(None, NOW).meetings) == ["Soon circle", "Later circle"]


# Rooms: how many, never who; meeting rooms and private support rooms are not listed.

def _sit(room, sid: str) -> None:
    presence.join(chat.room_audience(room), sid)


def test_rooms_show_how_many_are_in_each_busiest_first(app, member, facilitator, fake_clock):
    quiet = chat_support.make_room("a-quiet-room", "A quiet room")
    coffee = chat_support.make_room()
    hidden = chat_support.make_room("anon", "Anonymous share", anonymous=True)
    meeting = _once(facilitator, "Running circle", NOW - 5 * MIN)
    for i in range(2):
        _sit(coffee, f"sid-c{i}")
    _sit(hidden, "sid-a")
    _sit(meeting.room, "sid-m")
    rooms = home_feed.home(member, NOW).rooms
    assert [(r.slug, r.present) for r in rooms] == [
        ("coffee-room", 2), ("anon", 1), ("a-quiet-room", 0)]
    assert rooms[1].anonymous and not rooms[0].anonymous
    # A count is all a card carries: no names, no accounts.
    assert set(vars(rooms[1])) == {"slug", "title", "description", "anonymous", "present"}
    presence.leave(chat.room_audience(coffee), "sid-c0")
    assert home_feed.home(None, NOW).rooms[0].present == 1
    assert quiet.slug in {r.slug for r in home_feed.home(None, NOW).rooms}


def test_private_support_rooms_are_never_listed(app, member, second_member, facilitator):
    on_duty(facilitator)
    request = support.check_open(acting_user=member).request
    room = support.room_of(support.check_accept(request.id, acting_user=facilitator))
    _sit(room, "sid-member")
    _sit(room, "sid-facilitator")
    for viewer in (member, facilitator, second_member, None):
        assert room.slug not in {r.slug for r in home_feed.home(viewer).rooms}


# Boards: unread per board for members, latest visible activity for everyone.

@pytest.fixture
def second_board(make_user):
    from forum.services.threads import boards

    keeper = make_user("other-keeper", roles_=("admin",))
    return boards.check_save_board(None, slug="wins", name="Wins", description="Small wins.",
                                   position=2, content_note=None, acting_user=keeper)


def _card(feed, slug):
    return next(b for b in feed.boards if b.slug == slug)


def test_unread_counts_per_board_follow_the_read_marker(app, board, second_board, make_user,
                                                        second_member, screener):
    before = new_thread(board, second_member, title="Before you came").post.thread
    member = make_user("new-heron")
    first = new_thread(board, second_member, title="A new day").post.thread
    new_thread(board, second_member, title="Another day")
    new_thread(second_board, second_member, title="Ten days", anonymous=True)
    new_thread(second_board, second_member, title="Waiting [[hold]]")  # not shown to anyone
    feed = home_feed.home(member)
    assert (_card(feed, board.slug).unread, _card(feed, second_board.slug).unread) == (2, 1)
    threads.do_mark_read(member, first, first.last_post_id)
    assert _card(home_feed.home(member), board.slug).unread == 1
    new_reply(first, second_member, "Still here.")
    assert _card(home_feed.home(member), board.slug).unread == 2
    new_reply(before, second_member, "An old thread wakes up.")
    assert _card(home_feed.home(member), board.slug).unread == 3
    assert _card(home_feed.home(None), board.slug).unread is None


def test_latest_activity_is_the_latest_visible_thread(app, board, second_board, member,
                                                      second_member, screener):
    first = new_thread(board, second_member, title="First light").post.thread
    new_thread(board, second_member, title="Second light")
    new_thread(board, member, title="Held one [[hold]]")
    reply = new_reply(first, member, "Anonymous answer", anonymous=True).post
    feed = home_feed.home(None)
    card = _card(feed, board.slug)
    assert (card.latest_thread_id, card.latest_title) == (first.id, "First light")
    assert card.latest_at == reply.published_at
    empty = _card(feed, second_board.slug)
    assert (empty.latest_thread_id, empty.latest_title, empty.latest_at) == (None, None, None)
    assert [b.slug for b in feed.boards] == [board.slug, second_board.slug]


def test_the_welcome_shows_until_a_member_hides_it(member):
    assert home_feed.home(None).welcome and home_feed.home(member).welcome
    home_feed.check_dismiss_welcome(acting_user=member)
    db.session.expire_all()
    assert not home_feed.home(member).welcome and home_feed.home(None).welcome
    with pytest.raises(PermissionDenied):
        home_feed.check_dismiss_welcome(acting_user=None)


def _statements(action) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_boards_rooms_or_meetings(
        app, board, make_user, facilitator, second_member, fake_clock):
    from forum.services.threads import boards

    member = make_user("counting-heron")
    keeper = make_user("count-keeper", roles_=("admin",))
    _once(facilitator, "Running circle", NOW - 5 * MIN)
    new_thread(board, second_member)
    chat_support.make_room()
    db.session.expire_all()
    small = _statements(lambda: home_feed.home(member, NOW))
    for i in range(4):
        extra = boards.check_save_board(None, slug=f"extra-{i}", name=f"Extra {i}",
                                        description="", position=5 + i, content_note=None,
                                        acting_user=keeper)
        new_thread(extra, second_member, title=f"Thread {i}")
        chat_support.make_room(f"room-{i}", f"Room {i}")
        _once(facilitator, f"Circle {i}", NOW + (i + 1) * timedelta(hours=2))
        schedule(facilitator, title=f"Weekly {i}")
    db.session.expire_all()
    assert _statements(lambda: home_feed.home(member, NOW)) == small
