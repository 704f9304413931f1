"""A meeting room over /chat: joining follows the window, attendance counts without names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import AttendanceMark, MeetingSession
from tests.fixtures import chat as chat_support, meetings as meetings_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.meetings import schedule
from tests.fixtures.rooms import knock_token

fake_clock = meetings_support.fake_clock
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)  # Tuesday 19:00 in London (BST)
NEXT = datetime(2026, 10, 27, 19, 0, tzinfo=UTC)  # the next Tuesday 19:00, now GMT
MIN = timedelta(minutes=1)


def test_meeting_room_over_the_socket(app, fake_clock, facilitator, member, second_member,
                                      make_user):
    meeting = schedule(facilitator)
    slug = meeting.room.slug
    outsider = connect(app, make_user("quiet-willow"))
    first, second = connect(app, member), connect(app, second_member)
    fake_clock.set(START - 15 * MIN)
    ack = emit(first, "join", {"room": slug})
    assert ack["ok"] is False and ack["error"] == "invalid"
    assert "closed" in ack["message"]
    assert db.session.scalar(select(MeetingSession)) is None
    fake_clock.set(START - 5 * MIN)
    # Meeting rooms have the waiting room on: the host lets each member in.
    host = connect(app, facilitator)
    assert emit(host, "join", {"room": slug})["ok"]
    for sock, user in ((first, member), (second, second_member)):
        knocked = emit(sock, "join", {"room": slug})
        assert knocked["ok"] and knocked["waiting"] and "history" not in knocked
        assert emit(host, "admit", {"room": slug,
                                    "token": knock_token(meeting.room, user)})["ok"]
    assert emit(first, "join", {"room": slug})["presence"] == 2
    assert emit(second, "join", {"room": slug})["presence"] == 3
    first.get_received("/chat")
    assert emit(second, "leave", {"room": slug}) == {"ok": True}
    assert received(first, "presence") == [{"room": slug, "count": 2}]
    assert received(outsider, "presence") == []  # not in the room: hears nothing
    session = db.session.scalar(select(MeetingSession))
    db.session.refresh(session)
    assert (session.peak_attendees, session.distinct_attendees) == (3, 3)
    assert len(list(db.session.scalars(select(AttendanceMark)))) == 3
    # The host ends the session from the room: everyone is told, the marks go, the numbers
    # stay.
    fake_clock.set(START + 30 * MIN)
    assert emit(host, "end_meeting", {"room": slug})["ok"]
    assert [e["room"] for e in received(first, "room_closed")] == [slug]
    assert list(db.session.scalars(select(AttendanceMark))) == []
    db.session.refresh(session)
    assert session.ended_early_at == START + 30 * MIN and session.finalized_at is not None
    ack = emit(first, "send", {"room": slug, "client_id": "late", "text": "Still here?"})
    assert ack["ok"] is False and ack["text"] == "Still here?"
    first.disconnect("/chat")
    db.session.refresh(session)
    assert (session.peak_attendees, session.distinct_attendees) == (3, 3)
    assert list(db.session.scalars(select(AttendanceMark))) == []
    # A week later the next session opens on schedule, fresh: the waiting room again.
    fake_clock.set(NEXT - 5 * MIN)
    nxt = emit(second, "join", {"room": slug})
    assert nxt.get("waiting"), nxt
    for sock in (second, outsider, host):
        sock.disconnect("/chat")


def test_only_the_meetings_hosts_facilitate_its_room(app, fake_clock, facilitator, make_user,
                                                    moderator, member):
    from forum.services.chat import facilitation as room_controls

    meeting = schedule(facilitator)
    other_facilitator = make_user("kim-cedar", roles_=("facilitator",))
    fake_clock.set(START - 5 * MIN)
    room = meeting.room
    assert room_controls.can_facilitate(room, facilitator)
    assert room_controls.can_facilitate(room, moderator)
    assert not room_controls.can_facilitate(room, other_facilitator)
    assert not room_controls.can_facilitate(room, member)
    # In an ordinary room every facilitator may facilitate.
    assert room_controls.can_facilitate(chat_support.make_room(), other_facilitator)
    sock = connect(app, other_facilitator)
    ack = emit(sock, "join", {"room": meeting.room.slug})
    assert ack["ok"] and ack["waiting"]  # they knock like any member
    sock.disconnect("/chat")


def test_a_manual_close_lasts_only_until_the_next_session(app, fake_clock, facilitator):
    from forum.services.chat import facilitation as room_controls, messages as chat

    meeting = schedule(facilitator)
    room = meeting.room
    fake_clock.set(START + 10 * MIN)
    room_controls.check_slow_mode(room, 30, acting_user=facilitator)
    room_controls.check_close(room, acting_user=facilitator)
    assert not chat.is_open(room, START + 20 * MIN)
    # Next week's session opens on schedule with the defaults.
    fake_clock.set(NEXT - 5 * MIN)
    assert chat.is_open(room, fake_clock())
    assert room_controls.slow_mode_seconds(room) == 0


def test_a_meeting_lets_in_no_more_than_its_capacity(app, fake_clock, facilitator, make_user):
    from forum.services.chat import facilitation as room_controls

    meeting = schedule(facilitator, capacity="2")
    slug = meeting.room.slug
    fake_clock.set(START - 5 * MIN)
    host = connect(app, facilitator)
    assert emit(host, "join", {"room": slug})["ok"]
    # With the waiting room on, the host lets people in up to the capacity.
    people = [make_user(f"circle-{i}") for i in range(3)]
    socks = [connect(app, person) for person in people]
    for sock in socks:
        assert emit(sock, "join", {"room": slug})["waiting"]
    tokens = [knock_token(meeting.room, person) for person in people]
    assert emit(host, "admit", {"room": slug, "token": tokens[0]})["ok"]
    assert emit(host, "admit", {"room": slug, "token": tokens[1]})["ok"]
    full = emit(host, "admit", {"room": slug, "token": tokens[2]})
    assert full["ok"] is False and full["error"] == "full" and "2 people" in full["message"]
    # Without the waiting room, a newcomer past the capacity is told so; those let in return.
    room_controls.check_waiting_room(meeting.room, False, acting_user=facilitator)
    newcomer = connect(app, make_user("late-arrival"))
    refused = emit(newcomer, "join", {"room": slug})
    assert refused["ok"] is False and refused["error"] == "full"
    assert "Talk to someone now" in refused["message"]
    assert emit(socks[0], "join", {"room": slug})["ok"]
    # Facilitators are not counted against the capacity.
    assert emit(host, "join", {"room": slug})["ok"]
    for sock in (*socks, newcomer, host):
        sock.disconnect("/chat")
