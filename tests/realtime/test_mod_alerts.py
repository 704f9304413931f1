"""The /mod namespace: who may connect, and who receives an urgent `queue_item` (on-duty
trained moderators at once; every trained moderator and admin after 5 minutes unclaimed)."""

from __future__ import annotations

import pytest

from forum.extensions import socketio
from forum.services import jobs
from forum.services.review import alerts as review_alerts, claims as review_claims, duty
from tests.conftest import login
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import post_item

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


def _connect(app, user):
    client = app.test_client()
    login(client, user)
    return socketio.test_client(app, namespace="/mod", flask_test_client=client)


def _queue_items(sock) -> list[dict]:
    return [r["args"][0] for r in sock.get_received("/mod") if r["name"] == "queue_item"]


@pytest.mark.parametrize("persona", ["member", "facilitator"])
def test_members_and_facilitators_cannot_connect(request, app, persona):
    user = request.getfixturevalue(persona)
    sock = _connect(app, user)
    assert not sock.is_connected("/mod")


def test_anonymous_cannot_connect(app):
    sock = socketio.test_client(app, namespace="/mod", flask_test_client=app.test_client())
    assert not sock.is_connected("/mod")


@pytest.fixture
def team(app, make_user, moderator, trained_moderator, admin, facilitator, member):
    """Trained on duty, trained off duty, untrained on duty, an admin, a facilitator."""
    on_duty_trained = make_user("duty-trained", roles_=("moderator",),
                                training=("crisis-response",))
    duty.check_set_duty(True, acting_user=on_duty_trained)
    duty.check_set_duty(True, acting_user=moderator)  # untrained, on duty
    return {
        "on_duty_trained": on_duty_trained,
        "off_duty_trained": trained_moderator,
        "on_duty_untrained": moderator,
        "admin": admin,
    }


def test_urgent_item_alerts_on_duty_trained_moderators_only(app, board, member, team,
                                                           screener, fake_clock):
    socks = {name: _connect(app, user) for name, user in team.items()}
    for sock in socks.values():
        assert sock.is_connected("/mod")
        sock.get_received("/mod")
    item = post_item(board, member, "I want to end it tonight", "crisis")
    got = {name: _queue_items(sock) for name, sock in socks.items()}
    assert got["on_duty_trained"] == [{"id": item.id, "priority": "urgent",
                                       "categories": ["crisis"], "age_s": 0}]
    assert got["off_duty_trained"] == []
    assert got["on_duty_untrained"] == []
    assert got["admin"] == []


def test_no_alert_before_commit(app, member, team, fake_clock):
    from forum.extensions import db
    from forum.services import review_queue
    from tests.fixtures.review import verdict

    sock = _connect(app, team["on_duty_trained"])
    sock.get_received("/mod")
    review_queue.do_enqueue("test", 1, verdict=verdict("overdose"))
    assert _queue_items(sock) == []
    db.session.rollback()
    db.session.commit()
    assert _queue_items(sock) == []


def test_unclaimed_after_5_minutes_alerts_all_trained_and_admins(
        app, board, member, team, screener, fake_clock):
    item = post_item(board, member, "took too many pills", "overdose")
    socks = {name: _connect(app, user) for name, user in team.items()}
    for sock in socks.values():
        sock.get_received("/mod")
    assert review_alerts.run_escalation(fake_clock.advance(minutes=4, seconds=59)) == 0
    assert all(_queue_items(s) == [] for s in socks.values())
    assert review_alerts.run_escalation(fake_clock.advance(seconds=1)) == 1
    got = {name: _queue_items(sock) for name, sock in socks.items()}
    assert got["on_duty_trained"][0]["id"] == item.id
    assert got["on_duty_trained"][0]["age_s"] == 300
    assert len(got["off_duty_trained"]) == 1
    assert len(got["admin"]) == 1
    assert got["on_duty_untrained"] == []
    # Once widened, never again.
    assert review_alerts.run_escalation(fake_clock.advance(minutes=5)) == 0


def test_claimed_urgent_item_is_not_escalated(app, board, member, team, screener, fake_clock):
    item = post_item(board, member, "I want to end it tonight", "crisis")
    review_claims.check_claim(item, acting_user=team["on_duty_trained"])
    assert review_alerts.run_escalation(fake_clock.advance(minutes=6)) == 0


def test_escalation_runs_as_a_named_job(app, board, member, team, screener, fake_clock,
                                        runner):
    post_item(board, member, "I want to end it tonight", "crisis")
    fake_clock.advance(minutes=6)
    assert "review.escalate" in jobs.registered()
    done = jobs.run_due(fake_clock.at, force=True)
    assert done["review.escalate"] == 1
    result = runner.invoke(args=["jobs", "run", "--all"])
    assert result.exit_code == 0 and "review.escalate: 0" in result.output
