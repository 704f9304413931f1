"""Figures over data that other features own: meeting sessions (with their anonymous attendance
counts) and "talk to someone now" support requests. Each feature hands in a row source, a
function (start, end) -> rows for [start, end); the figures here bucket and aggregate them
exactly as the engagement figures do, under the same small-group rule.

They are not registered by default: the feature that owns the table registers them when its
model exists, for example in its own register():

    measure_feeds.register_meeting_figures(lambda start, end: db.session.execute(
        select(MeetingSession.started_at, MeetingSession.attendance)
        .where(MeetingSession.started_at >= start, MeetingSession.started_at < end)))
    measure_feeds.register_support_figures(lambda start, end: db.session.execute(
        select(SupportRequest.created_at, SupportRequest.answered_at, SupportRequest.requester_id)
        .where(SupportRequest.created_at >= start, SupportRequest.created_at < end)))

Attendance is anonymous, so the number of distinct people behind a week is unknown; the largest
single session is a lower bound on it, and that is what the small-group rule is applied to, so
a week is never shown on the strength of the same few people counted twice.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l

from .figures import series_of
from .report import Figure, Period, register_figure, week_of

SessionRows = Callable[[datetime, datetime], Iterable[tuple[datetime, int]]]
RequestRows = Callable[[datetime, datetime],
                       Iterable[tuple[datetime, datetime | None, int | None]]]


def _largest(counts: list[int]) -> int:
    return max(counts, default=0)


def meeting_sessions(rows: SessionRows) -> Callable[[Period], Figure]:
    """Sessions held per week, from (started at, attendance) rows."""
    def compute(period: Period) -> Figure:
        records = [(week_of(at), None, count) for at, count in rows(*period.bounds())]
        return Figure("meeting_sessions", [series_of(period, records, "", len, _largest)])
    return compute


def meeting_attendance(rows: SessionRows) -> Callable[[Period], Figure]:
    """Attendances per week (the sum of the sessions' anonymous counts)."""
    def compute(period: Period) -> Figure:
        records = [(week_of(at), None, count) for at, count in rows(*period.bounds())]
        return Figure("meeting_attendance", [series_of(period, records, "", sum, _largest)])
    return compute


def support_requests(rows: RequestRows) -> Callable[[Period], Figure]:
    """Support requests per week; people are the distinct members who asked."""
    def compute(period: Period) -> Figure:
        records = [(week_of(at), who, 1) for at, _answered, who in rows(*period.bounds())]
        return Figure("support_requests", [series_of(period, records, "", len)])
    return compute


def support_answer_minutes(rows: RequestRows) -> Callable[[Period], Figure]:
    """Median minutes from a support request to its answer, over answered requests."""
    def median(xs: list[float]) -> float | None:
        return float(statistics.median(xs)) if xs else None

    def compute(period: Period) -> Figure:
        records = [(week_of(at), who, (answered - at).total_seconds() / 60)
                   for at, answered, who in rows(*period.bounds()) if answered is not None]
        return Figure("support_answer_minutes", [series_of(period, records, "", median)])
    return compute


def register_meeting_figures(rows: SessionRows) -> None:
    """Register the meeting figures over the meetings feature's rows."""
    note = _l("From each session's anonymous attendance count; no one's attendance is recorded."
              " People: the largest session that week.")
    register_figure("meeting_sessions", _l("Meeting sessions held"), meeting_sessions(rows),
                    unit=_l("sessions"), note=note)
    register_figure("meeting_attendance", _l("Meeting attendance"), meeting_attendance(rows),
                    unit=_l("attendances"), note=note)


def register_support_figures(rows: RequestRows) -> None:
    """Register the support-request figures over the support feature's rows."""
    note = _l("People: the members who asked.")
    register_figure("support_requests", _l("Support requests"), support_requests(rows),
                    unit=_l("requests"), note=note)
    register_figure("support_answer_minutes", _l("Median time to answer a support request"),
                    support_answer_minutes(rows), unit=_l("minutes"),
                    note=_l("Over the requests that were answered. People: the members who"
                            " asked."))
