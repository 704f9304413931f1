"""Web Push end to end against a local push service (tests/push_service.py): each kind of push
from its event to a decrypted payload with a valid VAPID signature, withdrawals with the same
tag, what 404/410 and 5xx answers do, and one send per push across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import PushMessage, PushSubscription
from forum.services import (
    accounts,
    clock,
    jobs,
    meetings_reminders,
    push_delivery,
    push_outbox,
    push_subscriptions,
    review_alerts,
    review_claims,
    review_queue,
)
from forum.services import support_requests as support
from tests import meetings_support, threads_support
from tests import push_service as local_push
from tests.conftest import VAPID_PEM
from tests.meetings_support import schedule
from tests.review_support import verdict
from tests.talk_support import on_duty
from tests.threads_support import new_reply, new_thread

push_service = local_push.push_service
fake_clock = meetings_support.fake_clock
board = threads_support.board
screener = threads_support.screener

ROOT = Path(__file__).resolve().parents[2]
MIN = timedelta(minutes=1)


@pytest.fixture
def app_config(app_config):
    return local_push.push_config(app_config)


def subscribe(user, browser, name=None):
    """The browser's subscription, stored as POST /account/push/subscribe stores it."""
    return push_subscriptions.do_subscribe(user, endpoint=browser.endpoint, keys=browser.keys,
                                           device_name=name or browser.name)


def assert_clean(received, *words):
    """A push signed with the forum's key, decrypted, and holding none of these words."""
    assert received.ok, (received.vapid_error, received.decrypt_error)
    text = json.dumps(received.payload)
    for word in words:
        assert word not in text


# --- talk to someone now ---------------------------------------------------------------------

def test_a_support_request_reaches_on_duty_supporters_and_accepting_withdraws_it(
        push_service, make_user, member, facilitator, trained_moderator):
    off_duty = make_user("quiet-lantern", roles_=("facilitator",))
    on_duty(facilitator, trained_moderator)
    for user, name in ((facilitator, "sam"), (trained_moderator, "rowan"), (off_duty, "off"),
                       (member, "member")):
        subscribe(user, push_service.browser(name))
    request = support.check_open("Rough evening, the cravings are loud",
                                 acting_user=member).request
    tag = f"support-{request.id}"

    assert push_delivery.deliver_due() == {"sent": 2}
    got = push_service.wait_for(2)
    assert sorted(r.name for r in got) == ["rowan", "sam"]  # not the off-duty one, nor the member
    for received in got:
        assert_clean(received, member.pseudonym, "cravings", "Rough")
        assert received.payload == {
            "title": "Someone is asking to talk now", "body": "Open the forum to answer.",
            "url": "/support/requests", "tag": tag, "withdraw": False}
        assert received.headers["topic"] == tag
        assert received.headers["urgency"] == "high"
        assert int(received.headers["ttl"]) > 0
        assert received.claims["sub"]

    push_service.clear()
    support.check_accept(request.id, acting_user=facilitator)
    assert push_delivery.deliver_due() == {"sent": 2}
    withdrawals = {r.name: r for r in push_service.wait_for(2)}
    assert set(withdrawals) == {"sam", "rowan"}
    other = withdrawals["rowan"]
    assert_clean(other, member.pseudonym)
    assert other.payload["tag"] == tag and other.payload["withdraw"] is True
    assert other.headers["topic"] == tag  # a push still pending at the service is replaced
    # Once: accepting is not repeated, and nothing else is left to send.
    assert push_outbox.support_answered(request.id) == 0
    assert push_delivery.deliver_due() == {}


def test_a_request_withdrawn_before_its_push_went_out_pushes_nothing(
        push_service, member, facilitator):
    on_duty(facilitator)
    subscribe(facilitator, push_service.browser("sam"))
    request = support.check_open(None, acting_user=member).request
    support.check_withdraw(request.id, acting_user=member)
    assert push_delivery.deliver_due() == {}
    assert push_service.received == []


# --- an urgent item ---------------------------------------------------------------------------

def test_an_urgent_item_reaches_on_duty_trained_moderators_and_a_claim_withdraws_it(
        push_service, make_user, board, member, moderator, trained_moderator):
    second = make_user("fern-trained", roles_=("moderator",), training=("crisis-response",))
    off_duty = make_user("ivy-trained", roles_=("moderator",), training=("crisis-response",))
    on_duty(moderator, trained_moderator, second)
    for user, name in ((moderator, "untrained"), (trained_moderator, "rowan"),
                       (second, "fern"), (off_duty, "ivy")):
        subscribe(user, push_service.browser(name))
    post = new_thread(board, member, title="Hard night", body="Everything hurts tonight").post
    item = review_queue.do_enqueue("post", post.id, verdict=verdict("crisis"))
    db.session.commit()

    assert push_delivery.deliver_due() == {"sent": 2}
    got = push_service.wait_for(2)
    # A crisis item needs training: the untrained moderator on duty is not alerted.
    assert sorted(r.name for r in got) == ["fern", "rowan"]
    for received in got:
        assert_clean(received, member.pseudonym, "Hard night", "hurts")
        assert received.payload == {
            "title": "An urgent item is waiting", "body": "Open the review queue.",
            "url": f"/review/{item.id}", "tag": f"urgent-{item.id}", "withdraw": False}
        assert received.headers["urgency"] == "high"

    push_service.clear()
    review_claims.check_claim(item, acting_user=trained_moderator)
    assert push_delivery.deliver_due() == {"sent": 2}
    withdrawals = {r.name: r.payload for r in push_service.wait_for(2)}
    assert withdrawals["fern"]["tag"] == f"urgent-{item.id}"
    assert withdrawals["fern"]["withdraw"] is True


def test_a_widened_alert_reaches_the_rest_of_its_audience_once(
        push_service, board, member, trained_moderator, admin, moderator):
    on_duty(trained_moderator)
    for user, name in ((trained_moderator, "rowan"), (admin, "jo"), (moderator, "untrained")):
        subscribe(user, push_service.browser(name))
    post = new_thread(board, member, title="Hard night", body="Everything hurts tonight").post
    item = review_queue.do_enqueue("post", post.id, verdict=verdict("crisis"))
    db.session.commit()
    assert push_delivery.deliver_due() == {"sent": 1}
    # Unclaimed after five minutes: every trained moderator and every admin, on duty or not;
    # who was alerted already is not alerted again.
    assert review_alerts.run_escalation(clock.now() + 6 * MIN) == 1
    assert push_delivery.deliver_due() == {"sent": 1}
    got = push_service.wait_for(2)
    assert [r.name for r in got] == ["rowan", "jo"]
    assert got[1].payload["tag"] == f"urgent-{item.id}"


# --- a meeting reminder -----------------------------------------------------------------------

START = meetings_support.BEFORE_DST_END.replace(day=20, hour=18)  # Tuesday 19:00 in London


def test_a_meeting_reminder_comes_in_the_members_language_and_time_zone(
        push_service, fake_clock, make_user, facilitator, member, second_member):
    meeting = schedule(facilitator)
    accounts.set_preferences(member, locale="es", timezone="America/Mexico_City")
    quiet = make_user("quiet-willow")
    for user, name in ((member, "member"), (second_member, "second"), (quiet, "quiet")):
        subscribe(user, push_service.browser(name))
    for user in (member, quiet):  # the second member asked for no reminder
        meetings_reminders.check_toggle_reminder(meeting, acting_user=user)
    push_subscriptions.set_preferences(quiet, {"meeting_reminders": False})

    now = START - 14 * MIN
    fake_clock.set(now)
    assert meetings_reminders.run_reminders(now) == 2  # the in-forum notifications as before
    assert push_delivery.deliver_due(now) == {"sent": 1}
    [got] = push_service.wait_for(1)
    assert got.name == "member"
    assert_clean(got, meeting.title, facilitator.pseudonym)
    # 18:00 UTC is 12:00 in Mexico City, said in Spanish.
    assert got.payload == {
        "title": "Tu círculo empieza en 15 minutos",
        "body": "Empieza a las 12:00 (America/Mexico_City).",
        "url": f"/meetings/{meeting.id}", "tag": got.payload["tag"], "withdraw": False}
    assert 0 < int(got.headers["ttl"]) <= 15 * 60  # pointless once the circle has begun
    # Once per session, however often the job runs.
    assert meetings_reminders.run_reminders(now + MIN) == 0
    assert push_delivery.deliver_due(now + MIN) == {}


def test_a_reminder_still_unsent_when_the_circle_starts_is_dropped(
        push_service, fake_clock, facilitator, member):
    meeting = schedule(facilitator)
    subscribe(member, push_service.browser("member"))
    meetings_reminders.check_toggle_reminder(meeting, acting_user=member)
    push_service.default_status = 503
    now = START - 14 * MIN
    fake_clock.set(now)
    meetings_reminders.run_reminders(now)
    assert push_delivery.deliver_due(now) == {"retry": 1}
    fake_clock.set(START)
    assert push_delivery.deliver_due(START) == {"gave_up": 1}
    assert len(push_service.received) == 1


# --- a reply ----------------------------------------------------------------------------------

def test_a_reply_pushes_only_once_the_member_turned_replies_on(
        push_service, board, member, second_member):
    subscribe(member, push_service.browser("member"))
    thread = new_thread(board, member, title="My private worry", body="Day three.").post.thread
    new_reply(thread, second_member, body="Sending strength your way")
    assert push_delivery.deliver_due() == {}  # replies are off until the member turns them on

    push_subscriptions.set_preferences(member, {"thread_replies": True})
    reply = new_reply(thread, second_member, body="Still here for you").post
    assert push_delivery.deliver_due() == {"sent": 1}
    [got] = push_service.wait_for(1)
    assert_clean(got, second_member.pseudonym, "Still here", "My private worry")
    assert got.payload == {
        "title": "Someone replied to your thread", "body": "Open the forum to read it.",
        "url": f"/p/{reply.id}", "tag": f"reply-{thread.id}", "withdraw": False}
    # Their own reply to their own thread pushes nothing.
    new_reply(thread, member, body="Thank you both")
    assert push_delivery.deliver_due() == {}


# --- what the push service answers ------------------------------------------------------------

@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_subscription_the_service_says_is_gone_is_removed(push_service, member, status):
    browser = push_service.browser("member")
    subscription = subscribe(member, browser)
    kept = subscribe(member, push_service.browser("laptop"))
    push_service.answer("member", status)
    assert push_outbox.send_test(member) == 2
    assert push_delivery.deliver_due() == {"gone": 1, "sent": 1}
    db.session.expire_all()
    assert db.session.get(PushSubscription, subscription.id) is None
    assert db.session.get(PushSubscription, kept.id) is not None
    assert db.session.scalar(select(func.count(PushMessage.id)).where(
        PushMessage.subscription_id == subscription.id)) == 0


def test_other_client_errors_give_up_and_keep_the_subscription(push_service, member):
    subscription = subscribe(member, push_service.browser("member"))
    push_service.answer("member", 400)
    push_outbox.send_test(member)
    assert push_delivery.deliver_due() == {"gave_up": 1}
    assert push_delivery.deliver_due(clock.now() + timedelta(hours=1)) == {}
    assert db.session.get(PushSubscription, subscription.id) is not None


def test_a_server_error_is_retried_after_the_backoff(push_service, fake_clock, member):
    subscribe(member, push_service.browser("member"))
    push_service.answer("member", 500, 429)
    start = fake_clock.now
    push_outbox.send_test(member)
    assert push_delivery.deliver_due(start) == {"retry": 1}
    assert push_delivery.deliver_due(start + timedelta(seconds=29)) == {}  # not due yet
    assert push_delivery.deliver_due(start + timedelta(seconds=30)) == {"retry": 1}
    assert push_delivery.deliver_due(start + timedelta(seconds=89)) == {}
    assert push_delivery.deliver_due(start + timedelta(seconds=90)) == {"sent": 1}
    assert [r.status for r in push_service.received] == [500, 429, 201]
    assert all(r.ok for r in push_service.received)


def test_server_errors_back_off_exponentially_and_give_up_after_24_hours(
        push_service, fake_clock, member):
    subscribe(member, push_service.browser("member"))
    push_service.default_status = 503
    start = fake_clock.now
    push_outbox.send_test(member)
    message_id = db.session.scalar(select(PushMessage.id))
    attempts = []
    now = start
    while True:
        fake_clock.set(now)
        outcome = push_delivery.deliver_due(now)
        message = db.session.get(PushMessage, message_id)
        db.session.refresh(message)
        if outcome == {"gave_up": 1}:
            attempts.append(now)
            break
        assert outcome == {"retry": 1}
        attempts.append(now)
        assert push_delivery.deliver_due(message.next_attempt_at - timedelta(seconds=1)) == {}
        now = message.next_attempt_at
    gaps = [(b - a).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[:7] == [30, 60, 120, 240, 480, 960, 1920]
    assert max(gaps) == 3600  # an hour at most between tries
    assert attempts[-1] == start + timedelta(hours=24)  # a last try at 24 hours, then no more
    assert message.gave_up_at == attempts[-1] and message.sent_at is None
    assert message.attempts == len(attempts) == len(push_service.received)
    assert push_delivery.deliver_due(start + timedelta(days=2)) == {}


def test_the_job_sends_what_is_due_and_clears_old_rows(push_service, fake_clock, member):
    assert "push.deliver" in jobs.registered()
    subscribe(member, push_service.browser("member"))
    start = fake_clock.now
    push_outbox.send_test(member)
    assert push_delivery.run_job(start) == 1
    assert push_delivery.run_job(start + timedelta(days=1)) == 0
    assert db.session.scalar(select(func.count(PushMessage.id))) == 1  # kept a while
    assert push_delivery.run_job(start + timedelta(days=2, seconds=1)) == 0
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0


# --- one send per push ------------------------------------------------------------------------

def test_a_claim_is_won_by_one_holder(push_service, member):
    subscribe(member, push_service.browser("member"))
    push_outbox.send_test(member)
    message_id = db.session.scalar(select(PushMessage.id))
    now = clock.now()
    assert push_delivery.claim(message_id, now, holder="process-a")
    assert not push_delivery.claim(message_id, now, holder="process-b")
    # A holder that died loses the row once its lease ran out; the next one sends it.
    later = now + push_delivery.LEASE + timedelta(seconds=1)
    assert push_delivery.deliver_due(later, holder="process-b") == {"sent": 1}


# Another process of the forum, as far as sending goes: the forum's extensions and delivery
# code on the same database (create_app would add seconds of loading the moderation models).
RACER = r"""
import json, sys
from flask import Flask
import forum.extensions_setup  # the SQLite settings every forum connection gets
from forum.extensions import db
from forum.services import push_delivery

app = Flask("racer")
app.config.update(json.loads(sys.argv[1]))
db.init_app(app)
with app.app_context():
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(push_delivery.deliver_due()), flush=True)
"""


def test_two_processes_send_each_push_exactly_once(push_service, app, make_user):
    count = 12
    for i in range(count):
        user = make_user(f"racer-{i:02d}")
        subscribe(user, push_service.browser(f"device-{i:02d}"))
        push_outbox.send_test(user)
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "VAPID_PRIVATE_KEY": VAPID_PEM, "PUSH_ALLOW_INSECURE_ENDPOINTS": True}
    racers = [subprocess.Popen([sys.executable, "-c", RACER, json.dumps(config)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    try:
        for racer in racers:
            assert racer.stdout.readline().strip() == "ready"
        for racer in racers:  # both start together
            racer.stdin.write("go\n")
            racer.stdin.flush()
        results = [json.loads(racer.stdout.readline()) for racer in racers]
    finally:
        for racer in racers:
            racer.stdin.close()
            racer.wait(timeout=60)
            racer.stdout.close()
    got = push_service.wait_for(count)
    assert sorted(r.name for r in got) == [f"device-{i:02d}" for i in range(count)]
    assert all(r.ok for r in got)
    assert sum(r.get("sent", 0) for r in results) == count
    print(f"sent per process: {[r.get('sent', 0) for r in results]}")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PushMessage.id)).where(
        PushMessage.sent_at.is_(None))) == 0


# --- within seconds of the event --------------------------------------------------------------

def test_the_sender_thread_pushes_within_seconds_of_the_event(push_service, app, member,
                                                              facilitator):
    on_duty(facilitator)
    subscribe(facilitator, push_service.browser("sam"))
    sender = push_delivery.start_sender(app, poll_s=60)  # woken by the commit, not by polling
    try:
        began = time.monotonic()
        support.check_open(None, acting_user=member)
        [got] = push_service.wait_for(1, timeout=5)
    finally:
        sender.stop()
        sender.join(timeout=10)
    latency = got.at - began
    print(f"support request to push service: {latency * 1000:.0f} ms")
    assert got.ok and got.payload["title"] == "Someone is asking to talk now"
    assert latency < 5
