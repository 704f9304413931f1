"""Web Push end to end against a local push service (tests/push_service.py): each kind of push
from its event to a decrypted payload with a valid VAPID signature, withdrawals with the same
tag, what 403/404/410 and 5xx answers do, the most pressing push first, a failed queueing that
costs its event nothing, and one send per push across processes and threads."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from forum.extensions import db
from forum.models import Notification, Post, PushMessage, PushSubscription, SupportRequest
from forum.services import clock, jobs, review_queue
from forum.services.accounts import account as accounts
from forum.services.meetings import reminders as meetings_reminders
from forum.services.push import (
    delivery as push_delivery,
    keys as push_keys,
    outbox as push_outbox,
    subscriptions as push_subscriptions,
)
from forum.services.review import alerts as review_alerts, claims as review_claims
from forum.services.support import requests as support
from tests import push_service as local_push
from tests.conftest import VAPID_PEM
from tests.fixtures import meetings as meetings_support, threads as threads_support
from tests.fixtures.meetings import schedule
from tests.fixtures.review import verdict
from tests.fixtures.talk import on_duty
from tests.fixtures.threads import new_reply, new_thread

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


def test_a_reply_that_quotes_or_mentions_the_thread_author_pushes_too(
        push_service, board, member, second_member):
    subscribe(member, push_service.browser("member"))
    push_subscriptions.set_preferences(member, {"thread_replies": True})
    opening = new_thread(board, member, title="My private worry", body="Day three.").post
    quoting = new_reply(opening.thread, second_member, body="This, so much",
                        quote_of_id=opening.id).post
    mentioning = new_reply(opening.thread, second_member,
                           body=f"@{member.pseudonym} you are not alone").post
    kinds = db.session.scalars(select(Notification.kind).where(
        Notification.user_id == member.id).order_by(Notification.id)).all()
    assert kinds == ["quote", "mention"]  # the in-forum notifications say what they are
    assert push_delivery.deliver_due() == {"sent": 2}
    got = push_service.wait_for(2)
    assert sorted(r.payload["url"] for r in got) == sorted(
        [f"/p/{quoting.id}", f"/p/{mentioning.id}"])
    assert all(r.payload["title"] == "Someone replied to your thread" for r in got)


# --- what the push service answers ------------------------------------------------------------

@pytest.mark.parametrize(("status", "body"), [
    (404, b""), (410, b""),
    # The push service says the subscription was made with another key (the key changed).
    (403, b'{"reason":"VapidPkHashMismatch"}'),
])
def test_a_subscription_the_service_says_is_gone_is_removed(push_service, member, status,
                                                            body):
    browser = push_service.browser("member")
    subscription = subscribe(member, browser)
    kept = subscribe(member, push_service.browser("laptop"))
    push_service.answer("member", status, body=body)
    gone_id, kept_id = subscription.id, kept.id
    assert push_outbox.send_test(member) == 2
    assert push_delivery.deliver_due() == {"gone": 1, "sent": 1}
    db.session.expire_all()
    assert db.session.get(PushSubscription, gone_id) is None
    assert db.session.get(PushSubscription, kept_id) is not None
    assert db.session.scalar(select(func.count(PushMessage.id)).where(
        PushMessage.subscription_id == gone_id)) == 0


@pytest.mark.parametrize("body", [b'{"reason":"BadJwtToken"}', b""])
def test_a_refused_signature_gives_up_the_push_and_keeps_the_subscription(
        push_service, member, caplog, body):
    """Apple's 403 BadJwtToken (a subject it will not take), FCM's and Mozilla's 403 for a
    token their clock finds expired: the forum's fault, not the device's."""
    browser = push_service.browser("member")
    subscription = subscribe(member, browser)
    push_service.answer("member", 403, body=body)
    push_outbox.send_test(member)
    with caplog.at_level(logging.WARNING, logger="forum.push"):
        assert push_delivery.deliver_due() == {"gave_up": 1}
    db.session.expire_all()
    assert db.session.get(PushSubscription, subscription.id) is not None
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    message_id = db.session.scalar(select(PushMessage.id))
    assert line == (f"push refused message_id={message_id} subscription_id={subscription.id} "
                    "status=403")
    # The next push goes to the same device.
    push_outbox.send_test(member)
    assert push_delivery.deliver_due() == {"sent": 1}


def test_the_placeholder_subject_is_named_at_start_up(app, caplog):
    app.config["TESTING"] = False
    with caplog.at_level(logging.WARNING, logger="forum.push"):
        assert push_keys.warn_if_placeholder_subject(app)
    assert "FORUM_VAPID_SUBJECT" in caplog.text and "Apple" in caplog.text
    app.config["VAPID_SUBJECT"] = "mailto:team@forum.example.org"
    assert not push_keys.warn_if_placeholder_subject(app)


def test_an_endpoint_off_the_list_is_never_posted_to(push_service, app, member, monkeypatch):
    """The list is checked again before each send: a row stored before the list changed, or
    one that got past an older check, gets no POST."""
    subscription = subscribe(member, push_service.browser("member"))
    posted = []
    monkeypatch.setattr(push_delivery, "webpush", lambda **kwargs: posted.append(kwargs))
    for endpoint in ("https://169.254.169.254\\.fcm.googleapis.com/x",
                     "https://fcm.googleapis.com@169.254.169.254/x",
                     push_service.browser("member").endpoint):
        db.session.execute(update(PushSubscription).where(
            PushSubscription.id == subscription.id).values(endpoint=endpoint))
        db.session.commit()
        app.config["PUSH_ALLOW_INSECURE_ENDPOINTS"] = False  # the local service is off the list
        push_outbox.send_test(member)
        assert push_delivery.deliver_due() == {"gave_up": 1}, endpoint
    assert posted == []
    assert db.session.get(PushSubscription, subscription.id) is not None


def test_a_redirect_is_not_followed(push_service, member):
    subscribe(member, push_service.browser("member"))
    push_service.answer("member", 307)
    push_outbox.send_test(member)
    assert push_delivery.deliver_due() == {"gave_up": 1}
    assert [r.name for r in push_service.wait_for(1)] == ["member"]
    assert push_service.to("redirected") == []


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


def test_the_job_only_clears_old_rows(push_service, fake_clock, member):
    assert "push.deliver" in jobs.registered()
    subscribe(member, push_service.browser("member"))
    start = fake_clock.now
    push_outbox.send_test(member)
    # Sending is the sender threads' work, never the shared scheduler's.
    assert push_delivery.run_job(start) == 0
    assert push_service.received == []
    assert push_delivery.deliver_due(start) == {"sent": 1}
    assert push_delivery.run_job(start + timedelta(days=1)) == 0
    assert db.session.scalar(select(func.count(PushMessage.id))) == 1  # kept a while
    assert push_delivery.run_job(start + timedelta(days=2, seconds=1)) == 1
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0


# --- one send per push ------------------------------------------------------------------------

def test_a_claim_is_won_by_one_holder(push_service, member):
    subscribe(member, push_service.browser("member"))
    push_outbox.send_test(member)
    message_id = db.session.scalar(select(PushMessage.id))
    first = push_delivery.claim(message_id)
    assert first is not None
    assert push_delivery.claim(message_id) is None
    # A holder that died loses the row once its lease ran out; the next one sends it.
    later = first.at + push_delivery.LEASE + timedelta(seconds=1)
    assert push_delivery.deliver_due(later) == {"sent": 1}


def test_a_claim_made_with_an_old_now_still_holds_a_live_lease(push_service, member):
    """A round of sends lasts long enough for its start's `now` to be stale: the lease is
    counted from the clock at the claim, or it would be over as it is written."""
    subscribe(member, push_service.browser("member"))
    push_outbox.send_test(member)
    message_id = db.session.scalar(select(PushMessage.id))
    before = clock.now()
    held = push_delivery.claim(message_id, before - 10 * MIN)
    assert held is not None and held.at >= before
    db.session.expire_all()
    assert db.session.get(PushMessage, message_id).lease_until > clock.now()
    assert push_delivery.claim(message_id) is None


def test_two_claims_of_one_process_are_told_apart(push_service, member):
    """The sender's threads share a process: each claim has its own token, so a claim whose
    lease ran out cannot write over the claim that took the row after it."""
    subscribe(member, push_service.browser("member"))
    push_outbox.send_test(member)
    message_id = db.session.scalar(select(PushMessage.id))
    first = push_delivery.claim(message_id)
    second = push_delivery.claim(message_id, first.at + push_delivery.LEASE + timedelta(seconds=1))
    assert second is not None and second.token != first.token
    holder = jobs.process_holder()
    assert first.token.startswith(holder) and second.token.startswith(holder)
    assert not push_delivery._finish(first, sent_at=first.at)
    assert push_delivery._finish(second, sent_at=second.at)
    assert not push_delivery._finish(first, sent_at=first.at)


# --- the most pressing first ------------------------------------------------------------------

def test_talk_now_and_urgent_pushes_go_before_the_others(push_service, member, facilitator,
                                                         monkeypatch):
    on_duty(facilitator)
    for name in ("phone", "laptop", "tablet"):
        subscribe(member, push_service.browser(name))
    subscribe(facilitator, push_service.browser("sam"))
    push_subscriptions.set_preferences(member, {"thread_replies": True})
    push_outbox.send_test(member)  # three test pushes, queued first
    real_send = push_delivery.send
    sent = []

    def send(subscription, message):
        if not sent:  # a "talk now" push queued while the first push is on its way
            push_outbox.support_requested(7, [facilitator.id])
            db.session.commit()
        sent.append(message.kind)
        return real_send(subscription, message)

    monkeypatch.setattr(push_delivery, "send", send)
    assert push_delivery.deliver_due(workers=1) == {"sent": 4}
    # It goes next, before the test pushes queued before it.
    assert sent == ["test", "support", "test", "test"]
    assert [r.name for r in push_service.wait_for(4)] == ["phone", "sam", "laptop", "tablet"]

    push_service.clear()
    push_outbox.send_test(member)
    review_id = 9
    push_outbox.urgent_item(review_id, [facilitator.id])
    push_outbox.support_requested(8, [facilitator.id])
    db.session.commit()
    sent.clear()
    assert push_delivery.deliver_due(workers=1) == {"sent": 5}
    assert sent == ["urgent", "support", "test", "test", "test"]


def test_a_slow_push_service_does_not_hold_up_the_next_push(push_service, member):
    subscribe(member, push_service.browser("slow"))
    subscribe(member, push_service.browser("fast"))
    # "slow" answers only once "fast" has its push: one thread at a time would wait it out.
    push_service.hold("slow", until="fast")
    push_outbox.send_test(member)
    began = time.monotonic()
    assert push_delivery.deliver_due(workers=4) == {"sent": 2}
    assert [r.name for r in push_service.wait_for(2)] == ["fast", "slow"]
    assert time.monotonic() - began < local_push.HOLD_S


# --- a push never costs its event ---------------------------------------------------------------

@pytest.fixture
def broken_queue(monkeypatch):
    """Each push queued becomes a row the database refuses (no subscription)."""
    real_add = push_outbox._add

    def add(subscription_id, *args, **kwargs):
        real_add(None, *args, **kwargs)

    monkeypatch.setattr(push_outbox, "_add", add)


def test_a_failed_push_does_not_cost_the_talk_now_request(
        push_service, broken_queue, member, facilitator, caplog):
    on_duty(facilitator)
    subscribe(facilitator, push_service.browser("sam"))
    with caplog.at_level(logging.ERROR, logger="forum.push"):
        request = support.check_open("A hard evening", acting_user=member).request
    db.session.expire_all()
    assert db.session.get(SupportRequest, request.id) is not None
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0
    assert f"push queueing failed tag=support-{request.id}" in caplog.text
    assert "A hard evening" not in caplog.text and member.pseudonym not in caplog.text


def test_a_failed_push_does_not_cost_the_reply(push_service, broken_queue, board, member,
                                               second_member):
    subscribe(member, push_service.browser("member"))
    push_subscriptions.set_preferences(member, {"thread_replies": True})
    thread = new_thread(board, member).post.thread
    reply = new_reply(thread, second_member, body="Still here for you").post
    db.session.expire_all()
    assert db.session.get(Post, reply.id) is not None
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == member.id)) == 1
    assert db.session.scalar(select(func.count(PushMessage.id))) == 0


def test_a_failed_withdrawal_does_not_cost_the_claim(push_service, board, member,
                                                     trained_moderator, monkeypatch):
    on_duty(trained_moderator)
    subscribe(trained_moderator, push_service.browser("rowan"))
    post = new_thread(board, member, title="Hard night", body="Everything hurts tonight").post
    item = review_queue.do_enqueue("post", post.id, verdict=verdict("crisis"))
    db.session.commit()

    def failing(tag):  # a statement the database refuses, in the claim's transaction
        db.session.execute(text("UPDATE push_messages SET kind = NULL"))

    monkeypatch.setattr(push_outbox, "_withdraw", failing)
    review_claims.check_claim(item, acting_user=trained_moderator)
    db.session.expire_all()
    assert db.session.get(type(item), item.id).claimed_by_id == trained_moderator.id


# --- withdrawing ------------------------------------------------------------------------------

def test_a_push_claimed_while_it_is_withdrawn_gets_its_follow_up(
        push_service, member, facilitator, monkeypatch):
    """A sender claims the push between the withdrawal's look and its write: the cancel, a
    conditional UPDATE, finds it taken, and a follow-up is queued instead."""
    subscribe(facilitator, push_service.browser("sam"))
    push_outbox.support_requested(7, [facilitator.id])
    db.session.commit()
    message_id = db.session.scalar(select(PushMessage.id))
    real_cancel = push_outbox._cancel

    def cancel_after_a_claim(claimed_id, now):
        db.session.execute(update(PushMessage).where(PushMessage.id == claimed_id).values(
            holder="another-process", lease_until=now + push_delivery.LEASE))
        return real_cancel(claimed_id, now)

    monkeypatch.setattr(push_outbox, "_cancel", cancel_after_a_claim)
    assert push_outbox.support_answered(7) == 1
    db.session.commit()
    db.session.expire_all()
    original = db.session.get(PushMessage, message_id)
    assert original.gave_up_at is None and original.withdrawn_at is not None
    # The other process sends the original; then the follow-up goes, after it.
    assert push_delivery.deliver_due() == {}
    db.session.execute(update(PushMessage).where(PushMessage.id == message_id).values(
        holder=None, lease_until=None, sent_at=clock.now()))
    db.session.commit()
    assert push_delivery.deliver_due() == {"sent": 1}
    [got] = push_service.wait_for(1)
    assert got.payload["withdraw"] is True and got.payload["tag"] == "support-7"


def test_a_follow_up_waits_while_its_original_is_being_sent(push_service, facilitator):
    subscribe(facilitator, push_service.browser("sam"))
    push_outbox.support_requested(7, [facilitator.id])
    db.session.commit()
    message_id = db.session.scalar(select(PushMessage.id))
    held = push_delivery.claim(message_id)
    assert push_outbox.support_answered(7) == 1
    db.session.commit()
    assert push_delivery.deliver_due() == {}  # sent now, it could overtake the original
    push_delivery._finish(held, sent_at=held.at)
    assert push_delivery.deliver_due() == {"sent": 1}
    [got] = push_service.wait_for(1)
    assert got.payload["withdraw"] is True


# Another process of the forum, as far as sending goes: the forum's extensions and delivery
# code on the same database (create_app would add seconds of loading the moderation models).
RACER = r"""
import json, sys
from flask import Flask
import forum.extensions_setup  # the SQLite settings every forum connection gets
from forum.extensions import db
from forum.services.push import delivery as push_delivery

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
