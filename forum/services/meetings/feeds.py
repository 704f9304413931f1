"""Meeting feeds: iCalendar (one VEVENT per meeting, RRULE, DTSTART with TZID and a VTIMEZONE)
and the Meeting Guide JSON read by recovery meeting finders. No host names in either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vRecur

from ...models import Meeting
from .. import clock
from .plan import ACCESSIBILITY, FORMATS, LANGUAGES
from .sessions import windows_between
from .times import WEEKDAYS, duration, is_weekly, local_start, weekdays_of, zone

PRODID = "-//Peer Support Forum//Meetings//EN"
# Meeting Guide type codes (code4recovery's official list): O open, D discussion, BE newcomer,
# language codes. The list has no "online" code: finders tell an online meeting by its
# conference_url.
LANGUAGE_TYPES = {"en": "EN", "es": "S", "fr": "FR", "de": "DE"}
ACCESSIBILITY_TYPES = {"newcomer": "BE"}
# Meeting Guide counts days from Sunday = 0.
MEETING_GUIDE_DAY = {code: (index + 1) % 7 for index, code in enumerate(WEEKDAYS)}

SLUG_MAX = 64

UrlFor = Callable[[Meeting], str]


def is_upcoming(meeting: Meeting, now: datetime | None = None) -> bool:
    """Does the meeting still have a session running or ahead of it?"""
    now = now or clock.now()
    if is_weekly(meeting):
        return bool(windows_between(meeting, now, now + timedelta(days=8)))
    return bool(windows_between(meeting, now, now + timedelta(days=3660)))


def _event(meeting: Meeting, room_url: str, page_url: str, host: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("summary", meeting.title)
    notes = [meeting.description] if meeting.description else []
    notes.append(page_url)
    event.add("description", "\n\n".join(notes))
    event.add("dtstart", local_start(meeting).replace(tzinfo=zone(meeting.timezone)))
    event.add("duration", duration(meeting))
    if is_weekly(meeting):
        event.add("rrule", vRecur.from_ical(meeting.rrule))
    event.add("url", room_url)
    event.add("location", room_url)
    event.add("dtstamp", clock.now().astimezone(UTC).replace(microsecond=0))
    event.add("last-modified", meeting.updated_at.astimezone(UTC).replace(microsecond=0))
    event.add("categories", [str(FORMATS.get(meeting.format, meeting.format))])
    return event


def ics(meetings: list[Meeting], *, room_url: UrlFor, page_url: UrlFor, host: str) -> bytes:
    """An iCalendar file with one VEVENT per meeting and the VTIMEZONEs they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Peer Support Forum meetings")
    for meeting in meetings:
        calendar.add_component(_event(meeting, room_url(meeting), page_url(meeting), host))
    if meetings:
        # Zone rules from the first session on keep the feed small.
        first = min(m.start_date for m in meetings) - timedelta(days=1)
        calendar.add_missing_timezones(first_date=first)
    return calendar.to_ical()


def _types(meeting: Meeting) -> list[str]:
    types = ["O", "D"]
    if meeting.language in LANGUAGE_TYPES:
        types.append(LANGUAGE_TYPES[meeting.language])
    types += [ACCESSIBILITY_TYPES[a] for a in meeting.accessibility or ()
              if a in ACCESSIBILITY_TYPES]
    return types


def _notes(meeting: Meeting) -> str:
    facts = [str(FORMATS.get(meeting.format, meeting.format)),
             LANGUAGES.get(meeting.language, meeting.language)]
    facts += [str(ACCESSIBILITY[a]) for a in meeting.accessibility or () if a in ACCESSIBILITY]
    facts.append(f"Text chat on the forum; members log in to join. Up to {meeting.capacity}.")
    notes = " · ".join(facts)
    return f"{meeting.description}\n\n{notes}" if meeting.description else notes


def _slug(meeting: Meeting, code: str, day_count: int) -> str:
    """The room's slug, with the weekday when the meeting has several; finders keep at most
    SLUG_MAX characters, so a longer one falls back to the meeting's number (an underscore,
    which no room slug holds, keeps it from taking another meeting's)."""
    slug = meeting.room.slug if day_count == 1 else f"{meeting.room.slug}-{code.lower()}"
    if len(slug) <= SLUG_MAX:
        return slug
    return f"meeting_{meeting.id}" if day_count == 1 else f"meeting_{meeting.id}-{code.lower()}"


def meeting_guide(meetings: list[Meeting], *, room_url: UrlFor) -> list[dict[str, Any]]:
    """Meeting Guide entries: one per weekday of each weekly meeting (one-offs are left out:
    finders read every entry as a weekly meeting)."""
    entries: list[dict[str, Any]] = []
    for meeting in meetings:
        if not is_weekly(meeting):
            continue
        start = local_start(meeting)
        end = start + duration(meeting)
        days = weekdays_of(meeting)
        for code in days:
            entries.append({
                "name": meeting.title,
                "slug": _slug(meeting, code, len(days)),
                "day": MEETING_GUIDE_DAY[code],
                "time": start.strftime("%H:%M"),
                "end_time": end.strftime("%H:%M"),
                "timezone": meeting.timezone,
                "types": _types(meeting),
                "conference_url": room_url(meeting),
                "notes": _notes(meeting),
                "updated": meeting.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "attendance_option": "online",
            })
    return entries
