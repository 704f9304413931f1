"""Sending the push outbox (push_outbox.py) to the browsers' push services (RFC 8030, payloads
encrypted per RFC 8291, signed per RFC 8292) with pywebpush.

Each serving process runs a sender thread that a committed `push.queued` event wakes, so a push
leaves within a second or two of its event; the leased job `push.deliver` picks up retries and
anything a process left behind. Several processes may look at the same row: each claims it
first with a conditional UPDATE (due, unsent, and no live lease), which one process wins, so
each push is sent once. A holder that dies mid-send loses its lease after LEASE.

Answers: 2xx sent; 404 or 410 (the browser unsubscribed) and 403 (the push service no longer
accepts this forum's key for it: the key changed) remove the subscription; 429, 5xx and no
answer retry with exponential backoff, for up to 24 hours; any other 4xx gives up. Logs name
the row and subscription ids, never an endpoint.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta

import requests
from flask import Flask
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, delete, or_, select, update

from ..extensions import db
from ..models import PushMessage, PushSubscription
from ..models.push import PUSH_MEETING, PUSH_REPLY, PUSH_SUPPORT, PUSH_TEST, PUSH_URGENT
from . import clock, events, jobs, push_keys, push_outbox, push_subscriptions
from .jobs import HOLDER

log = logging.getLogger("forum.push")

LEASE = timedelta(seconds=60)
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SEND_TIMEOUT_S = 10
BATCH = 200
# Sent and abandoned rows are kept this long (for the operator's counts), then deleted.
KEEP = timedelta(days=2)
# How long the push service keeps a push for a device that is offline, per kind.
TTL_S = {PUSH_SUPPORT: 3600, PUSH_URGENT: 3600, PUSH_MEETING: 900, PUSH_REPLY: 86400,
         PUSH_TEST: 300}
URGENCY = {PUSH_SUPPORT: "high", PUSH_URGENT: "high", PUSH_MEETING: "high"}
GONE = (403, 404, 410)
# The sender thread looks again this often even unwoken (a push queued by a process that has
# no sender, such as a CLI command).
POLL_S = 15.0


def _due(now: datetime):
    free = or_(PushMessage.lease_until.is_(None), PushMessage.lease_until < now)
    # An original that was withdrawn before it went out is never sent.
    live = or_(PushMessage.withdraw.is_(True), PushMessage.withdrawn_at.is_(None))
    return and_(PushMessage.sent_at.is_(None), PushMessage.gave_up_at.is_(None),
                PushMessage.next_attempt_at <= now, free, live)


def claim(message_id: int, now: datetime, holder: str = HOLDER) -> bool:
    """Lease one due row for this process (committed); True for exactly one claimant."""
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == message_id, _due(now))
        .values(holder=holder, lease_until=now + LEASE, attempts=PushMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _finish(message_id: int, holder: str, **values) -> bool:
    """Write the outcome if this process still holds the row (committed)."""
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == message_id, PushMessage.holder == holder)
        .values(holder=None, lease_until=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... up to an hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _retry_after(value: str | None) -> timedelta:
    try:
        return timedelta(seconds=max(0, int(value or 0)))
    except ValueError:  # an HTTP date: the backoff alone
        return timedelta(0)


def send(subscription: PushSubscription, message: PushMessage) -> tuple[int | None, str | None]:
    """POST one push; (HTTP status or None when the service did not answer, Retry-After)."""
    headers = {"Topic": message.tag}
    urgency = URGENCY.get(message.kind)
    if urgency:
        headers["Urgency"] = urgency
    ttl = TTL_S.get(message.kind, 3600)
    if message.expires_at is not None:
        ttl = max(60, min(ttl, int((message.expires_at - clock.now()).total_seconds())))
    try:
        response = webpush(
            subscription_info={"endpoint": subscription.endpoint,
                               "keys": {"p256dh": subscription.p256dh,
                                        "auth": subscription.auth}},
            data=json.dumps(message.payload, separators=(",", ":")),
            vapid_private_key=push_keys.vapid(),
            vapid_claims={"sub": push_keys.subject()},
            ttl=ttl, headers=headers, timeout=SEND_TIMEOUT_S)
    except WebPushException as exc:
        if exc.response is None:
            return None, None
        return exc.response.status_code, exc.response.headers.get("Retry-After")
    except requests.RequestException:
        return None, None
    return response.status_code, None


def _deliver_one(message_id: int, now: datetime, holder: str) -> str:
    """Claim, send and record one row; its outcome ("sent", "gone", "retry", "gave_up") or
    "" when another process had it."""
    if not claim(message_id, now, holder):
        return ""
    message = db.session.get(PushMessage, message_id)
    subscription = db.session.get(PushSubscription, message.subscription_id) \
        if message is not None else None
    if message is None or subscription is None:
        return ""
    expired = now - message.created_at >= GIVE_UP_AFTER + LEASE or (
        message.expires_at is not None and now >= message.expires_at)
    if expired:
        _finish(message_id, holder, gave_up_at=now)
        log.info("push expired message_id=%s", message_id)
        return "gave_up"
    status, retry_after = send(subscription, message)
    if status is not None and 200 <= status < 300:
        if _finish(message_id, holder, sent_at=now):
            db.session.execute(update(PushSubscription).where(
                PushSubscription.id == subscription.id).values(last_ok_at=now))
            db.session.commit()
        return "sent"
    if status in GONE:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription.id))
        db.session.commit()
        log.info("push subscription gone subscription_id=%s status=%s", subscription.id, status)
        return "gone"
    if status is None or status == 429 or status >= 500:
        give_up_at = message.created_at + GIVE_UP_AFTER
        if now >= give_up_at or message.withdrawn_at is not None:
            _finish(message_id, holder, gave_up_at=now)
            log.info("push given up message_id=%s attempts=%s status=%s", message_id,
                     message.attempts, status)
            return "gave_up"
        wait = max(backoff(message.attempts), _retry_after(retry_after))
        _finish(message_id, holder, next_attempt_at=min(now + wait, give_up_at))
        log.info("push retry message_id=%s attempts=%s status=%s", message_id,
                 message.attempts, status)
        return "retry"
    _finish(message_id, holder, gave_up_at=now)
    log.warning("push refused message_id=%s status=%s", message_id, status)
    return "gave_up"


def deliver_due(now: datetime | None = None, *, holder: str = HOLDER) -> dict[str, int]:
    """Send every due push this process wins the lease of; counts per outcome."""
    now = now or clock.now()
    ids = list(db.session.scalars(select(PushMessage.id).where(_due(now))
                                  .order_by(PushMessage.id).limit(BATCH)))
    db.session.commit()
    counts: dict[str, int] = {}
    for message_id in ids:
        try:
            outcome = _deliver_one(message_id, now, holder)
        except Exception:
            db.session.rollback()
            log.exception("push delivery failed message_id=%s", message_id)
            continue
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def run_job(now: datetime) -> int:
    """Job `push.deliver`: retries that came due, then old rows cleared; how many were sent."""
    sent = deliver_due(now).get("sent", 0)
    cutoff = now - KEEP
    db.session.execute(delete(PushMessage).where(or_(
        PushMessage.sent_at < cutoff, PushMessage.gave_up_at < cutoff,
        PushMessage.withdrawn_at < cutoff)))
    db.session.commit()
    return sent


# --- the sender thread of a serving process --------------------------------------------------

_wake: threading.Event | None = None


def _on_queued(_event: events.Event) -> None:
    # Runs after the commit, in the committing thread: only wakes the sender.
    if _wake is not None:
        _wake.set()


def start_sender(app: Flask, poll_s: float = POLL_S) -> threading.Thread:
    """Start this process's sender: a daemon thread that sends as soon as a push is queued
    here (and every poll_s seconds anyway). Reads the VAPID key first, so a bad key or subject
    stops the process at start, not at the first push."""
    global _wake
    with app.app_context():
        push_keys.private_key(app)
        push_keys.subject(app)
    wake = threading.Event()
    stop = threading.Event()
    _wake = wake

    def loop() -> None:
        while not stop.is_set():
            wake.wait(poll_s)
            wake.clear()
            if stop.is_set():
                break
            try:
                with app.app_context():
                    try:
                        deliver_due()
                    finally:
                        db.session.remove()
            except Exception:  # the thread is the process's only sender: it must go on
                log.exception("push sender round failed")

    thread = threading.Thread(target=loop, name="forum-push", daemon=True)

    def halt() -> None:
        global _wake
        stop.set()
        wake.set()
        if _wake is wake:
            _wake = None

    thread.stop = halt  # type: ignore[attr-defined]
    thread.start()
    log.info("push sender started")
    return thread


def register() -> None:
    """The retry job, the sender's wake-up, and the devices in export and deletion."""
    jobs.register("push.deliver", 30, run_job)
    events.subscribe(push_outbox.QUEUED, _on_queued)
    push_subscriptions.register_privacy()
