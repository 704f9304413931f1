"""The meeting room's window (injectable clock), extend, end early, and anonymous attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.errors import NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import AttendanceMark, AuditEvent, MeetingSession
from forum.services.chat import messages as chat
from forum.services.meetings import (
    access as meetings_access,
    attendance as meetings_attendance,
    schedule as meetings,
    sessions as meetings_sessions,
)
from tests.conftest import PERSONAS
from tests.fixtures import chat as chat_support, meetings as meetings_support
from tests.fixtures.meetings import schedule

fake_clock = meetings_support.fake_clock
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)  # Tuesday 19:00 in London (BST)
NEXT = datetime(2026, 10, 27, 19, 0, tzinfo=UTC)  # the next Tuesday 19:00, now GMT
MIN = timedelta(minutes=1)


@pytest.fixture
def meeting(fake_clock, facilitator):
    return schedule(facilitator)


def _open_at(room, moment) -> bool:
    return chat.is_open(room, moment)


def test_window_opens_ten_minutes_before_and_closes_at_the_end(meeting):
    room = meeting.room
    assert not _open_at(room, START - 11 * MIN)
    assert _open_at(room, START - 10 * MIN)
    assert _open_at(room, START)
    assert _open_at(room, START + 59 * MIN)
    assert not _open_at(room, START + 60 * MIN)
    assert not _open_at(room, START + 3 * 24 * 60 * MIN)
    assert not _open_at(room, START + timedelta(days=7))  # 18:00 local after the change
    assert _open_at(room, NEXT - 5 * MIN)
    assert db.session.scalar(select(func.count(MeetingSession.id))) == 0  # nothing stored


def test_join_follows_the_clock(meeting, fake_clock, member):
    fake_clock.set(START - 20 * MIN)
    with pytest.raises(ValidationFailed):
        chat.check_join(meeting.room, acting_user=member)
    fake_clock.set(START - 9 * MIN)
    chat.check_join(meeting.room, acting_user=member)


def test_other_rooms_are_not_affected(meeting, app):
    always = chat_support.make_room()
    assert meetings_sessions.is_room_open(always, START) is None
    assert chat.is_open(always, START - 11 * MIN)


def test_cancelled_meeting_room_stays_closed(meeting, facilitator):
    meetings.check_cancel(meeting, acting_user=facilitator)
    assert not _open_at(meeting.room, START)


def test_extend_adds_fifteen_minutes_per_click_and_is_audited(meeting, fake_clock, facilitator):
    fake_clock.set(START + 50 * MIN)
    session = meetings_sessions.check_extend(meeting, acting_user=facilitator)
    assert session.closes_at == START + 75 * MIN and session.extended_minutes == 15
    assert _open_at(meeting.room, START + 70 * MIN)
    assert not _open_at(meeting.room, START + 75 * MIN)
    fake_clock.set(START + 74 * MIN)
    meetings_sessions.check_extend(meeting, acting_user=facilitator)
    assert _open_at(meeting.room, START + 89 * MIN)
    assert not _open_at(meeting.room, START + 90 * MIN)
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.extend"))
    assert [(e.actor_id, e.details["extended_minutes"]) for e in rows] == [
        (facilitator.id, 15), (facilitator.id, 30)]


def test_extend_needs_an_open_session(meeting, fake_clock, facilitator):
    fake_clock.set(START + 61 * MIN)
    with pytest.raises(ValidationFailed):
        meetings_sessions.check_extend(meeting, acting_user=facilitator)


@pytest.mark.parametrize("persona", [*PERSONAS, "suspended"])
def test_who_may_extend_and_end(request, meeting, fake_clock, persona):
    user = request.getfixturevalue(persona)
    fake_clock.set(START + 30 * MIN)
    if persona in {"facilitator", "moderator", "trained_moderator", "admin"}:
        meetings_sessions.check_extend(meeting, acting_user=user)
        meetings_sessions.end_current_session(meeting.room, acting_user=user)
        assert not _open_at(meeting.room, START + 31 * MIN)
    else:
        with pytest.raises(PermissionDenied):
            meetings_sessions.check_extend(meeting, acting_user=user)
        with pytest.raises(PermissionDenied):
            meetings_sessions.end_current_session(meeting.room, acting_user=user)
        assert _open_at(meeting.room, START + 59 * MIN)
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.in_(["meeting.extend", "meeting.end"]))) == 0


def test_end_early_closes_now_and_the_next_session_still_opens(meeting, fake_clock,
                                                               facilitator):
    fake_clock.set(START + 20 * MIN)
    session = meetings_sessions.end_current_session(meeting.room, acting_user=facilitator)
    assert session.ended_early_at == START + 20 * MIN and session.ended_by_id == facilitator.id
    assert not _open_at(meeting.room, START + 20 * MIN)
    assert not _open_at(meeting.room, START + 30 * MIN)
    assert _open_at(meeting.room, NEXT)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.end"))
    assert audit.actor_id == facilitator.id and audit.details == {"session_id": session.id}
    with pytest.raises(ValidationFailed):
        meetings_sessions.end_current_session(meeting.room, acting_user=facilitator)


def test_end_current_session_of_a_plain_room_is_not_found(app, facilitator, fake_clock):
    with pytest.raises(NotFound):
        meetings_sessions.end_current_session(chat_support.make_room(), acting_user=facilitator)


def test_hosts_of_room(fake_clock, facilitator, make_user, app):
    cohost = make_user("ana-brook", roles_=("facilitator",))
    meeting = schedule(facilitator, cohost=cohost.pseudonym)
    assert meetings_access.hosts_of_room(meeting.room) == {facilitator.id, cohost.id}
    assert meetings_access.hosts_of_room(chat_support.make_room()) is None


def _marks() -> list[AttendanceMark]:
    return list(db.session.scalars(select(AttendanceMark)))


def test_attendance_peak_and_distinct_with_nothing_personal_left(
        meeting, fake_clock, member, second_member, make_user):
    third = make_user("quiet-willow")
    room = meeting.room
    fake_clock.set(START - 5 * MIN)
    chat.note_presence(room, member.id, True, 1)
    chat.note_presence(room, member.id, True, 2)  # a second tab is the same person
    fake_clock.set(START + 5 * MIN)
    chat.note_presence(room, second_member.id, True, 3)
    session = db.session.scalar(select(MeetingSession))
    assert (session.peak_attendees, session.distinct_attendees) == (2, 2)
    chat.note_presence(room, member.id, False, 2)
    chat.note_presence(room, member.id, False, 1)
    chat.note_presence(room, third.id, True, 2)
    assert (session.peak_attendees, session.distinct_attendees) == (2, 3)
    chat.note_presence(room, member.id, True, 3)  # coming back is not a new person
    assert (session.peak_attendees, session.distinct_attendees) == (3, 3)
    keys = {m.attendee_key for m in _marks()}
    assert len(keys) == 3
    for user in (member, second_member, third):
        assert not any(str(user.id) == k or user.pseudonym in k for k in keys)
    # After the end only the two numbers remain.
    assert meetings_sessions.run_bookkeeping(START + 60 * MIN) == 1
    assert _marks() == []
    db.session.expire_all()
    session = db.session.get(MeetingSession, session.id)
    assert (session.peak_attendees, session.distinct_attendees) == (3, 3)
    assert session.finalized_at == START + 60 * MIN
    assert meetings_sessions.run_bookkeeping(START + 61 * MIN) == 0


def test_presence_outside_the_window_or_in_plain_rooms_counts_nothing(
        meeting, fake_clock, member):
    fake_clock.set(START - 30 * MIN)
    chat.note_presence(meeting.room, member.id, True, 1)
    chat.note_presence(chat_support.make_room(), member.id, True, 1)
    assert db.session.scalar(select(func.count(MeetingSession.id))) == 0 and _marks() == []


def test_a_leave_after_the_session_closed_changes_nothing(meeting, fake_clock, member,
                                                          facilitator):
    fake_clock.set(START)
    chat.note_presence(meeting.room, member.id, True, 1)
    fake_clock.set(START + 10 * MIN)
    session = meetings_sessions.end_current_session(meeting.room, acting_user=facilitator)
    assert _marks() == []  # ending early finalizes at once
    chat.note_presence(meeting.room, member.id, False, 0)
    assert _marks() == []
    assert (session.peak_attendees, session.distinct_attendees) == (1, 1)


def test_attendance_aggregate_is_for_admins(request, meeting, fake_clock, member, admin):
    fake_clock.set(START)
    chat.note_presence(meeting.room, member.id, True, 1)
    meetings_sessions.run_bookkeeping(START + 60 * MIN)
    for persona in ("member", "facilitator", "moderator"):
        with pytest.raises(PermissionDenied):
            meetings_attendance.aggregate(acting_user=request.getfixturevalue(persona))
    [row] = meetings_attendance.aggregate(acting_user=admin)
    assert (row.meeting.id, row.sessions, row.peak, row.total_distinct) == (meeting.id, 1, 1, 1)


def test_sessions_held_reach_the_community_measures_as_anonymous_counts(
        meeting, fake_clock, make_user, admin):
    from datetime import date

    from forum.services.measures import report as measures

    people = [make_user(f"circle-{i:02d}") for i in range(11)]
    fake_clock.set(START + 5 * MIN)
    for n, person in enumerate(people, start=1):
        chat.note_presence(meeting.room, person.id, True, n)
    meetings_sessions.run_bookkeeping(START + 60 * MIN)
    # The next week's session, attended by two: held, but too few people to be shown.
    fake_clock.set(NEXT + 5 * MIN)
    for n, person in enumerate(people[:2], start=1):
        chat.note_presence(meeting.room, person.id, True, n)
    meetings_sessions.run_bookkeeping(NEXT + 60 * MIN)

    report = measures.build_report(measures.make_period(date(2026, 10, 19), date(2026, 11, 1)))
    by_key = {f.key: f for f in report.figures}
    sessions = dict(by_key["meeting_sessions"].series[0].weekly)
    attendance = dict(by_key["meeting_attendance"].series[0].weekly)
    week1, week2 = date(2026, 10, 19), date(2026, 10, 26)
    assert (sessions[week1].value, attendance[week1].value) == (1, 11)
    assert sessions[week2].suppressed and attendance[week2].suppressed  # fewer than 10
