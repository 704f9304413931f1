"""Reminders once per session per member, and the retention of meeting-room chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.errors import PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import ChatMessage, Notification, ReviewItem
from forum.services import jobs, review_queue
from forum.services.chat import messages as chat
from forum.services.meetings import (
    reminders as meetings_reminders,
    schedule as meetings,
    sessions as meetings_sessions,
)
from forum.services.threads import notifications
from tests.fixtures import (
    chat as chat_support,
    meetings as meetings_support,
    threads as threads_support,
)
from tests.fixtures.meetings import schedule

fake_clock = meetings_support.fake_clock
screener = threads_support.screener
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)
NEXT = datetime(2026, 10, 27, 19, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)


@pytest.fixture
def meeting(fake_clock, facilitator):
    return schedule(facilitator)


def _reminders() -> list[tuple[int, int]]:
    rows = db.session.scalars(select(Notification).where(Notification.kind == "meeting"))
    return sorted((n.user_id, n.meeting_session.starts_at.day) for n in rows)


def test_jobs_are_registered(app):
    assert {"meetings.sessions", "meetings.reminders", "meetings.retention"} <= set(
        jobs.registered())


def test_toggle_reminder(meeting, member):
    assert meetings_reminders.check_toggle_reminder(meeting, acting_user=member) is True
    assert meetings_reminders.wants_reminder(meeting, member)
    assert meetings_reminders.check_toggle_reminder(meeting, acting_user=member) is False
    assert not meetings_reminders.wants_reminder(meeting, member)


def test_no_reminders_for_a_cancelled_meeting(meeting, member, facilitator):
    meetings.check_cancel(meeting, acting_user=facilitator)
    with pytest.raises(ValidationFailed):
        meetings_reminders.check_toggle_reminder(meeting, acting_user=member)


def test_visitors_cannot_ask_for_reminders(meeting):
    with pytest.raises(PermissionDenied):
        meetings_reminders.check_toggle_reminder(meeting, acting_user=None)


def test_reminder_once_per_session_per_member(meeting, member, second_member, make_user):
    uninterested = make_user("quiet-willow")
    for user in (member, second_member):
        meetings_reminders.check_toggle_reminder(meeting, acting_user=user)
    assert meetings_reminders.run_reminders(START - 20 * MIN) == 0  # too early
    assert meetings_reminders.run_reminders(START - 14 * MIN) == 2
    assert meetings_reminders.run_reminders(START - 10 * MIN) == 0
    assert meetings_reminders.run_reminders(START - 1 * MIN) == 0
    assert _reminders() == [(member.id, 20), (second_member.id, 20)]
    assert notifications.unread_count(member) == 1  # the header count includes it
    assert notifications.unread_count(uninterested) == 0
    [item] = notifications.list_for(member)
    assert item.meeting_session.meeting_id == meeting.id and item.post is None
    # One member stops; next week only the other is reminded.
    meetings_reminders.check_toggle_reminder(meeting, acting_user=second_member)
    assert meetings_reminders.run_reminders(NEXT - 5 * MIN) == 1
    assert _reminders() == [(member.id, 20), (member.id, 27), (second_member.id, 20)]
    notifications.do_mark_read(member)
    assert notifications.unread_count(member) == 0


def test_no_reminder_for_a_session_ended_before_it_started(meeting, member, facilitator,
                                                           fake_clock):
    meetings_reminders.check_toggle_reminder(meeting, acting_user=member)
    fake_clock.set(START - 5 * MIN)
    meetings_sessions.end_current_session(meeting.room, acting_user=facilitator)
    assert meetings_reminders.run_reminders(START - 4 * MIN) == 0


@pytest.fixture
def said(monkeypatch, fake_clock, screener):
    """say(room, text, at): a chat message sent through the service at a clock time."""
    monkeypatch.setattr(chat, "utcnow", fake_clock)
    count = iter(range(1000))

    def say(room, user, text, at):
        fake_clock.set(at)
        return chat.check_send(room, text, f"c-{next(count)}", acting_user=user).message.id

    return say


def _left() -> set[str]:
    return set(db.session.scalars(select(ChatMessage.text)))


def test_retention_erases_only_what_it_should(app, meeting, member, moderator, said):
    coffee = chat_support.make_room()
    said(meeting.room, member, "first week", START + 5 * MIN)
    under_review = said(meeting.room, member, "still reviewed [[flag:relapse]]", START + 6 * MIN)
    reviewed = said(meeting.room, member, "already reviewed [[flag:relapse]]", START + 7 * MIN)
    review_queue.do_approve(review_queue.item_for("chat", reviewed), acting_user=moderator)
    said(coffee, member, "always-open room", START + 8 * MIN)
    said(meeting.room, member, "second week", NEXT + 5 * MIN)
    everything = _left()
    # Within the retention period (session closed at START + 60 minutes): nothing goes.
    assert meetings_reminders.run_retention(START + 60 * MIN + 7 * DAY - MIN) == 0
    assert _left() == everything
    # Seven days after the first session ended: its messages go, except the one under review.
    assert meetings_reminders.run_retention(START + 60 * MIN + 7 * DAY) == 2
    assert _left() == {"still reviewed [[flag:relapse]]", "always-open room", "second week"}
    assert review_queue.item_for("chat", reviewed) is None
    assert review_queue.item_for("chat", under_review) is not None
    # Seven days after the second session; once reviewed, the last meeting message goes too.
    assert meetings_reminders.run_retention(NEXT + 60 * MIN + 7 * DAY) == 1
    review_queue.do_approve(review_queue.item_for("chat", under_review), acting_user=moderator)
    assert meetings_reminders.run_retention(NEXT + 60 * MIN + 7 * DAY) == 1
    assert _left() == {"always-open room"}
    assert db.session.scalar(select(ReviewItem.id).where(
        ReviewItem.content_id == under_review)) is None


def test_retention_follows_an_extended_session(app, meeting, member, facilitator, said):
    said(meeting.room, member, "late words", START + 50 * MIN)
    meetings_sessions.check_extend(meeting, acting_user=facilitator)  # closes at +75
    assert meetings_reminders.run_retention(START + 70 * MIN + 7 * DAY) == 0
    assert meetings_reminders.run_retention(START + 75 * MIN + 7 * DAY) == 1


def test_retention_days_come_from_config(app, meeting, member, said):
    app.config["MEETING_CHAT_RETENTION_DAYS"] = 2
    said(meeting.room, member, "short-lived", START + 5 * MIN)
    assert meetings_reminders.run_retention(START + 60 * MIN + 2 * DAY - MIN) == 0
    assert meetings_reminders.run_retention(START + 60 * MIN + 2 * DAY) == 1


def test_reminders_are_in_the_export_and_go_with_the_account(meeting, member):
    from forum.models import MeetingReminder
    from forum.services.accounts import privacy

    meetings_reminders.check_toggle_reminder(meeting, acting_user=member)
    exported = privacy.export_account(member)["meeting_reminders"]
    assert [e["meeting"] for e in exported] == ["Tuesday check-in circle"]
    privacy.do_delete_account(member, keep_posts=True)
    assert db.session.scalar(select(MeetingReminder.id)) is None
