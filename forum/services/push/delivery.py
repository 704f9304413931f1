"""Sending the push outbox (push_outbox.py) to the browsers' push services (RFC 8030, payloads
encrypted per RFC 8291, signed per RFC 8292) with pywebpush.

Each serving process runs a sender thread that a committed `push.queued` event wakes, so a push
leaves within a second or two of its event; it also looks every POLL_S seconds, which picks up
retries that came due and pushes queued by a process without a sender (a CLI command). A round
sends with up to PUSH_SEND_WORKERS threads, each taking the most pressing due row next
("talk now" and urgent items before meeting reminders, replies and tests, then oldest first),
so one slow push service holds one thread, not the alert behind it. The job `push.deliver`
only deletes old rows.

Several processes may look at the same row: each claims it first with a conditional UPDATE (due,
unsent, and no live lease), which one claimant wins, under a token of its own; a holder that
dies mid-send loses its lease after LEASE, and its late outcome no longer matches the row.

Answers: 2xx sent; 404 or 410 (the browser unsubscribed) remove the subscription; 403 gives up
on that push and keeps the subscription (Apple refuses a signature whose subject it does not
accept, FCM and Mozilla a token their clock finds expired: the forum's problem, not the
device's), unless the push service says the subscription was made with another key (the key
changed); 429, 5xx and no answer retry with exponential backoff, for up to 24 hours; any other
answer gives up. Logs name the row and subscription ids, never an endpoint.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import Flask, current_app
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, case, delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import PushMessage, PushSubscription
from ...models.push import PUSH_MEETING, PUSH_REPLY, PUSH_SUPPORT, PUSH_TEST, PUSH_URGENT
from .. import clock, events, jobs, transaction
from . import keys as push_keys, subscriptions as push_subscriptions

log = logging.getLogger("forum.push")

LEASE = timedelta(seconds=60)
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SEND_TIMEOUT_S = 10
# Rows one round sends at most before the sender looks again.
BATCH = 200
# Sending threads per round (PUSH_SEND_WORKERS).
WORKERS = 4
# Sent and abandoned rows are kept this long (for the operator's counts), then deleted by the
# job, which runs this often.
KEEP = timedelta(days=2)
CLEAN_EVERY_S = 600
# How long the push service keeps a push for a device that is offline, per kind.
TTL_S = {PUSH_SUPPORT: 3600, PUSH_URGENT: 3600, PUSH_MEETING: 900, PUSH_REPLY: 86400,
         PUSH_TEST: 300}
URGENCY = {PUSH_SUPPORT: "high", PUSH_URGENT: "high", PUSH_MEETING: "high"}
# Someone waits on the other end of these: they go before every other kind.
FIRST_KINDS = (PUSH_SUPPORT, PUSH_URGENT)
GONE = (404, 410)
# What the push services write in a 403 when the subscription was made with another key
# (Apple and FCM's VAPID key hash, FCM's older sender id, FCM's sentence): then it is gone.
KEY_CHANGED = ("VapidPkHashMismatch", "MismatchSenderId",
               "do not correspond to the credentials used to create the subscription")
# The sender thread looks again this often even unwoken (a push queued by a process that has
# no sender, such as a CLI command, and retries that came due).
POLL_S = 15.0


def _at(now: datetime | None) -> datetime:
    """The time a claim is made at: the clock read at the claim, since a round of sends lasts
    long enough for a `now` read at its start to be stale (and a lease from it already over).
    A caller's later `now` (a test stepping through the hours) wins."""
    current = clock.now()
    return current if now is None or now < current else now


def _due(at: datetime):
    free = or_(PushMessage.lease_until.is_(None), PushMessage.lease_until < at)
    # An original that was withdrawn before it went out is never sent.
    live = or_(PushMessage.withdraw.is_(True), PushMessage.withdrawn_at.is_(None))
    # A withdrawal waits while its original is being sent: sent alongside, it could arrive
    # first, and the original would then stay on the screen.
    original = aliased(PushMessage)
    original_in_flight = exists().where(
        original.subscription_id == PushMessage.subscription_id, original.tag == PushMessage.tag,
        original.withdraw.is_(False), original.sent_at.is_(None),
        original.gave_up_at.is_(None), original.lease_until >= at)
    return and_(PushMessage.sent_at.is_(None), PushMessage.gave_up_at.is_(None),
                PushMessage.next_attempt_at <= at, free, live,
                or_(PushMessage.withdraw.is_(False), ~original_in_flight))


def _most_pressing():
    return (case((PushMessage.kind.in_(FIRST_KINDS), 0), else_=1), PushMessage.id)


@dataclass(frozen=True)
class Claim:
    """One claimant's lease of one row: its own token, and the time it was made at."""

    message_id: int
    token: str
    at: datetime


def claim(message_id: int, now: datetime | None = None) -> Claim | None:
    """Lease one due row (committed); a Claim for exactly one claimant, else None. Each claim
    has its own token, so two claims of one process (the sender's threads) are told apart."""
    at = _at(now)
    token = f"{jobs.process_holder()}/{uuid.uuid4().hex}"
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == message_id, _due(at))
        .values(holder=token, lease_until=at + LEASE, attempts=PushMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    transaction.commit()
    return Claim(message_id, token, at) if result.rowcount == 1 else None


def _finish(held: Claim, **values) -> bool:
    """Write the outcome if this claim still holds the row (committed)."""
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == held.message_id,
                                  PushMessage.holder == held.token)
        .values(holder=None, lease_until=None, **values)
        .execution_options(synchronize_session=False))
    transaction.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... up to an hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _retry_after(value: str | None) -> timedelta:
    try:
        return timedelta(seconds=max(0, int(value or 0)))
    except ValueError:  # an HTTP date: the backoff alone
        return timedelta(0)


@dataclass(frozen=True)
class Answer:
    """What came of one POST: the status (None: no answer, or not sent at all)."""

    status: int | None
    retry_after: str | None = None
    key_changed: bool = False  # a 403 saying the subscription was made with another key
    not_allowed: bool = False  # the endpoint is no longer one the forum may POST to


class _NoRedirects(requests.Session):
    # A push service never redirects; following one would POST to a host nobody checked.
    def post(self, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().post(url, *args, **kwargs)


def send(subscription: PushSubscription, message: PushMessage) -> Answer:
    """POST one push, once its endpoint passed the allowlist again."""
    if not push_subscriptions.endpoint_allowed(subscription.endpoint):
        return Answer(None, not_allowed=True)
    headers = {"Topic": message.tag}
    urgency = URGENCY.get(message.kind)
    if urgency:
        headers["Urgency"] = urgency
    ttl = TTL_S.get(message.kind, 3600)
    if message.expires_at is not None:
        ttl = max(60, min(ttl, int((message.expires_at - clock.now()).total_seconds())))
    try:
        with _NoRedirects() as session:
            response = webpush(
                subscription_info={"endpoint": subscription.endpoint,
                                   "keys": {"p256dh": subscription.p256dh,
                                            "auth": subscription.auth}},
                data=json.dumps(message.payload, separators=(",", ":")),
                vapid_private_key=push_keys.vapid(),
                vapid_claims={"sub": push_keys.subject()},
                ttl=ttl, headers=headers, timeout=SEND_TIMEOUT_S, requests_session=session)
    except WebPushException as exc:
        if exc.response is None:
            return Answer(None)
        status = exc.response.status_code
        body = exc.response.text[:4096] if status == 403 else ""
        return Answer(status, exc.response.headers.get("Retry-After"),
                      key_changed=any(marker in body for marker in KEY_CHANGED))
    except requests.RequestException:
        return Answer(None)
    return Answer(response.status_code)


def _remove_subscription(subscription_id: int, status: int | None) -> str:
    db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
    transaction.commit()
    log.info("push subscription gone subscription_id=%s status=%s", subscription_id, status)
    return "gone"


def _deliver_one(message_id: int, now: datetime | None = None) -> str:
    """Claim, send and record one row; its outcome ("sent", "gone", "retry", "gave_up") or
    "" when another claimant had it."""
    held = claim(message_id, now)
    if held is None:
        return ""
    at = held.at
    message = db.session.get(PushMessage, message_id)
    subscription = db.session.get(PushSubscription, message.subscription_id) \
        if message is not None else None
    if message is None or subscription is None:
        return ""
    expired = at - message.created_at >= GIVE_UP_AFTER + LEASE or (
        message.expires_at is not None and at >= message.expires_at)
    if expired:
        _finish(held, gave_up_at=at)
        log.info("push expired message_id=%s", message_id)
        return "gave_up"
    answer = send(subscription, message)
    status = answer.status
    if answer.not_allowed:
        _finish(held, gave_up_at=at)
        log.warning("push endpoint not allowed message_id=%s subscription_id=%s", message_id,
                    subscription.id)
        return "gave_up"
    if status is not None and 200 <= status < 300:
        if _finish(held, sent_at=at):
            db.session.execute(update(PushSubscription).where(
                PushSubscription.id == subscription.id).values(last_ok_at=at))
            transaction.commit()
        return "sent"
    if status in GONE or (status == 403 and answer.key_changed):
        return _remove_subscription(subscription.id, status)
    if status is None or status == 429 or status >= 500:
        give_up_at = message.created_at + GIVE_UP_AFTER
        if at >= give_up_at or message.withdrawn_at is not None:
            _finish(held, gave_up_at=at)
            log.info("push given up message_id=%s attempts=%s status=%s", message_id,
                     message.attempts, status)
            return "gave_up"
        wait = max(backoff(message.attempts), _retry_after(answer.retry_after))
        _finish(held, next_attempt_at=min(at + wait, give_up_at))
        log.info("push retry message_id=%s attempts=%s status=%s", message_id,
                 message.attempts, status)
        return "retry"
    # 403 without a key change (the signature or its subject refused), or another 4xx: this
    # push is given up, the device keeps its subscription.
    _finish(held, gave_up_at=at)
    log.warning("push refused message_id=%s subscription_id=%s status=%s", message_id,
                subscription.id, status)
    return "gave_up"


class _Round:
    """One round of sending: its threads take the most pressing due row not taken yet, looking
    again each time, so a "talk now" push queued mid-round goes next."""

    def __init__(self, now: datetime | None) -> None:
        self.now = now
        self.taken: set[int] = set()
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def candidates(self, limit: int) -> list[int]:
        query = select(PushMessage.id).where(_due(_at(self.now)))
        if self.taken:
            query = query.where(PushMessage.id.notin_(self.taken))
        ids = list(db.session.scalars(query.order_by(*_most_pressing()).limit(limit)))
        transaction.commit()
        return ids

    def take(self) -> int | None:
        with self.lock:
            if len(self.taken) >= BATCH:
                return None
            found = self.candidates(1)
            if not found:
                return None
            self.taken.add(found[0])
            return found[0]

    def count(self, outcome: str) -> None:
        if outcome:
            with self.lock:
                self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def work(self) -> None:
        """Send until nothing is due or the round's BATCH is taken (in this thread's session)."""
        while (message_id := self.take()) is not None:
            try:
                outcome = _deliver_one(message_id, self.now)
            except Exception:
                db.session.rollback()
                log.exception("push delivery failed message_id=%s", message_id)
                continue
            self.count(outcome)


def _work_in_context(app: Flask, round_: _Round) -> None:
    with app.app_context():
        try:
            round_.work()
        except Exception:  # a failed query: the round's other threads go on
            log.exception("push sending thread failed")
        finally:
            db.session.remove()


def deliver_due(now: datetime | None = None, *, workers: int | None = None) -> dict[str, int]:
    """Send every due push this process wins the claim of, most pressing first, with up to
    `workers` threads (PUSH_SEND_WORKERS), each in its own session; counts per outcome."""
    app = current_app._get_current_object()
    workers = workers or int(app.config.get("PUSH_SEND_WORKERS", WORKERS))
    transaction.commit()  # the caller's own work is not held open while others write
    round_ = _Round(now)
    threads = min(max(1, workers), len(round_.candidates(workers)))
    if threads == 0:
        return {}
    if threads == 1:
        round_.work()
    else:
        with ThreadPoolExecutor(max_workers=threads,
                                thread_name_prefix="forum-push-send") as pool:
            for _ in range(threads):
                pool.submit(_work_in_context, app, round_)
    return round_.counts


def run_job(now: datetime) -> int:
    """Job `push.deliver`: sent, abandoned and withdrawn rows older than KEEP deleted (the
    sender threads do the sending); how many went."""
    cutoff = now - KEEP
    result = db.session.execute(delete(PushMessage).where(or_(
        PushMessage.sent_at < cutoff, PushMessage.gave_up_at < cutoff,
        PushMessage.withdrawn_at < cutoff)))
    transaction.commit()
    return result.rowcount or 0


# --- the sender thread of a serving process --------------------------------------------------

_wake: threading.Event | None = None


def on_queued(_event: events.Event) -> None:
    # Runs after the commit, in the committing thread: only wakes the sender.
    if _wake is not None:
        _wake.set()


def start_sender(app: Flask, poll_s: float = POLL_S) -> threading.Thread:
    """Start this process's sender: a daemon thread that sends as soon as a push is queued
    here (and every poll_s seconds anyway). Reads the VAPID key first, so a bad key or subject
    stops the process at start, not at the first push (and a placeholder subject is named in
    the log)."""
    global _wake
    with app.app_context():
        push_keys.private_key(app)
        push_keys.warn_if_placeholder_subject(app)
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
                        counts = deliver_due()
                    finally:
                        db.session.remove()
                if sum(counts.values()) >= BATCH:
                    wake.set()  # more may be due: no pause before the next round
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
