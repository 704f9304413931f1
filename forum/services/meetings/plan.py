"""What a meeting may be: the choices, and validating a submitted schedule into a Plan."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from ...errors import ValidationFailed
from ...models import User
from ..accounts.account import find_by_pseudonym
from .access import can_schedule
from .times import ONE_OFF_RULE, WEEKDAYS, first_matching_date, is_zone, weekly_rule

TITLE_MIN, TITLE_MAX = 3, 100
DESCRIPTION_MAX = 4000
DURATION_MIN, DURATION_MAX = 15, 240
CAPACITY_MIN, CAPACITY_MAX = 2, 500
FORMATS = {
    "check-in": _l("Check-in circle"),
    "topic": _l("Topic meeting"),
    "open-share": _l("Open share"),
}
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch"}
ACCESSIBILITY = {
    "captions": _l("Captions-friendly"),
    "text-only": _l("Text-only welcome"),
    "newcomer": _l("Newcomer-friendly"),
}
WEEKDAY_NAMES = dict(zip(WEEKDAYS, (_l("Monday"), _l("Tuesday"), _l("Wednesday"),
                                    _l("Thursday"), _l("Friday"), _l("Saturday"),
                                    _l("Sunday")), strict=True))
RECURRENCES = ("weekly", "once")

Fail = Callable[[str, Any], None]


@dataclass(frozen=True)
class Plan:
    """A validated schedule, ready to store."""

    title: str
    description: str
    start_date: date
    start_time: time
    timezone: str
    duration_minutes: int
    rrule: str
    format: str
    language: str
    accessibility: list[str]
    capacity: int
    cohost_id: int | None


def _text(value: Any) -> str:
    return (value if isinstance(value, str) else "").replace("\x00", "").strip()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(_text(value))
    except ValueError:
        return None


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


def _parse_time(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    text = _text(value)
    if not re.fullmatch(r"\d{1,2}:\d{2}", text):
        return None
    hours, minutes = (int(p) for p in text.split(":"))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in (value or []) if isinstance(v, str)]


def _texts(data: dict[str, Any], fail: Fail) -> tuple[str, str]:
    title, description = _text(data.get("title")), _text(data.get("description"))
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        fail("title", _l("Use %(a)d to %(b)d characters for the title.", a=TITLE_MIN, b=TITLE_MAX))
    if len(description) > DESCRIPTION_MAX:
        fail("description", _l("Please keep the description under %(n)d characters.",
                               n=DESCRIPTION_MAX))
    return title, description


def _when(data: dict[str, Any], fail: Fail, today: date,
          kept: date | None) -> tuple[date | None, time | None, str, int | None, str]:
    start_date = _parse_date(data.get("start_date"))
    start_time = _parse_time(data.get("start_time"))
    if start_date is None:
        fail("start_date", _l("Give the first date as YYYY-MM-DD."))
    elif start_date < today - timedelta(days=1) and start_date != kept:
        # A day of slack: "today" somewhere west of UTC is still yesterday here.
        fail("start_date", _l("The first date can't be in the past."))
    if start_time is None:
        fail("start_time", _l("Give the local start time as HH:MM."))
    zone_name = _text(data.get("timezone"))
    if not is_zone(zone_name):
        fail("timezone", _l("Choose a time zone from the list, e.g. Europe/London."))
    minutes = _int(data.get("duration"))
    if minutes is None or not DURATION_MIN <= minutes <= DURATION_MAX:
        fail("duration", _l("A session lasts %(a)d to %(b)d minutes.", a=DURATION_MIN,
                            b=DURATION_MAX))
    rule = ONE_OFF_RULE
    recurrence, chosen = _text(data.get("recurrence")), _list(data.get("weekdays"))
    weekdays = [d for d in chosen if d in WEEKDAYS]
    if recurrence not in RECURRENCES:
        fail("recurrence", _l("Choose weekly or one-off."))
    elif recurrence == "weekly":
        if not weekdays or len(weekdays) != len(chosen):
            fail("weekdays", _l("Choose at least one weekday for a weekly meeting."))
        else:
            rule = weekly_rule(weekdays)
            if start_date is not None and start_date != kept:
                # The series starts on its first chosen weekday, so DTSTART is an occurrence.
                start_date = first_matching_date(start_date, weekdays)
    return start_date, start_time, zone_name, minutes, rule


def _kind(data: dict[str, Any], fail: Fail) -> tuple[str, str, list[str], int | None]:
    fmt, language = _text(data.get("format")), _text(data.get("language"))
    if fmt not in FORMATS:
        fail("format", _l("Choose a format from the list."))
    if language not in LANGUAGES:
        fail("language", _l("Choose a language from the list."))
    access = _list(data.get("accessibility"))
    if any(a not in ACCESSIBILITY for a in access):
        fail("accessibility", _l("Choose accessibility notes from the list."))
    capacity = _int(data.get("capacity"))
    if capacity is None or not CAPACITY_MIN <= capacity <= CAPACITY_MAX:
        fail("capacity", _l("Capacity is %(a)d to %(b)d people.", a=CAPACITY_MIN, b=CAPACITY_MAX))
    return fmt, language, [a for a in ACCESSIBILITY if a in access], capacity


def _cohost(data: dict[str, Any], fail: Fail, host: User) -> int | None:
    name = _text(data.get("cohost"))
    if not name:
        return None
    cohost = find_by_pseudonym(name)
    if cohost is None or not can_schedule(cohost) or cohost.id == host.id:
        fail("cohost", _l("The co-host must be another facilitator's pseudonym."))
        return None
    return cohost.id


def validate(data: dict[str, Any], *, host: User, today: date,
             kept_start: date | None = None) -> Plan:
    """Check every field at once; ValidationFailed names each problem. kept_start: an edited
    meeting's own first date, which may lie in the past."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(str(message))

    title, description = _texts(data, fail)
    start_date, start_time, zone_name, minutes, rule = _when(data, fail, today, kept_start)
    fmt, language, access, capacity = _kind(data, fail)
    cohost_id = _cohost(data, fail, host)
    if errors:
        raise ValidationFailed(errors)
    return Plan(title, description, start_date, start_time, zone_name, minutes, rule, fmt,
                language, access, capacity, cohost_id)
