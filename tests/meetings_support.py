"""Helpers for the meeting tests: a settable clock and meetings scheduled through the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forum.services import clock
from forum.services.meetings import schedule as meetings

# Tuesday 2026-10-20, a few days before the clocks go back in Europe (25 October) and in
# North America (1 November).
BEFORE_DST_END = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand; forum.services.clock.now reads it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def fake_clock(monkeypatch) -> Clock:
    """forum.services.clock.now() returns whatever the test sets (start: 2026-10-12 09:00)."""
    fake = Clock(BEFORE_DST_END)
    monkeypatch.setattr(clock, "now", fake)
    return fake


def meeting_data(**overrides) -> dict:
    """A valid weekly meeting: Tuesdays 19:00 Europe/London, an hour, from 2026-10-13."""
    data = {
        "title": "Tuesday check-in circle",
        "description": "Share how your week went. Listening only is fine too.",
        "start_date": "2026-10-13",
        "start_time": "19:00",
        "timezone": "Europe/London",
        "duration": "60",
        "recurrence": "weekly",
        "weekdays": ["TU"],
        "format": "check-in",
        "language": "en",
        "accessibility": ["newcomer", "text-only"],
        "capacity": "20",
        "cohost": "",
    }
    data.update(overrides)
    return data


def schedule(user, **overrides):
    """Schedule through the service as `user`."""
    return meetings.check_schedule(meeting_data(**overrides), acting_user=user)


def running_meeting_data(**overrides) -> dict:
    """A one-off meeting by the real clock whose session began five minutes ago: open now."""
    start = clock.now() - timedelta(minutes=5)
    return meeting_data(**{"title": "Circle running now", "start_date": start.date().isoformat(),
                           "start_time": start.strftime("%H:%M"), "timezone": "UTC",
                           "duration": "90", "recurrence": "once", "weekdays": [],
                           **overrides})
