"""Meeting times: RRULE strings, and occurrences expanded in the meeting's own zone.

A meeting is stored as wall-clock time in an IANA zone ("19:00 Europe/London") plus an RRULE.
Expanding the rule on naive local times and only then attaching the zone keeps 19:00 at 19:00
local across daylight-saving changes, while the UTC instant shifts by an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from ...models import Meeting

# RFC 5545 weekday codes, in Python's weekday() order (Monday = 0).
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ONE_OFF_RULE = "FREQ=DAILY;COUNT=1"


# A name is looked up as a file path: one past the file system's limit raises OSError.
_NOT_A_ZONE = (ZoneInfoNotFoundError, ValueError, OSError)


def zone(name: str | None) -> ZoneInfo:
    """The zone of that name; UTC for an empty or unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except _NOT_A_ZONE:
        return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    """Is this a known IANA zone name?"""
    try:
        ZoneInfo(name)
    except _NOT_A_ZONE:
        return False
    return bool(name)


def weekly_rule(weekdays: list[str]) -> str:
    """An RRULE for every week on these weekdays (in Monday-first order)."""
    days = [d for d in WEEKDAYS if d in set(weekdays)]
    return "FREQ=WEEKLY;BYDAY=" + ",".join(days)


def is_weekly(meeting: Meeting) -> bool:
    """Does the meeting repeat every week?"""
    return meeting.rrule.startswith("FREQ=WEEKLY")


def weekdays_of(meeting: Meeting) -> list[str]:
    """The RRULE weekday codes of a weekly meeting; the start's weekday for a one-off."""
    for part in meeting.rrule.split(";"):
        if part.startswith("BYDAY="):
            return [d for d in part[len("BYDAY="):].split(",") if d in WEEKDAYS]
    return [WEEKDAYS[meeting.start_date.weekday()]]


def first_matching_date(start: date, weekdays: list[str]) -> date:
    """The first date on or after start that falls on one of the weekdays."""
    for offset in range(7):
        candidate = start + timedelta(days=offset)
        if WEEKDAYS[candidate.weekday()] in weekdays:
            return candidate
    return start


def local_start(meeting: Meeting) -> datetime:
    """The first occurrence as naive local wall-clock time."""
    return datetime.combine(meeting.start_date, meeting.start_time)


def duration(meeting: Meeting) -> timedelta:
    """How long each session is scheduled to last."""
    return timedelta(minutes=meeting.duration_minutes)


def to_utc(local: datetime, zone_name: str) -> datetime:
    """A naive local wall-clock time in the zone, as an aware UTC instant."""
    return local.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def occurrences(meeting: Meeting, after: datetime, before: datetime) -> list[datetime]:
    """UTC start times of the meeting's occurrences with after <= start <= before."""
    tz = zone(meeting.timezone)
    # Compare in local wall-clock time with a day of margin, filter exactly in UTC.
    lo = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = before.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    rule = rrulestr(meeting.rrule, dtstart=local_start(meeting))
    found = (to_utc(local, meeting.timezone) for local in rule.between(lo, hi, inc=True))
    return [start for start in found if after <= start <= before]


def next_occurrence(meeting: Meeting, after: datetime) -> datetime | None:
    """The first occurrence starting at or after `after` (UTC), if any."""
    tz = zone(meeting.timezone)
    rule = rrulestr(meeting.rrule, dtstart=local_start(meeting))
    local = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    while True:
        nxt = rule.after(local, inc=True)
        if nxt is None:
            return None
        start = to_utc(nxt, meeting.timezone)
        if start >= after:
            return start
        local = nxt + timedelta(minutes=1)

