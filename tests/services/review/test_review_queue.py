"""The queue at the service level: one item per content, ordering, filters, counts, claims,
lapses, training gating, and the after-commit event bus."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.errors import NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models.review import OPEN
from forum.services import events, review_queue
from forum.services.review import claims as review_claims
from tests.conftest import PERSONAS
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import audit_actions, post_item, verdict

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


def _enqueue(content_id, category, priority, fake_clock, minutes_ago=0, **kw):
    saved = fake_clock.at
    fake_clock.at = saved - timedelta(minutes=minutes_ago)
    item = review_queue.do_enqueue("test", content_id,
                                   verdict=verdict(category, "flag", priority), **kw)
    fake_clock.at = saved
    db.session.commit()
    return item


def test_order_is_priority_then_oldest_first(app, moderator, fake_clock):
    low = _enqueue(1, "spam", "low", fake_clock, minutes_ago=90)
    normal_new = _enqueue(2, "harassment", "normal", fake_clock, minutes_ago=1)
    urgent_new = _enqueue(3, "crisis", "urgent", fake_clock, minutes_ago=2)
    normal_old = _enqueue(4, "pii", "normal", fake_clock, minutes_ago=60)
    high = _enqueue(5, "sourcing", "high", fake_clock, minutes_ago=3)
    urgent_old = _enqueue(6, "overdose", "urgent", fake_clock, minutes_ago=4)
    items, total = review_queue.list_queue(acting_user=moderator)
    assert [i.id for i in items] == [urgent_old.id, urgent_new.id, high.id, normal_old.id,
                                     normal_new.id, low.id]
    assert total == 6


def test_second_flag_or_report_adds_to_the_same_item(app, fake_clock):
    first = _enqueue(7, "spam", "low", fake_clock)
    second = _enqueue(7, "crisis", "urgent", fake_clock)
    assert first.id == second.id
    assert second.priority == "urgent" and second.priority_rank == 0
    assert second.categories == ["crisis", "spam"]


def test_filters_and_counts(app, moderator, fake_clock):
    _enqueue(1, "spam", "low", fake_clock)
    _enqueue(2, "crisis", "urgent", fake_clock)
    _enqueue(3, "crisis-method", "urgent", fake_clock)
    items, _ = review_queue.list_queue(review_queue.QueueFilter(category="crisis"),
                                       acting_user=moderator)
    assert [i.content_id for i in items] == [2]  # "crisis" never matches "crisis-method"
    items, _ = review_queue.list_queue(review_queue.QueueFilter(source="report"),
                                       acting_user=moderator)
    assert items == []
    assert review_queue.category_counts() == {"crisis": 1, "crisis-method": 1, "spam": 1}
    flt = review_queue.QueueFilter.parse({"status": "bogus", "board": " ", "source": "evil"})
    assert flt == review_queue.QueueFilter()


def test_board_filter_uses_the_posts_board(app, moderator, board, member, screener):
    item = post_item(board, member, "call me on 555", "pii")
    assert item.board_id == board.id and item.author_id == member.id
    items, _ = review_queue.list_queue(review_queue.QueueFilter(board=board.slug),
                                       acting_user=moderator)
    assert [i.id for i in items] == [item.id]
    items, _ = review_queue.list_queue(review_queue.QueueFilter(board=board.slug + "-other"),
                                       acting_user=moderator)
    assert items == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_moderators_and_admins_list_the_queue(request, app, persona):
    user = request.getfixturevalue(persona)
    if persona in ("moderator", "trained_moderator", "admin"):
        review_queue.list_queue(acting_user=user)
    else:
        with pytest.raises(NotFound):
            review_queue.list_queue(acting_user=user)


RISK_CLAIMERS = {"trained_moderator"}
OTHER_CLAIMERS = {"moderator", "trained_moderator", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("category", ["crisis", "crisis-method", "overdose", "harassment"])
def test_claiming_needs_training_for_risk_items(request, app, fake_clock, persona, category):
    user = request.getfixturevalue(persona)
    item = _enqueue(11, category, None, fake_clock)
    allowed = persona in (OTHER_CLAIMERS if category == "harassment" else RISK_CLAIMERS)
    assert review_claims.can_claim(item, user) is allowed
    if allowed:
        review_claims.check_claim(item, acting_user=user)
        assert item.claimed_by_id == user.id
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            review_claims.check_claim(item, acting_user=user)
        assert item.claimed_by_id is None


def test_expired_training_no_longer_counts(app, make_user, fake_clock):
    from datetime import date, timedelta

    from forum.services.accounts import roles

    lapsed = make_user("lapsed-ivy", roles_=("moderator",))
    roles.check_record_training(lapsed, "crisis-response",
                                completed_on=date.today() - timedelta(days=400),
                                expires_on=date.today() - timedelta(days=35), acting_user=None)
    item = _enqueue(12, "crisis", None, fake_clock)
    assert not review_claims.can_claim(item, lapsed)


def test_one_claim_at_a_time_and_it_lapses_after_15_minutes(
        app, moderator, trained_moderator, fake_clock):
    item = _enqueue(13, "spam", "normal", fake_clock)
    review_claims.check_claim(item, acting_user=moderator)
    with pytest.raises(ValidationFailed):
        review_claims.check_claim(item, acting_user=trained_moderator)
    fake_clock.advance(minutes=14)
    with pytest.raises(ValidationFailed):
        review_claims.check_claim(item, acting_user=trained_moderator)
    fake_clock.advance(minutes=1)
    assert review_claims.active_claimant(item) is None
    review_claims.check_claim(item, acting_user=trained_moderator)
    assert item.claimed_by_id == trained_moderator.id
    assert audit_actions().count("review.claim") == 2


def test_lapse_job_clears_stale_claims(app, moderator, fake_clock):
    item = _enqueue(14, "spam", "normal", fake_clock)
    review_claims.check_claim(item, acting_user=moderator)
    assert review_claims.run_lapse(fake_clock.advance(minutes=10)) == 0
    assert review_claims.run_lapse(fake_clock.advance(minutes=5)) == 1
    assert item.claimed_by_id is None
    assert "review.claim_lapsed" in audit_actions()


def test_only_the_claimant_or_an_admin_releases(app, moderator, trained_moderator, admin,
                                                fake_clock):
    item = _enqueue(15, "spam", "normal", fake_clock)
    review_claims.check_claim(item, acting_user=moderator)
    with pytest.raises(PermissionDenied):
        review_claims.check_release(item, acting_user=trained_moderator)
    review_claims.check_release(item, acting_user=admin)
    assert item.claimed_by_id is None
    assert audit_actions()[-1] == "review.release"


def test_events_leave_only_after_commit(app):
    got = []
    events.subscribe("test_event", got.append)
    events.publish("test_event", {"x": 1}, audience=("a",))
    assert got == []
    db.session.rollback()
    db.session.commit()
    assert got == []
    events.publish("test_event", {"x": 2}, audience=("a",))
    db.session.commit()
    assert [e.payload for e in got] == [{"x": 2}]


def test_a_released_savepoint_is_not_the_commit(app):
    got = []
    events.subscribe("test_event", got.append)
    events.publish("test_event", {"x": 1})
    with db.session.begin_nested():
        events.publish("test_event", {"x": 2})
    assert got == []  # the transaction goes on: it may still roll back
    db.session.rollback()
    db.session.commit()
    assert got == []
    events.publish("test_event", {"x": 3})
    with db.session.begin_nested():
        events.publish("test_event", {"x": 4})
    db.session.commit()
    assert [e.payload for e in got] == [{"x": 3}, {"x": 4}]


def test_resolved_item_reopens_on_new_report(app, moderator, fake_clock):
    item = _enqueue(16, "spam", "normal", fake_clock)
    review_queue.do_approve(item, acting_user=moderator)
    again = _enqueue(16, "spam", "normal", fake_clock)
    assert again.id == item.id and again.status == OPEN
