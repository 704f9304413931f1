"""Every engagement figure on a small community with known activity (raw values and people),
and the period rules. What is shown of them (the small-group rule) is tested in
tests/web/test_measures_pages.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.errors import NotFound, ValidationFailed
from forum.extensions import db
from forum.models import ReviewItem
from forum.services.chat import messages as chat
from forum.services.measures import figures as measure_figures, report as measures
from tests.conftest import PERSONAS
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.measures import (
    W1,
    W2,
    at,
    backdate,
    joined,
    new_reply,
    new_thread,
    second_board,
)

board = threads_support.board
screener = threads_support.screener
room = chat_support.room

PERIOD = measures.make_period(date(2026, 11, 2), date(2026, 11, 15))


def _chat(room, user, text, client_id, when):
    message = chat.check_send(room, text, client_id, acting_user=user).message
    message.created_at = when
    db.session.commit()
    return message


def _item(author, when: datetime, first_action_min: float | None) -> None:
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.author_id == author.id)
                             .order_by(ReviewItem.id.desc()))
    item.created_at = when
    item.first_action_at = when + timedelta(minutes=first_action_min) if first_action_min else None
    db.session.commit()


@pytest.fixture
def known(make_user, board, room, screener):
    """a, b join in week 1, c in week 2; d and e are old members (d away since September)."""
    other = second_board()
    a, b, c, d, e = (make_user(n) for n in ("amber-a", "birch-b", "cedar-c", "dune-d", "elm-e"))
    joined(a, at(W1, 24 + 9))
    joined(b, at(W1, 24 + 10))
    joined(c, at(W2, 24 + 9))
    joined(d, datetime(2026, 8, 1, tzinfo=UTC))
    joined(e, datetime(2026, 8, 1, tzinfo=UTC))
    _chat(room, d, "Hello from September", "d-1", datetime(2026, 9, 15, tzinfo=UTC))
    _chat(room, e, "Hello in October", "e-1", datetime(2026, 10, 20, tzinfo=UTC))
    # Week 1. a's thread is flagged (a normal review item, first action after 30 minutes).
    ta = new_thread(board, a, title="First day here", body="Hi all [[flag:spam]]")
    backdate(ta, at(W1, 24 + 10))
    _item(a, at(W1, 24 + 10), 30)
    backdate(new_reply(ta.post.thread, b, body="Welcome!"), at(W1, 24 + 13))  # 3 hours
    td = new_thread(other, d, title="Back again", body="It has been a while.")
    backdate(td, at(W1, 48 + 12))
    backdate(new_reply(td.post.thread, d, body="Adding a bit."), at(W1, 48 + 13))  # own reply
    backdate(new_reply(td.post.thread, e, body="Good to see you."), at(W1, 72 + 12))  # 24 h
    # Week 2. c's thread gets no reply; b's crisis reply is held (not counted as written).
    tc = new_thread(board, c, title="Newcomer", body="Hello.")
    backdate(tc, at(W2, 24 + 9))
    held = new_reply(ta.post.thread, b, body="I can't go on [[hold:crisis]]")
    backdate(held, at(W2, 9))
    _item(b, at(W2, 9), 10)
    backdate(new_reply(ta.post.thread, e, body="Checking in."), at(W2, 72 + 8))
    _chat(room, a, "Evening all", "a-1", at(W2, 48 + 20))
    _chat(room, b, "Nobody cares [[hold:harassment]]", "b-1", at(W2, 48 + 21))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def _fig(fn):
    return fn(PERIOD).series


def _v(value):
    return (value.value, value.people)


def test_active_members_count_writers_per_week_not_held_content(known):
    (s,) = _fig(measure_figures.active_members)
    # Week 1: a, b, d, e. Week 2: c, e, a (b's reply and chat message are held).
    assert [_v(v) for v in s.weekly] == [(4, 4), (3, 3)]
    assert _v(s.total) == (5, 5)


def test_new_members_by_week_they_joined(known):
    (s,) = _fig(measure_figures.new_members)
    assert [_v(v) for v in s.weekly] == [(2, 2), (1, 1)]
    assert _v(s.total) == (3, 3)


def test_returning_members_after_thirty_days_without_writing(known):
    (s,) = _fig(measure_figures.returning_members)
    # d last wrote on 15 September; e wrote on 20 October, only 16 days before.
    assert [_v(v) for v in s.weekly] == [(1, 1), (0, 0)]
    assert _v(s.total) == (1, 1)


def test_threads_and_replies_per_board(known):
    daily, other = _fig(measure_figures.threads_by_board)
    assert (daily.label, other.label) == ("Daily check-ins", "Other things")
    assert [_v(v) for v in daily.weekly] == [(1, 1), (1, 1)]
    assert _v(daily.total) == (2, 2)
    assert [_v(v) for v in other.weekly] == [(1, 1), (0, 0)]
    daily, other = _fig(measure_figures.replies_by_board)
    assert [_v(v) for v in daily.weekly] == [(1, 1), (1, 1)]  # b in week 1, e in week 2
    assert [_v(v) for v in other.weekly] == [(2, 2), (0, 0)]
    assert _v(other.total) == (2, 2)


def test_first_reply_share_and_median_time_ignore_own_replies(known):
    (share,) = _fig(measure_figures.first_reply_share)
    assert [_v(v) for v in share.weekly] == [(100.0, 2), (0.0, 1)]
    assert share.total.value == pytest.approx(200 / 3) and share.total.people == 3
    (hours,) = _fig(measure_figures.first_reply_hours)
    assert [_v(v) for v in hours.weekly] == [(13.5, 2), (None, 0)]  # median of 3 h and 24 h
    assert _v(hours.total) == (13.5, 2)


def test_chat_messages_said(known):
    (s,) = _fig(measure_figures.chat_messages)
    assert [_v(v) for v in s.weekly] == [(0, 0), (1, 1)]


def test_review_queue_by_priority(known):
    items = {s.label: s for s in _fig(measure_figures.review_items)}
    assert list(items) == ["urgent", "high", "normal", "low"]
    assert [_v(v) for v in items["normal"].weekly] == [(1, 1), (0, 0)]
    assert [_v(v) for v in items["urgent"].weekly] == [(0, 0), (1, 1)]
    assert _v(items["high"].total) == (0, 0)
    times = {s.label: s for s in _fig(measure_figures.review_first_action)}
    assert [_v(v) for v in times["normal"].weekly] == [(30.0, 1), (None, 0)]
    assert [_v(v) for v in times["urgent"].weekly] == [(None, 0), (10.0, 1)]


def test_deleted_authors_count_as_content_but_not_as_people(known, board):
    from forum.services.accounts import privacy

    privacy.do_delete_account(known["d"], keep_posts=True)
    (s,) = _fig(measure_figures.threads_by_board)[1:]
    assert _v(s.total) == (1, 0)


def test_periods_are_whole_weeks():
    period = measures.parse_period("2026-11-04", "2026-11-04")
    assert (period.start, period.last_day) == (date(2026, 11, 2), date(2026, 11, 8))
    assert period.weeks == [date(2026, 11, 2)]
    period = measures.parse_period("2026-11-01", "2026-11-10")
    assert period.weeks == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]


@pytest.mark.parametrize(("start", "end", "field"), [
    ("2026-11-10", "2026-11-01", "to"), ("yesterday", "2026-11-01", "from"),
    ("2026-11-01", "2026-13-01", "to"), ("2020-01-01", "2026-01-01", "to"),
])
def test_bad_periods_are_refused_with_a_reason(start, end, field):
    with pytest.raises(ValidationFailed) as exc:
        measures.parse_period(start, end)
    assert field in exc.value.reasons


def test_default_period_is_the_last_twelve_weeks():
    period = measures.parse_period("", None, today=date(2026, 12, 1))
    assert len(period.weeks) == 12 and period.last_day == date(2026, 12, 6)


def test_the_small_group_rule():
    assert measures.disclose(measures.Value(9, 9)).value == "fewer than 10"
    assert measures.disclose(measures.Value(0, 0)).people == "fewer than 10"
    assert measures.disclose(measures.Value(3.0, 10)) == measures.Shown(3.0, 10)
    assert measures.disclose(measures.Value(2.345, 12)).value == 2.3


@pytest.mark.parametrize("persona", PERSONAS + ("suspended",))
def test_only_admins_get_the_dashboard_report(request, persona):
    user = request.getfixturevalue(persona)
    if persona == "admin":
        assert measures.access_dashboard(PERIOD, acting_user=user).figures
    else:
        with pytest.raises(NotFound):
            measures.access_dashboard(PERIOD, acting_user=user)
    assert measures.access_shared(PERIOD, acting_user=user).figures


def test_anonymous_visitors_get_neither_report(app):
    from flask_login import AnonymousUserMixin

    for access in (measures.access_dashboard, measures.access_shared):
        for who in (None, AnonymousUserMixin()):
            with pytest.raises(NotFound):
                access(PERIOD, acting_user=who)


def test_a_registered_figure_appears_in_the_report(app):
    def compute(period):
        return measures.Figure("extra", [measures.Series(
            "", [measures.Value(12, 12) for _ in period.weeks], measures.Value(3, 3))])

    measures.register_figure("extra", "Extra", compute, unit="things")
    try:
        report = measures.build_report(PERIOD)
        (extra,) = [f for f in report.figures if f.key == "extra"]
        assert [v.value for _, v in extra.series[0].weekly] == [12, 12]
        assert extra.series[0].total.value == "fewer than 10"
    finally:
        measures._PROVIDERS.pop("extra")
