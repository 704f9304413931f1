"""The meeting feeds, parsed back: iCalendar with icalendar and dateutil, Meeting Guide JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from forum.config import FALLBACK_BASE_URL
from forum.services import meetings
from tests import meetings_support
from tests.meetings_support import schedule

fake_clock = meetings_support.fake_clock
SITE = "https://forum.example.org"


@pytest.fixture
def base_url():
    """FORUM_BASE_URL for these tests (a test may parametrize it)."""
    return SITE


@pytest.fixture
def app_config(app_config, base_url):
    """The test app, told its public origin."""
    app_config["BASE_URL"] = base_url
    return app_config


@pytest.fixture
def weekly(fake_clock, facilitator, make_user):
    cohost = make_user("ana-brook", roles_=("facilitator",))
    return schedule(facilitator, weekdays=["TU", "TH"], cohost=cohost.pseudonym)


def _calendar(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "sam-lantern" not in body and "ana-brook" not in body  # no host names
    return Calendar.from_ical(body)


def test_ics_feed_parses_back_and_expands_across_the_clock_change(client, weekly):
    calendar = _calendar(client, "/meetings.ics")
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Tuesday check-in circle"
    assert event["dtstart"].params["TZID"] == "Europe/London"
    start = event.decoded("dtstart")
    assert start == datetime(2026, 10, 13, 19, 0, tzinfo=ZoneInfo("Europe/London"))
    assert event.decoded("duration").total_seconds() == 3600
    assert str(event["url"]) == f"{SITE}/rooms/{weekly.room.slug}"
    assert event["rrule"].to_ical().decode() == "FREQ=WEEKLY;BYDAY=TU,TH"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/London"
    # Expanded back: 19:00 local every time, the UTC hour shifts after 25 October.
    rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=start)
    first = rule[:6]
    assert {d.strftime("%a %H:%M") for d in first} == {"Tue 19:00", "Thu 19:00"}
    assert [d.astimezone(UTC).hour for d in first] == [18, 18, 18, 18, 19, 19]
    assert [d.day for d in first] == [13, 15, 20, 22, 27, 29]


def test_one_meeting_ics_and_one_off_has_no_rrule(client, fake_clock, facilitator):
    once = schedule(facilitator, title="Holiday special", recurrence="once", weekdays=[],
                    start_date="2026-12-24", start_time="18:30", timezone="America/New_York",
                    duration="90")
    calendar = _calendar(client, f"/meetings/{once.id}.ics")
    [event] = calendar.walk("VEVENT")
    assert "rrule" not in event
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 24, 23, 30, tzinfo=UTC)
    assert event.decoded("duration").total_seconds() == 90 * 60
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_cancelled_meetings_leave_the_feeds(client, weekly, facilitator):
    meetings.check_cancel(weekly, acting_user=facilitator)
    assert client.get(f"/meetings/{weekly.id}.ics").status_code == 404
    assert Calendar.from_ical(client.get("/meetings.ics").get_data()).walk("VEVENT") == []
    assert json.loads(client.get("/meetings.json").get_data()) == []


def test_meeting_guide_feed_field_by_field(client, weekly, fake_clock, facilitator):
    schedule(facilitator, title="Once only", recurrence="once", weekdays=[])
    response = client.get("/meetings.json")
    assert response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    assert "sam-lantern" not in body and "ana-brook" not in body
    entries = json.loads(body)
    assert [e["name"] for e in entries] == ["Tuesday check-in circle"] * 2  # one-offs left out
    tuesday, thursday = entries
    slug = weekly.room.slug
    assert tuesday["slug"] == f"{slug}-tu" and thursday["slug"] == f"{slug}-th"
    assert (tuesday["day"], thursday["day"]) == (2, 4)  # Sunday = 0
    for entry in entries:
        assert entry["time"] == "19:00" and entry["end_time"] == "20:00"
        assert entry["timezone"] == "Europe/London"
        assert entry["types"] == ["ONL", "O", "D", "EN", "BE"]
        assert entry["conference_url"] == f"{SITE}/rooms/{slug}"
        assert entry["attendance_option"] == "online"
        assert entry["notes"].startswith("Share how your week went.")
        assert "Newcomer-friendly" in entry["notes"] and "Text-only welcome" in entry["notes"]
        datetime.strptime(entry["updated"], "%Y-%m-%d %H:%M:%S")
        assert set(entry) == {"name", "slug", "day", "time", "end_time", "timezone", "types",
                              "conference_url", "notes", "updated", "attendance_option"}


def test_single_day_meeting_guide_slug_and_spanish(client, fake_clock, facilitator):
    meeting = schedule(facilitator, title="Grupo de los sábados", weekdays=["SA"], language="es",
                       accessibility=[], start_time="23:30", duration="60")
    [entry] = json.loads(client.get("/meetings.json").get_data())
    assert entry["slug"] == meeting.room.slug == "grupo-de-los-sabados"
    assert entry["day"] == 6 and entry["end_time"] == "00:30"
    assert entry["types"] == ["ONL", "O", "D", "S"]


@pytest.mark.parametrize("base_url", [SITE, None], ids=["configured", "unset"])
def test_feeds_never_link_to_the_requests_host(client, weekly, base_url):
    """A spoofed Host header must not reach a feed: calendar apps and meeting finders would
    send members to that host. Without FORUM_BASE_URL, the `make run` address is used."""
    site = base_url or FALLBACK_BASE_URL
    host = site.split("://", 1)[1].split(":")[0]
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path in ("/meetings.ics", f"/meetings/{weekly.id}.ics", "/meetings.json"):
        body = client.get(path, headers=spoofed).get_data(as_text=True)
        assert "evil.example" not in body, path
        assert f"{site}/rooms/{weekly.room.slug}" in body.replace("\r\n ", ""), path
    [event] = Calendar.from_ical(client.get("/meetings.ics", headers=spoofed).get_data()
                                 ).walk("VEVENT")
    assert str(event["url"]) == f"{site}/rooms/{weekly.room.slug}"
    assert str(event["uid"]) == f"meeting-{weekly.id}@{host}"
    assert f"{site}/meetings/{weekly.id}" in str(event["description"])
    [entry, _] = json.loads(client.get("/meetings.json", headers=spoofed).get_data())
    assert entry["conference_url"] == f"{site}/rooms/{weekly.room.slug}"
