"""What /meetings shows: upcoming sessions with their state, in the viewer's own time zone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...models import Meeting, User
from .. import clock
from .schedule import scheduled_meetings
from .sessions import OPEN_BEFORE, Window, windows_between
from .times import zone

HORIZON = timedelta(days=7)
PER_MEETING = 7
IN_PROGRESS, STARTING_SOON = "in_progress", "starting_soon"


@dataclass(frozen=True)
class SessionView:
    """One upcoming or running session as a viewer sees it."""

    meeting: Meeting
    starts_at: datetime  # in the viewer's zone
    closes_at: datetime  # in the viewer's zone
    local_starts_at: datetime  # in the meeting's own zone
    state: str | None  # in_progress, starting_soon or None
    minutes_until: int
    is_open: bool


def viewer_zone_name(viewer: User | None) -> str:
    """Members see their own time zone; visitors see UTC."""
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return viewer.timezone or "UTC"
    return "UTC"


def describe(meeting: Meeting, window: Window, now: datetime, zone_name: str) -> SessionView:
    """A session's state at `now`, with its times in the viewer's zone."""
    tz = zone(zone_name)
    until = window.starts_at - now
    if window.starts_at <= now < window.closes_at:
        state = IN_PROGRESS
    elif timedelta(0) < until <= OPEN_BEFORE:
        state = STARTING_SOON
    else:
        state = None
    return SessionView(
        meeting=meeting,
        starts_at=window.starts_at.astimezone(tz),
        closes_at=window.closes_at.astimezone(tz),
        local_starts_at=window.starts_at.astimezone(zone(meeting.timezone)),
        state=state,
        minutes_until=max(0, math.ceil(until.total_seconds() / 60)),
        is_open=window.opens_at <= now < window.closes_at,
    )


def upcoming(viewer: User | None, now: datetime | None = None,
             meetings: list[Meeting] | None = None) -> list[SessionView]:
    """Running and upcoming sessions of the next week, soonest first."""
    now = now or clock.now()
    zone_name = viewer_zone_name(viewer)
    views = []
    for meeting in scheduled_meetings() if meetings is None else meetings:
        windows = [w for w in windows_between(meeting, now, now + HORIZON) if w.closes_at > now]
        views += [describe(meeting, w, now, zone_name) for w in windows[:PER_MEETING]]
    return sorted(views, key=lambda v: (v.starts_at, v.meeting.id))
