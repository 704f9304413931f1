"""Times a reader sees: in their own time zone, in one compact form, the zone named beside a
time someone will act on (a shift, a meeting, the end of a mute or a suspension) and once in
the footer for the rest; visitors read UTC, named."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from forum.services.accounts import account as accounts
from forum.services.meetings import reminders as meetings_reminders
from forum.services.review import duty, sanctions
from tests.conftest import PASSWORD, csrf_from, page_text
from tests.fixtures import meetings as meetings_support, threads as threads_support
from tests.fixtures.meetings import schedule
from tests.fixtures.threads import client_for, new_thread

board = threads_support.board
fake_clock = meetings_support.fake_clock

MEXICO = "America/Mexico_City"  # UTC-6 all year since 2022
START = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)  # the meeting's Tuesday session


def _in_mexico(user) -> None:
    accounts.set_preferences(user, locale=None, timezone=MEXICO)


def _mx(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(MEXICO)).strftime("%Y-%m-%d %H:%M")


def _text(response) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def test_a_mute_ends_in_the_members_own_zone_named(app, member, moderator):
    _in_mexico(member)
    mute = sanctions.check_sanction(member, "mute", "Cool off", days=2, acting_user=moderator)
    text = _text(client_for(app, member).get("/strikes"))
    assert f"Until {_mx(mute.ends_at)} {MEXICO}" in text
    assert _mx(mute.ends_at) != mute.ends_at.strftime("%Y-%m-%d %H:%M")


def test_a_suspension_end_reads_in_the_accounts_own_zone(app, member, moderator):
    _in_mexico(member)
    suspension = sanctions.check_sanction(member, "suspend", "Threats", days=2,
                                          acting_user=moderator)
    client = app.test_client()
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"pseudonym": member.pseudonym, "password": PASSWORD,
                                           "csrf_token": token})
    assert f"suspended until {_mx(suspension.ends_at)} {MEXICO}." in _text(response)


def test_shifts_are_listed_in_the_viewers_zone_named(app, moderator, admin):
    _in_mexico(moderator)
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    ends = starts + timedelta(hours=4)
    duty.check_add_shift(starts, ends, moderator=None, acting_user=admin)
    response = client_for(app, moderator).get("/review/shifts")
    text = _text(response)
    assert f"{_mx(starts)} – {_mx(ends)} {MEXICO}" in text
    assert "Upcoming shifts (UTC)" not in text
    assert f'datetime="{starts.isoformat()}" title="{MEXICO}"' in response.get_data(as_text=True)


def test_a_meeting_reminder_names_the_members_zone(app, fake_clock, facilitator, member):
    meeting = schedule(facilitator)
    _in_mexico(member)
    meetings_reminders.check_toggle_reminder(meeting, acting_user=member)
    assert meetings_reminders.run_reminders(START - timedelta(minutes=10)) == 1
    text = _text(client_for(app, member).get("/notifications"))
    assert f'"Tuesday check-in circle" starts at 2026-10-20 12:00 {MEXICO}' in text


def test_visitors_read_utc_named_and_members_their_own_zone(app, client, board, member):
    post = new_thread(board, member).post
    thread = post.thread
    visitor = client.get(f"/t/{thread.id}")
    html = visitor.get_data(as_text=True)
    assert "Times are shown in UTC." in _text(visitor)
    assert 'title="UTC">' in html
    assert "Change it in your account" not in _text(visitor)
    _in_mexico(member)
    mine = client_for(app, member).get(f"/t/{thread.id}")
    html = mine.get_data(as_text=True)
    assert f"Times are shown in your time zone, {MEXICO}." in _text(mine)
    assert 'href="/account#prefs-h"' in html
    assert f'title="{MEXICO}">{_mx(post.created_at)}</time>' in html


def test_the_footer_names_the_zone_in_spanish(app, client, member):
    visitor = client.get("/", headers={"Accept-Language": "es"})
    assert "Las horas se muestran en UTC." in _text(visitor)
    accounts.set_preferences(member, locale="es", timezone=MEXICO)
    text = _text(client_for(app, member).get("/"))
    assert f"Las horas se muestran en tu zona horaria, {MEXICO}." in text
    assert "Cámbiala en tu cuenta" in text
