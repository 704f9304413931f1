"""Chat that keeps flowing between server processes while Redis is away.

python-socketio's queue manager hands every emit to this process's own connections before it
publishes it, so members on the process that stored a message hear it at once, Redis or not.
What the other processes miss while the queue is away is caught up from the database, not
from the queue:

- From the first failed publish or lost subscription until GRACE_S after both work again, a
  worker reads every POLL_S what this process's rooms heard since a little before its last
  read (MARGIN: a commit may land late), leaving out the ids it has delivered, and hands each
  message to its own connections. A message it delivered that is no longer published (removed
  meanwhile) is taken back with `message_removed`.
- When this process's publishing works again, it publishes once more what every room heard
  since the outage began: a process whose own subscription never broke had no reason to read
  the database, and would otherwise never hear what this one stored meanwhile.
- Each message id reaches this process's connections once, whichever way it comes (queue,
  read, republish, a resend's second broadcast); the ids are remembered for KEEP_S.
- When the queue is back, presence entries are written back (a restarted Redis is empty) and
  each room is told its count again.

An approval of an older message made during the outage on another process reaches this
process's members at their next join.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from ..extensions import db, socketio
from ..services import clock, presence
from ..services.chat import messages as chat

log = logging.getLogger("forum.realtime")
NAMESPACE = "/chat"
POLL_S = 2.0
GRACE_S = 10.0
# Reads overlap by this much: a message stored a moment before a read may commit after it,
# and the first read reaches back before the first failure for what the dying queue dropped.
MARGIN = timedelta(seconds=15)
KEEP_S = 600.0
_KEEP_MAX = 2000


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.app: Flask | None = None
        self.delivered: dict[str, dict[int, float]] = {}  # audience -> id -> monotonic time
        self.since: datetime | None = None  # a little before the first failure
        self.publish_down = False
        self.listen_down = False
        self.republish = False  # publishing failed during this outage: publish again after
        self.back_at: float | None = None  # monotonic time both publish and listen work
        self.worker: threading.Thread | None = None


_state = _State()


def init_app(app: Flask) -> None:
    """The app whose database the catch-up reads (one per process outside tests); what an
    earlier app delivered is forgotten with it."""
    with _state.lock:
        _state.app = app
        _state.delivered.clear()


def _record(audience: str, message_id: int, now: float) -> bool:
    """Under the lock: note a delivery; False when this id went to the audience already."""
    seen = _state.delivered.setdefault(audience, {})
    if message_id in seen:
        return False
    seen[message_id] = now
    if len(seen) > _KEEP_MAX:
        for old in [m for m, at in seen.items() if now - at > KEEP_S]:
            del seen[old]
        while len(seen) > _KEEP_MAX:  # a busy room: the oldest ids go first
            del seen[next(iter(seen))]
    return True


def claim(event: str, data: Any, namespace: str | None, room: Any) -> bool:
    """Note a `message` about to reach this process's connections (every emit passes here);
    False when its id already reached them."""
    if namespace != NAMESPACE or not isinstance(data, dict):
        return True
    message_id = data.get("id")
    if not isinstance(message_id, int):
        return True
    audiences = [a for a in (room if isinstance(room, list) else [room])
                 if isinstance(a, str) and chat.slug_of(a) is not None]
    now = time.monotonic()
    with _state.lock:
        if event == "message_removed":
            # A moderator may publish it again later: that must not look like a repeat.
            for audience in audiences:
                _state.delivered.get(audience, {}).pop(message_id, None)
            return True
        if event != "message":
            return True
        # A repeat is dropped in any case: a resend's second broadcast, or a republish after
        # an outage, reaches only connections that never had it.
        fresh = [_record(audience, message_id, now) for audience in audiences]
        return not audiences or any(fresh)


def publish_failed() -> None:
    """A publish failed: this process's members heard it, the others must read it."""
    with _state.lock:
        _state.publish_down = True
        _state.republish = True
        _begin()


def publish_ok() -> None:
    """A publish went through."""
    with _state.lock:
        if _state.publish_down:
            _state.publish_down = False
            _maybe_back()


def listen_failed() -> None:
    """The subscription broke: what the others publish does not reach this process."""
    with _state.lock:
        _state.listen_down = True
        _begin()


def listen_ok() -> None:
    """Subscribed again."""
    with _state.lock:
        if _state.listen_down:
            _state.listen_down = False
            _maybe_back()


def catching_up() -> bool:
    """True from a queue failure until the catch-up after it has ended."""
    return _state.since is not None


def _begin() -> None:
    """Under the lock: an outage goes on; start the worker if none runs."""
    _state.back_at = None
    if _state.since is not None or _state.app is None:
        return
    worker = threading.Thread(target=_run, name="forum-catch-up", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # no thread to be had: the next failure tries again
        log.error("chat catch-up could not start")
        return
    _state.since = clock.now() - MARGIN
    _state.worker = worker
    log.warning("message queue unreachable: catching this process's rooms up from the "
                "database every %.0f s", POLL_S)


def _maybe_back() -> None:
    if (not _state.publish_down and not _state.listen_down and _state.since is not None
            and _state.back_at is None):
        _state.back_at = time.monotonic()


def _run() -> None:
    window_from = None
    failing = False
    restored = False
    while True:
        time.sleep(POLL_S)
        with _state.lock:
            publish_down = _state.publish_down
        probe = getattr(socketio.server.manager, "probe", None)
        if publish_down and probe is not None:
            probe()  # nothing may be published for a while: ask Redis directly
        with _state.lock:
            since, back_at = _state.since, _state.back_at
            republish = _state.republish and not _state.publish_down
        if since is None:
            return
        started = clock.now()
        try:
            if back_at is not None and not restored:
                restored = _restore_presence()
            if republish:
                _republish(since)
                with _state.lock:
                    if not _state.publish_down:  # else it failed again: once more later
                        _state.republish = False
            catch_up(window_from or since)
            window_from = started - MARGIN
            if failing:
                failing = False
                log.warning("chat catch-up reads the database again")
        except Exception as exc:  # the database may be away too: try again next round
            if not failing:
                failing = True
                log.warning("chat catch-up failed (%s); trying again every %.0f s",
                            type(exc).__name__, POLL_S)
        if back_at is None:
            restored = False
        elif time.monotonic() - back_at >= GRACE_S and not failing:
            finished = False
            with _state.lock:
                if _state.back_at is not None and not _state.republish:
                    _state.since = None
                    _state.back_at = None
                    _state.worker = None
                    finished = True
                    log.warning("message queue back: catch-up finished")
            if finished:
                # Each process told its rooms a count as soon as it wrote its own entries
                # back, some before the others had: those counts can arrive last. Every
                # process has written back by now, so the rooms hear the whole count again.
                try:
                    _restore_presence()
                except Exception:  # noqa: BLE001 - the next join or leave tells the count
                    log.warning("presence count after catch-up not sent")
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


def catch_up(since: datetime) -> int:
    """Hand this process's connections what their rooms heard since `since` that they have
    not been given, and take back what they were given that is no longer published; returns
    how many messages went out."""
    app = _state.app
    if app is None:
        return 0
    rooms = _local_rooms()
    if not rooms:
        return 0
    with _state.lock:
        given = {a: list(_state.delivered.get(a, ())) for a in rooms.values()}
    skip = frozenset(i for ids in given.values() for i in ids)
    with app.app_context():
        try:
            heard = chat.published_since(since, list(rooms), skip=skip)
            taken_back = chat.unpublished_among(sorted(skip))
        finally:
            db.session.remove()
    manager = socketio.server.manager
    sent: list[int] = []
    for slug, payloads in heard.items():
        audience = rooms[slug]
        for payload in payloads:
            with _state.lock:
                fresh = _record(audience, payload["id"], time.monotonic())
            if fresh:
                # This process's connections only: the others catch up on their own.
                manager.emit("message", payload, namespace=NAMESPACE, room=audience,
                             ignore_queue=True)
                sent.append(payload["id"])
    for message_id, slug in taken_back:
        audience = rooms.get(slug)
        with _state.lock:
            had = audience is not None and _state.delivered.get(audience, {}).pop(
                message_id, None) is not None
        if had:
            manager.emit("message_removed", {"id": message_id, "room": slug},
                         namespace=NAMESPACE, room=audience, ignore_queue=True)
    if sent:
        log.info("chat catch-up message_ids=%s", sent)
    return len(sent)


def _republish(since: datetime) -> None:
    """Publish again what every room heard since the outage began, for the processes whose
    subscription held while this one's publishing failed (they drop what they have)."""
    app = _state.app
    if app is None:
        return
    with app.app_context():
        try:
            heard = chat.published_since(since)
        finally:
            db.session.remove()
    for slug, payloads in heard.items():
        for payload in payloads:
            socketio.emit("message", payload, to=chat.slug_audience(slug), namespace=NAMESPACE)
    log.info("chat catch-up republished rooms=%d", len(heard))


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
