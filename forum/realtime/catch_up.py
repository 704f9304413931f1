"""Chat that keeps flowing between server processes while Redis is away.

python-socketio's queue manager hands every emit to this process's own connections before it
publishes it, so members on the process that stored a message hear it at once, Redis or not.
What the other processes miss while Redis is away is caught up from the database, not from the
queue: from the first failed publish or lost subscription, and for GRACE_S after the listener
is subscribed again, each process reads every POLL_S the messages its rooms heard since a
little before the outage began and hands each one it has not delivered yet to its own
connections. The ids it delivered are remembered for a while, so nobody gets a message twice.
When the queue is back, presence entries are written back (a restarted Redis is empty) and
each room is told its count again.

A removal or an approval made during the outage on another process reaches this process's
members at their next join or sync, not at once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from flask import Flask

from ..extensions import db, socketio
from ..services import chat, clock, presence

log = logging.getLogger("forum.realtime")
NAMESPACE = "/chat"
POLL_S = 2.0
GRACE_S = 10.0
# Messages stored just before the first failure may have been published to a queue that was
# already dying: the window starts this long before it.
MARGIN = timedelta(seconds=15)
KEEP_S = 600.0
_KEEP_MAX = 2000


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.app: Flask | None = None
        self.delivered: dict[str, dict[int, float]] = {}
        self.since = None  # when the first failure of this outage was seen
        self.back_at: float | None = None  # monotonic time the listener subscribed again
        self.worker: threading.Thread | None = None


_state = _State()


def init_app(app: Flask) -> None:
    """The app whose database the catch-up reads (one per process outside tests); what an
    earlier app delivered is forgotten with it."""
    with _state.lock:
        _state.app = app
        _state.delivered.clear()


def delivered(event: str, data: Any, namespace: str | None, room: Any) -> None:
    """Note a `message` this process handed to its connections (every emit passes here)."""
    if event != "message" or namespace != NAMESPACE or not isinstance(data, dict):
        return
    message_id = data.get("id")
    if not isinstance(message_id, int):
        return
    now = time.monotonic()
    audiences = room if isinstance(room, list) else [room]
    with _state.lock:
        for audience in audiences:
            if isinstance(audience, str) and chat.slug_of(audience) is not None:
                seen = _state.delivered.setdefault(audience, {})
                seen[message_id] = now
                if len(seen) > _KEEP_MAX:
                    _forget_old(seen, now)


def _forget_old(seen: dict[int, float], now: float) -> None:
    for message_id in [m for m, at in seen.items() if now - at > KEEP_S]:
        del seen[message_id]
    while len(seen) > _KEEP_MAX:  # a busy room: the oldest ids go first
        del seen[next(iter(seen))]


def queue_failed() -> None:
    """A publish or the subscription failed: start catching up, if not already."""
    with _state.lock:
        _state.back_at = None
        if _state.since is not None:
            return
        _state.since = clock.now() - MARGIN
        if _state.app is None:
            return
        log.warning("message queue unreachable: catching this process's rooms up from the "
                    "database every %.0f s", POLL_S)
        _state.worker = threading.Thread(target=_run, name="forum-catch-up", daemon=True)
        _state.worker.start()


def queue_back() -> None:
    """The listener is subscribed again: catch up a little longer, then stop."""
    with _state.lock:
        if _state.since is not None and _state.back_at is None:
            _state.back_at = time.monotonic()


def catching_up() -> bool:
    """True from a queue failure until the catch-up after it has ended."""
    return _state.since is not None


def _run() -> None:
    restored = False
    while True:
        time.sleep(POLL_S)
        with _state.lock:
            since, back_at = _state.since, _state.back_at
        if since is None:
            return
        try:
            if back_at is not None and not restored:
                restored = _restore_presence()
            catch_up(since)
        except Exception:  # the database may be away too: try again next round
            log.exception("chat catch-up failed")
        if back_at is not None and time.monotonic() - back_at >= GRACE_S:
            with _state.lock:
                if _state.back_at is not None:  # no new failure meanwhile
                    _state.since = None
                    _state.back_at = None
                    _state.worker = None
                    log.warning("message queue back: catch-up finished")
                    return


def _local_rooms() -> dict[str, str]:
    """slug -> audience for each chat room this process has a connection in."""
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {}).copy()
    found = {}
    for audience, members in rooms.items():
        slug = chat.slug_of(audience) if isinstance(audience, str) else None
        if slug is not None and members:
            found[slug] = audience
    return found


def catch_up(since) -> int:
    """Hand this process's connections what their rooms heard since `since` and they have not
    been given; returns how many messages went out."""
    app = _state.app
    if app is None:
        return 0
    rooms = _local_rooms()
    if not rooms:
        return 0
    with app.app_context():
        try:
            heard = chat.published_since(list(rooms), since)
        finally:
            db.session.remove()
    sent: list[int] = []
    manager = socketio.server.manager
    for slug, payloads in heard.items():
        audience = rooms[slug]
        with _state.lock:
            seen = set(_state.delivered.get(audience, ()))
        for payload in payloads:
            if payload["id"] in seen:
                continue
            # This process's connections only: the others catch up on their own.
            manager.emit("message", payload, namespace=NAMESPACE, room=audience,
                         ignore_queue=True)
            delivered("message", payload, NAMESPACE, audience)
            sent.append(payload["id"])
    if sent:
        log.info("chat catch-up message_ids=%s", sent)
    return len(sent)


def _restore_presence() -> bool:
    """Write this process's presence back and tell each of its rooms the count."""
    rooms = presence.restore()
    if not rooms and presence.degraded():
        return False
    counts = presence.counts(rooms) if rooms else {}
    for audience, count in counts.items():
        slug = chat.slug_of(audience)
        if slug is not None:
            socketio.emit("presence", {"room": slug, "count": max(0, count)}, to=audience,
                          namespace=NAMESPACE)
    return True
