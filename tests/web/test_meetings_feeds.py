"""The meeting feeds, parsed back: iCalendar with icalendar and dateutil, Meeting Guide JSON
validated against code4recovery's schema and type list (copied in tests/data/meeting-guide)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from forum.config import FALLBACK_BASE_URL
from forum.extensions import db
from forum.services.meetings import schedule as meetings
from tests.fixtures import meetings as meetings_support
from tests.fixtures.meetings import schedule

fake_clock = meetings_support.fake_clock
SITE = "https://forum.example.org"
MEETING_GUIDE = Path(__file__).resolve().parent.parent / "data" / "meeting-guide"


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
        assert entry["types"] == ["O", "D", "EN", "BE"]
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
    assert entry["types"] == ["O", "D", "S"]


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


def _meeting_guide_validator() -> Draft7Validator:
    """The meeting schema, its type schema registered by $id: validation needs no network."""
    schema = json.loads((MEETING_GUIDE / "meeting.schema.json").read_text())
    types = json.loads((MEETING_GUIDE / "meeting-type.schema.json").read_text())
    registry = Registry().with_resource(types["$id"], Resource.from_contents(types))
    return Draft7Validator(schema, registry=registry,
                           format_checker=Draft7Validator.FORMAT_CHECKER)


def test_every_meeting_guide_entry_validates_against_the_schema_and_type_list(
        client, fake_clock, facilitator):
    """English, Spanish, French and German meetings in four zones, on one day and on several,
    newcomer-friendly or not: every entry passes code4recovery's schema, every type is an
    official code, and an online meeting is told by its conference_url alone."""
    schedule(facilitator, weekdays=["TU", "TH"])
    schedule(facilitator, title="Grupo de los sábados", weekdays=["SA"], language="es",
             accessibility=[], start_time="23:30", timezone="America/Mexico_City")
    schedule(facilitator, title="Cercle du lundi", weekdays=["MO", "WE", "FR"], language="fr",
             format="topic", accessibility=["captions", "newcomer"], start_time="07:05",
             timezone="Europe/Paris", duration="90")
    schedule(facilitator, title="Sonntagsrunde", weekdays=["SU"], language="de",
             format="open-share", timezone="Australia/Sydney", start_time="00:00",
             accessibility=["text-only"])
    schedule(facilitator, title="Once only", recurrence="once", weekdays=[])
    entries = json.loads(client.get("/meetings.json").get_data())
    assert len(entries) == 2 + 1 + 3 + 1

    validator = _meeting_guide_validator()
    problems = [f"{e['slug']}: {err.json_path} {err.message}"
                for e in entries for err in validator.iter_errors(e)]
    assert problems == []
    # The schema bounds only a list of days: a single day is checked here.
    assert all(isinstance(e["day"], int) and 0 <= e["day"] <= 6 for e in entries)
    official = set(json.loads((MEETING_GUIDE / "types.json").read_text()))
    assert {code for e in entries for code in e["types"]} <= official

    by_name = {}
    for entry in entries:
        by_name.setdefault(entry["name"], []).append(entry)
        url = urlsplit(entry["conference_url"])
        assert (url.scheme, url.netloc) == ("https", "forum.example.org") and url.path
        assert entry["attendance_option"] == "online"
        assert entry["updated"] == "2026-10-12 09:00:00"  # UTC, when it was scheduled
    assert len({e["slug"] for e in entries}) == len(entries)
    [spanish] = by_name["Grupo de los sábados"]
    assert spanish["types"] == ["O", "D", "S"]
    assert (spanish["day"], spanish["time"], spanish["end_time"]) == (6, "23:30", "00:30")
    assert spanish["timezone"] == "America/Mexico_City"
    english = by_name["Tuesday check-in circle"]
    assert [e["types"] for e in english] == [["O", "D", "EN", "BE"]] * 2
    assert [e["day"] for e in english] == [2, 4]
    french = by_name["Cercle du lundi"]
    assert [(e["day"], e["time"], e["end_time"]) for e in french] == [
        (1, "07:05", "08:35"), (3, "07:05", "08:35"), (5, "07:05", "08:35")]
    assert french[0]["types"] == ["O", "D", "FR", "BE"]
    [german] = by_name["Sonntagsrunde"]
    assert (german["day"], german["time"], german["types"]) == (0, "00:00", ["O", "D", "DE"])
    assert german["timezone"] == "Australia/Sydney"


def test_the_schema_check_catches_what_finders_reject():
    """The validator above is strict: an unknown type, a bad time or a long slug fail."""
    validator = _meeting_guide_validator()
    good = {"name": "Circle", "slug": "circle", "day": 2, "time": "19:00", "types": ["O"],
            "updated": "2026-10-12 09:00:00"}
    assert list(validator.iter_errors(good)) == []
    for bad in ({"types": ["ONL"]}, {"time": "7pm"}, {"slug": "s" * 65}, {"day": [7]},
                {"updated": "2026-10-12T09:00:00Z"}):
        assert list(validator.iter_errors({**good, **bad})), bad


def test_a_slug_too_long_for_finders_falls_back_to_the_meeting_number(
        client, fake_clock, facilitator):
    meeting = schedule(facilitator, weekdays=["TU", "TH"])
    meeting.room.slug = "a" * 63  # a room named before slugs were capped
    db.session.commit()
    slugs = [e["slug"] for e in json.loads(client.get("/meetings.json").get_data())]
    assert slugs == [f"meeting_{meeting.id}-tu", f"meeting_{meeting.id}-th"]
