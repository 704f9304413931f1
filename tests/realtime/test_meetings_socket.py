"""A meeting room over /chat: joining follows the window, attendance counts without names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import AttendanceMark, MeetingSession
from forum.services import meetings_sessions
from tests import meetings_support
from tests.chat_support import connect, emit, received
from tests.meetings_support import schedule

fake_clock = meetings_support.fake_clock
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)
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
    assert emit(first, "join", {"room": slug})["ok"]
    assert emit(second, "join", {"room": slug})["presence"] == 2
    first.get_received("/chat")
    assert emit(second, "leave", {"room": slug}) == {"ok": True}
    assert received(first, "presence") == [{"room": slug, "count": 1}]
    assert received(outsider, "presence") == []  # not in the room: hears nothing
    session = db.session.scalar(select(MeetingSession))
    db.session.refresh(session)
    assert (session.peak_attendees, session.distinct_attendees) == (2, 2)
    assert len(list(db.session.scalars(select(AttendanceMark)))) == 2
    # The host ends the session: the marks go, the numbers stay.
    fake_clock.set(START + 30 * MIN)
    meetings_sessions.end_current_session(meeting.room, acting_user=facilitator)
    assert list(db.session.scalars(select(AttendanceMark))) == []
    ack = emit(first, "send", {"room": slug, "client_id": "late", "text": "Still here?"})
    assert ack["ok"] is False and ack["text"] == "Still here?"
    first.disconnect("/chat")
    db.session.refresh(session)
    assert (session.peak_attendees, session.distinct_attendees) == (2, 2)
    assert list(db.session.scalars(select(AttendanceMark))) == []
    second.disconnect("/chat")
    outsider.disconnect("/chat")
