"""Meeting and support-request figures over the rows those features will supply, and the
small-group rule applied to anonymous attendance (the largest session is the people floor)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from forum.services.measures import feeds as measure_feeds, report as measures
from tests.fixtures.measures import W1, W2, at

PERIOD = measures.make_period(date(2026, 11, 2), date(2026, 11, 15))
SESSIONS = [(at(W1, 19), 4), (at(W1, 24 + 19), 6), (at(W2, 19), 12), (at(W2, 48 + 19), 3),
            (at(W2, 24 * 8), 40)]  # the last is after the period
REQUESTS = [(at(W1, 1), at(W1, 1.5), 7), (at(W1, 2), None, 8), (at(W2, 3), at(W2, 3.25), 7),
            (at(W2 - timedelta(days=8)), at(W2), 9)]  # the last is before the period


def _rows(data):
    def source(start, end):
        return [r for r in data if start <= r[0] < end]
    return source


@pytest.fixture
def registered(app):
    measure_feeds.register_meeting_figures(_rows(SESSIONS))
    measure_feeds.register_support_figures(_rows(REQUESTS))
    yield
    for key in ("meeting_sessions", "meeting_attendance", "support_requests",
                "support_answer_minutes"):
        measures._PROVIDERS.pop(key)


def _v(value):
    return (value.value, value.people)


def test_sessions_and_attendance_per_week_with_the_largest_session_as_people():
    (held,) = measure_feeds.meeting_sessions(_rows(SESSIONS))(PERIOD).series
    assert [_v(v) for v in held.weekly] == [(2, 6), (2, 12)]
    assert _v(held.total) == (4, 12)
    (came,) = measure_feeds.meeting_attendance(_rows(SESSIONS))(PERIOD).series
    assert [_v(v) for v in came.weekly] == [(10, 6), (15, 12)]


def test_support_requests_and_time_to_answer():
    (asked,) = measure_feeds.support_requests(_rows(REQUESTS))(PERIOD).series
    assert [_v(v) for v in asked.weekly] == [(2, 2), (1, 1)]
    assert _v(asked.total) == (3, 2)
    (answer,) = measure_feeds.support_answer_minutes(_rows(REQUESTS))(PERIOD).series
    assert [_v(v) for v in answer.weekly] == [(30.0, 1), (15.0, 1)]
    assert _v(answer.total) == (22.5, 1)


def test_registered_feeds_appear_in_the_report_under_the_small_group_rule(registered):
    report = measures.build_report(PERIOD)
    figures = {f.key: f for f in report.figures}
    weekly = [v.value for _, v in figures["meeting_attendance"].series[0].weekly]
    # Week 1's largest session had 6 people: withheld, although 10 attendances were counted.
    assert weekly == ["fewer than 10", 15]
    assert figures["support_requests"].series[0].total.value == "fewer than 10"
    assert "meeting_attendance" in measures.to_csv(report)


def test_meetings_and_support_requests_register_their_figures(app):
    keys = {p.key for p in measures.providers()}
    assert {"meeting_sessions", "meeting_attendance", "support_requests",
            "support_answer_minutes"} <= keys
