"""Scheduling meetings: validation, screening, permissions per persona, audit, recurrence."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import func, select

from forum.errors import ContentRejected, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import AuditEvent, Meeting, MeetingSession, ReviewItem, Room, User
from forum.services.meetings import schedule as meetings, times as meetings_time
from forum.services.meetings.sessions import check_extend, materialize
from tests.conftest import PERSONAS
from tests.fixtures import meetings as meetings_support, threads as threads_support
from tests.fixtures.meetings import meeting_data, schedule

fake_clock = meetings_support.fake_clock
screener = threads_support.screener
MAY_SCHEDULE = {"facilitator", "moderator", "trained_moderator", "admin"}


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("persona", [*PERSONAS, "suspended"])
def test_who_may_schedule(request, fake_clock, persona):
    user = request.getfixturevalue(persona)
    if persona in MAY_SCHEDULE:
        meeting = schedule(user)
        assert meeting.host_id == user.id
        assert [e.actor_id for e in _audit("meeting.schedule")] == [user.id]
    else:
        with pytest.raises(PermissionDenied):
            schedule(user)
        assert _count(Meeting) == 0 and _count(Room) == 0 and _audit("meeting.schedule") == []


def test_schedule_creates_a_closed_room_with_a_unique_slug(fake_clock, facilitator):
    first = schedule(facilitator)
    second = schedule(facilitator)
    assert first.room.slug == "tuesday-check-in-circle"
    assert second.room.slug == "tuesday-check-in-circle-2"
    assert first.room.always_open is False and first.room.title == "Tuesday check-in circle"
    assert first.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert first.start_time == time(19, 0) and first.timezone == "Europe/London"
    assert first.accessibility == ["text-only", "newcomer"]
    audit = _audit("meeting.schedule")[0]
    assert audit.target_id == first.id and audit.details["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert "Share how" not in str(audit.details)  # texts stay out of the audit log


def test_accented_title_gives_an_ascii_slug(fake_clock, facilitator):
    meeting = schedule(facilitator, title="Café del martes", language="es")
    assert meeting.room.slug == "cafe-del-martes"


@pytest.mark.parametrize(("field", "value", "error_field"), [
    ("title", "Hi", "title"),
    ("title", "x" * 101, "title"),
    ("description", "x" * 4001, "description"),
    ("start_date", "13/10/2026", "start_date"),
    ("start_date", "2026-01-01", "start_date"),
    ("start_time", "7pm", "start_time"),
    ("start_time", "24:00", "start_time"),
    ("timezone", "Mars/Olympus", "timezone"),
    ("timezone", "", "timezone"),
    ("timezone", "0" * 300, "timezone"),  # past the file name limit: not an OSError
    ("timezone", "Europe", "timezone"),  # a folder of zones, not one
    ("duration", "5", "duration"),
    ("duration", "600", "duration"),
    ("duration", "an hour", "duration"),
    ("recurrence", "monthly", "recurrence"),
    ("weekdays", [], "weekdays"),
    ("weekdays", ["XX"], "weekdays"),
    ("format", "lecture", "format"),
    ("language", "xx", "language"),
    ("accessibility", ["wheelchair"], "accessibility"),
    ("capacity", "1", "capacity"),
    ("capacity", "many", "capacity"),
    ("cohost", "nobody-by-that-name", "cohost"),
])
def test_validation_names_the_field_and_saves_nothing(fake_clock, facilitator, field, value,
                                                     error_field):
    with pytest.raises(ValidationFailed) as err:
        schedule(facilitator, **{field: value})
    assert error_field in err.value.reasons
    assert _count(Meeting) == 0 and _count(Room) == 0


def test_all_problems_are_reported_at_once(fake_clock, facilitator):
    with pytest.raises(ValidationFailed) as err:
        schedule(facilitator, title="", start_time="", capacity="0")
    assert {"title", "start_time", "capacity"} <= set(err.value.reasons)


def test_cohost_must_be_another_facilitator(fake_clock, facilitator, member, make_user):
    other = make_user("ana-brook", roles_=("facilitator",))
    with pytest.raises(ValidationFailed) as err:
        schedule(facilitator, cohost=member.pseudonym)
    assert "cohost" in err.value.reasons
    with pytest.raises(ValidationFailed):
        schedule(facilitator, cohost=facilitator.pseudonym)
    meeting = schedule(facilitator, cohost="ANA-BROOK")
    assert meeting.cohost_id == other.id


def test_one_off_meeting(fake_clock, facilitator):
    meeting = schedule(facilitator, recurrence="once", weekdays=[], start_date="2026-10-15")
    assert meeting.rrule == meetings_time.ONE_OFF_RULE
    starts = meetings_time.occurrences(meeting, fake_clock.now,
                                       datetime(2027, 1, 1, tzinfo=UTC))
    assert starts == [datetime(2026, 10, 15, 18, 0, tzinfo=UTC)]


def test_weekly_start_moves_to_the_first_chosen_weekday(fake_clock, facilitator):
    meeting = schedule(facilitator, start_date="2026-10-14", weekdays=["TU", "TH"])
    assert meeting.start_date.isoformat() == "2026-10-15"  # the Thursday
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=TU,TH"


def test_block_refuses_with_the_reason(fake_clock, facilitator, screener):
    with pytest.raises(ContentRejected) as err:
        schedule(facilitator, description="Come along [[block:harassment]]")
    assert err.value.field == "description"
    assert _count(Meeting) == 0 and _count(Room) == 0
    assert ("Tuesday check-in circle", "title") in screener
    assert ("Come along [[block:harassment]]", "post") in screener


def test_hold_refuses_scheduling_with_a_clear_message(fake_clock, facilitator, screener):
    with pytest.raises(ValidationFailed) as err:
        schedule(facilitator, title="Call me [[hold:pii]]")
    assert "moderator" in err.value.reasons["title"][0]
    assert _count(Meeting) == 0 and _count(Room) == 0


def test_flag_publishes_and_queues_the_meeting(fake_clock, facilitator, screener, moderator):
    from forum.services import review_queue

    meeting = schedule(facilitator, description="Relapse talk [[flag:relapse]]")
    item = db.session.scalar(select(ReviewItem))
    assert (item.content_kind, item.content_id) == ("meeting", meeting.id)
    assert item.room_id == meeting.room_id and item.author_id == facilitator.id
    review_queue.do_remove(item, reason="not suitable", acting_user=moderator)
    assert db.session.get(Meeting, meeting.id).status == "cancelled"


def test_each_text_is_screened_once_and_unchanged_texts_not_again(fake_clock, facilitator,
                                                                   screener):
    meeting = schedule(facilitator)
    assert len(screener) == 2
    meetings.check_edit(meeting, meeting_data(capacity="30"), acting_user=facilitator)
    assert len(screener) == 2
    meetings.check_edit(meeting, meeting_data(title="Tuesday circle"), acting_user=facilitator)
    assert screener[-1] == ("Tuesday circle", "title") and len(screener) == 3
    assert meeting.room.title == "Tuesday circle"


@pytest.mark.parametrize("persona", [*PERSONAS, "suspended", "cohost"])
def test_who_may_edit_and_cancel(request, fake_clock, make_user, facilitator, persona):
    cohost = make_user("ana-brook", roles_=("facilitator",))
    meeting = schedule(facilitator, cohost=cohost.pseudonym)
    user = cohost if persona == "cohost" else request.getfixturevalue(persona)
    allowed = persona in {"facilitator", "cohost", "moderator", "trained_moderator", "admin"}
    if not allowed:
        with pytest.raises(PermissionDenied):
            meetings.check_edit(meeting, meeting_data(capacity="30"), acting_user=user)
        with pytest.raises(PermissionDenied):
            meetings.check_cancel(meeting, acting_user=user)
        assert meeting.status == "scheduled" and meeting.capacity == 20
        assert _audit("meeting.edit") == [] and _audit("meeting.cancel") == []
        return
    meetings.check_edit(meeting, meeting_data(capacity="30", cohost=cohost.pseudonym),
                        acting_user=user)
    assert meeting.capacity == 30 and meeting.cohost_id == cohost.id
    meetings.check_cancel(meeting, acting_user=user, reason="Host away")
    assert meeting.status == "cancelled"
    assert [e.actor_id for e in _audit("meeting.edit")] == [user.id]
    cancel = _audit("meeting.cancel")
    assert [(e.actor_id, e.reason) for e in cancel] == [(user.id, "Host away")]


def test_another_facilitator_may_not_edit(fake_clock, facilitator, make_user):
    meeting = schedule(facilitator)
    other = make_user("ana-brook", roles_=("facilitator",))
    with pytest.raises(PermissionDenied):
        meetings.check_edit(meeting, meeting_data(), acting_user=other)
    with pytest.raises(PermissionDenied):
        check_extend(meeting, acting_user=other)
    with pytest.raises(PermissionDenied):
        meetings.check_cancel(meeting, acting_user=other)
    assert db.session.get(Meeting, meeting.id).status == "scheduled"


def test_a_muted_facilitator_may_not_schedule_or_rewrite_a_meeting(fake_clock, facilitator,
                                                                   trained_moderator):
    from forum.services.meetings import access as meetings_access
    from forum.services.review import sanctions

    meeting = schedule(facilitator)
    sanctions.check_sanction(facilitator, "mute", "Cooling off.", acting_user=trained_moderator,
                             days=2)
    assert not meetings_access.can_schedule(facilitator)
    with pytest.raises(PermissionDenied):
        schedule(facilitator, title="Written while muted")
    with pytest.raises(PermissionDenied):
        meetings.check_edit(meeting, meeting_data(title="Rewritten while muted"),
                            acting_user=facilitator)
    assert _count(Meeting) == 1
    assert db.session.get(Meeting, meeting.id).title == "Tuesday check-in circle"
    # Running the meeting is not writing: the host may still cancel it.
    meetings.check_cancel(meeting, acting_user=facilitator)


def test_rescheduling_drops_stored_future_sessions(fake_clock, facilitator):
    meeting = schedule(facilitator)
    materialize(meeting, datetime(2026, 10, 13, 18, 0, tzinfo=UTC))
    db.session.commit()
    meetings.check_edit(meeting, meeting_data(start_time="20:00"), acting_user=facilitator)
    assert _count(MeetingSession) == 0
    starts = meetings_time.occurrences(meeting, fake_clock.now,
                                       datetime(2026, 10, 14, tzinfo=UTC))
    assert starts == [datetime(2026, 10, 13, 19, 0, tzinfo=UTC)]


def _starts(meeting, until):
    return meetings_time.occurrences(meeting, datetime(2026, 10, 1, tzinfo=UTC), until)


def test_london_stays_at_19_local_across_the_october_change(fake_clock, facilitator):
    meeting = schedule(facilitator)  # Tuesdays 19:00 Europe/London
    starts = _starts(meeting, datetime(2026, 11, 4, tzinfo=UTC))
    assert starts == [
        datetime(2026, 10, 13, 18, 0, tzinfo=UTC),  # BST, UTC+1
        datetime(2026, 10, 20, 18, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 19, 0, tzinfo=UTC),  # GMT after 25 October
        datetime(2026, 11, 3, 19, 0, tzinfo=UTC),
    ]
    zone = meetings_time.zone("Europe/London")
    assert {s.astimezone(zone).strftime("%a %H:%M") for s in starts} == {"Tue 19:00"}


def test_new_york_stays_at_19_local_across_the_november_change(fake_clock, facilitator):
    meeting = schedule(facilitator, timezone="America/New_York")
    starts = _starts(meeting, datetime(2026, 11, 12, tzinfo=UTC))
    assert starts == [
        datetime(2026, 10, 13, 23, 0, tzinfo=UTC),  # EDT, UTC-4
        datetime(2026, 10, 20, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 4, 0, 0, tzinfo=UTC),  # EST after 1 November: Tuesday 19:00 local
        datetime(2026, 11, 11, 0, 0, tzinfo=UTC),
    ]
    zone = meetings_time.zone("America/New_York")
    assert {s.astimezone(zone).strftime("%a %H:%M") for s in starts} == {"Tue 19:00"}


def test_stored_rule_expands_back_with_rrulestr(fake_clock, facilitator):
    meeting = schedule(facilitator, weekdays=["TU", "TH"])
    rule = rrulestr(meeting.rrule, dtstart=datetime(2026, 10, 13, 19, 0))
    assert [d.strftime("%a %d") for d in rule[:4]] == ["Tue 13", "Thu 15", "Tue 20", "Thu 22"]
    assert meetings_time.next_occurrence(meeting, datetime(2026, 10, 16, tzinfo=UTC)) == (
        datetime(2026, 10, 20, 18, 0, tzinfo=UTC))


def test_demo_seeds_two_meetings_hosted_by_facilitator_sam(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = list(db.session.scalars(select(Meeting).order_by(Meeting.id)))
    assert [(m.format, m.rrule) for m in rows] == [
        ("check-in", "FREQ=WEEKLY;BYDAY=MO,WE,FR"), ("topic", "FREQ=WEEKLY;BYDAY=SA")]
    assert {m.host_id for m in rows} == {
        db.session.scalar(select(User.id).where(User.pseudonym == "sam-lantern"))}
    assert all(m.room.always_open is False for m in rows)


def test_a_long_running_series_can_still_be_edited(fake_clock, facilitator):
    meeting = schedule(facilitator)
    fake_clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    meetings.check_edit(meeting, meeting_data(duration="90"), acting_user=facilitator)
    assert meeting.duration_minutes == 90 and meeting.start_date.isoformat() == "2026-10-13"
    with pytest.raises(ValidationFailed) as err:
        meetings.check_edit(meeting, meeting_data(start_date="2027-01-05"),
                            acting_user=facilitator)
    assert "start_date" in err.value.reasons
