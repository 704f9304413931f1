"""The meeting pages and forms over HTTP: list labels per time zone, scheduling, host tools."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditEvent, Meeting
from forum.services.accounts import account as accounts
from forum.services.chat import messages as chat
from forum.services.meetings import reminders as meetings_reminders
from tests.conftest import PERSONAS, csrf_from, login, page_text
from tests.fixtures import meetings as meetings_support, threads as threads_support
from tests.fixtures.meetings import meeting_data, schedule

fake_clock = meetings_support.fake_clock
screener = threads_support.screener
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)  # Tuesday 19:00 London, 14:00 New York
MIN = timedelta(minutes=1)


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def _text(response) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).replace(" –", "–")
                    .replace("– ", "–").split())


@pytest.fixture
def meeting(fake_clock, facilitator):
    return schedule(facilitator)


def test_header_links_meetings(client):
    assert 'href="/meetings"' in client.get("/").get_data(as_text=True)


def test_visitors_see_the_list_in_utc_and_must_log_in_to_join(client, meeting, fake_clock):
    fake_clock.set(START - 5 * MIN)
    response = client.get("/meetings")
    assert response.status_code == 200
    text = _text(response)
    assert "Tuesday check-in circle" in text
    assert "Times are shown in UTC" in text
    assert "Tue 2026-10-20 18:00–19:00 (UTC)" in text
    assert "Tue 19:00 in Europe/London" in text
    assert "Starting in 5 minutes" in text
    assert "Log in to join" in text
    assert f'href="/rooms/{meeting.room.slug}"' not in response.get_data(as_text=True)
    assert client.get(f"/rooms/{meeting.room.slug}").status_code in (302, 401)


def test_members_see_their_own_time_zone_and_the_state(app, meeting, fake_clock, member):
    accounts.set_preferences(member, locale=None, timezone="America/New_York")
    client = _client(app, member)
    fake_clock.set(START - 30 * MIN)
    text = _text(client.get("/meetings"))
    assert "Tue 2026-10-20 14:00–15:00 (America/New_York)" in text
    assert "Starting in" not in text and "In progress" not in text
    assert "Go to the room" not in text
    fake_clock.set(START - 10 * MIN)
    page = client.get("/meetings")
    assert "Starting in 10 minutes" in _text(page)
    assert f'href="/rooms/{meeting.room.slug}"' in page.get_data(as_text=True)
    fake_clock.set(START + 20 * MIN)
    text = _text(client.get("/meetings"))
    assert "In progress" in text and "Go to the room" in text
    fake_clock.set(START + 61 * MIN)
    text = _text(client.get("/meetings"))
    assert "In progress" not in text
    assert "Tue 2026-10-27 15:00–16:00 (America/New_York)" in text  # the next one, after DST
    assert client.get(f"/rooms/{meeting.room.slug}").status_code == 200


def test_meeting_page_says_what_happens_to_the_chat(client, meeting):
    response = client.get(f"/meetings/{meeting.id}")
    assert response.status_code == 200
    text = _text(response)
    assert "What is said in the room stays in the room" in text
    assert "erased 7 days after each session ends" in text
    assert "Every Tuesday at 19:00 (Europe/London), for 60 minutes" in text
    assert "Host tools" not in text
    assert client.get("/meetings/999").status_code == 404


def test_schedule_form_for_facilitators_only(app, fake_clock, member, facilitator):
    assert _client(app, member).get("/meetings/new").status_code == 403
    assert _client(app).get("/meetings/new").status_code in (302, 401)
    page = _client(app, facilitator).get("/meetings/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("title", "description", "start_date", "start_time", "timezone", "duration",
                 "capacity", "cohost"):
        assert f'for="{name}"' in html, name
    assert 'type="checkbox"' in html and 'value="Europe/London"' in html


def _post_form(client, path: str, **overrides):
    data = meeting_data(**overrides)
    data["csrf_token"] = csrf_from(client, path)
    return client.post(path, data=data)


def test_scheduling_through_the_form(app, fake_clock, facilitator):
    client = _client(app, facilitator)
    response = _post_form(client, "/meetings/new")
    assert response.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert meeting.rrule == "FREQ=WEEKLY;BYDAY=TU" and meeting.room.always_open is False
    text = _text(client.get(f"/meetings/{meeting.id}"))
    assert "The meeting is scheduled." in text and "Host tools" in text


def test_bad_input_rerenders_with_everything_kept(app, fake_clock, facilitator):
    client = _client(app, facilitator)
    response = _post_form(client, "/meetings/new", start_time="7pm", description="Kept words")
    assert response.status_code == 400
    text = _text(response)
    assert "Give the local start time as HH:MM." in text
    assert "Kept words" in text and 'value="7pm"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_blocked_and_held_texts_are_refused_with_the_text_kept(app, fake_clock, facilitator,
                                                              screener):
    client = _client(app, facilitator)
    blocked = _post_form(client, "/meetings/new", description="Rude words [[block:harassment]]")
    assert blocked.status_code == 400
    assert "Rude words [[block:harassment]]" in _text(blocked)
    held = _post_form(client, "/meetings/new", title="My number [[hold:pii]]")
    assert held.status_code == 400
    assert "needs a moderator's look" in _text(held)
    assert 'value="My number [[hold:pii]]"' in held.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_edit_form_prefills_and_saves(app, meeting, facilitator):
    client = _client(app, facilitator)
    page = client.get(f"/meetings/{meeting.id}/edit")
    assert page.status_code == 200
    assert 'value="Tuesday check-in circle"' in page.get_data(as_text=True)
    response = _post_form(client, f"/meetings/{meeting.id}/edit", capacity="12")
    assert response.status_code == 302
    assert db.session.get(Meeting, meeting.id).capacity == 12


@pytest.mark.parametrize("persona", PERSONAS)
def test_host_tools_over_http_per_persona(request, app, meeting, fake_clock, persona):
    user = request.getfixturevalue(persona)
    client = _client(app, user)
    allowed = persona in {"facilitator", "moderator", "trained_moderator", "admin"}
    assert ("Host tools" in _text(client.get(f"/meetings/{meeting.id}"))) is allowed
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == (200 if allowed else 403)
    fake_clock.set(START + 50 * MIN)
    # Eight days on, a staff session has ended as idle (sign_ins): sign in again.
    client = _client(app, user)
    token = csrf_from(client, f"/meetings/{meeting.id}")
    response = client.post(f"/meetings/{meeting.id}/extend", data={"csrf_token": token})
    assert response.status_code == (302 if allowed else 403)
    assert chat.is_open(meeting.room, START + 70 * MIN) is allowed
    response = client.post(f"/meetings/{meeting.id}/cancel",
                           data={"csrf_token": token, "reason": "Host unwell"})
    assert response.status_code == (302 if allowed else 403)
    assert (db.session.get(Meeting, meeting.id).status == "cancelled") is allowed
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == user.id, AuditEvent.action != "meeting.schedule")))
    assert actions == ({"meeting.extend", "meeting.cancel"} if allowed else set())


def test_extend_when_closed_explains(app, meeting, facilitator, fake_clock):
    client = _client(app, facilitator)
    token = csrf_from(client, f"/meetings/{meeting.id}")
    response = client.post(f"/meetings/{meeting.id}/extend", data={"csrf_token": token},
                           follow_redirects=True)
    assert "No session of this meeting is open right now." in _text(response)


def test_host_sees_attendance_numbers(app, meeting, fake_clock, facilitator, member):
    fake_clock.set(START)
    chat.note_presence(meeting.room, member.id, True, 1)
    text = _text(_client(app, facilitator).get(f"/meetings/{meeting.id}"))
    assert "Attendance" in text and "running" in text
    assert member.pseudonym not in text


def test_reminder_toggle_and_notification(app, meeting, member):
    client = _client(app, member)
    token = csrf_from(client, f"/meetings/{meeting.id}")
    response = client.post(f"/meetings/{meeting.id}/remind", data={"csrf_token": token},
                           follow_redirects=True)
    assert "We'll remind you shortly before each session." in _text(response)
    assert "Stop reminding me" in _text(response)
    assert meetings_reminders.run_reminders(START - 10 * MIN) == 1
    page = client.get("/notifications")
    text = _text(page)
    assert '"Tuesday check-in circle" starts at' in text
    assert "1 unread" in text  # the header count
    assert f'href="/meetings/{meeting.id}"' in page.get_data(as_text=True)
    response = client.post(f"/meetings/{meeting.id}/remind", data={"csrf_token": token},
                           follow_redirects=True)
    assert "No more reminders for this meeting." in _text(response)


def test_attendance_view_for_admins_only(app, meeting, fake_clock, admin, facilitator, member):
    from forum.services.meetings import sessions as meetings_sessions

    fake_clock.set(START)
    chat.note_presence(meeting.room, member.id, True, 1)
    meetings_sessions.run_bookkeeping(START + 60 * MIN)
    assert _client(app).get("/meetings/attendance").status_code in (302, 401)
    for user in (member, facilitator):
        assert _client(app, user).get("/meetings/attendance").status_code == 403
    response = _client(app, admin).get("/meetings/attendance")
    assert response.status_code == 200
    text = _text(response)
    assert "Tuesday check-in circle 1 1 1.0 1" in text
    assert member.pseudonym not in text


def test_a_flagged_meeting_shows_its_text_in_the_review_queue(app, fake_clock, facilitator,
                                                              moderator, screener):
    from forum.models import ReviewItem

    schedule(facilitator, description="We talk about relapse [[flag:relapse]]")
    item = db.session.scalar(select(ReviewItem))
    text = _text(_client(app, moderator).get(f"/review/{item.id}"))
    assert "Meeting" in text
    assert "Tuesday check-in circle" in text and "We talk about relapse" in text


def test_a_muted_host_keeps_the_host_tools_but_not_the_edit_form(app, meeting, facilitator,
                                                                 trained_moderator):
    from forum.services.review import sanctions

    sanctions.check_sanction(facilitator, "mute", "Cooling off.", acting_user=trained_moderator,
                             days=2)
    host = _client(app, facilitator)
    page = _text(host.get(f"/meetings/{meeting.id}"))
    assert "Host tools" in page and "Edit meeting" not in page
    assert host.get(f"/meetings/{meeting.id}/edit").status_code == 403
    token = csrf_from(host, f"/meetings/{meeting.id}")
    data = {**meeting_data(title="Rewritten while muted"), "csrf_token": token}
    assert host.post(f"/meetings/{meeting.id}/edit", data=data).status_code == 403
    assert db.session.get(Meeting, meeting.id).title == "Tuesday check-in circle"
