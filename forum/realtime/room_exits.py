"""Taking one member's connections out of a room on every server process.

A facilitator's removal is handled by the process the facilitator is connected to, and the
member may be connected to another one, where python-socketio's rooms are that process's own.
With a message queue, a reserved event goes through the queue to the member's own audience,
and each process's client manager (QueueManager) takes that member's connections there out of
the room instead of delivering the event. Without a queue every connection is in this process.

The queue publishes each event once: a process whose listener is reconnecting at that moment
misses it, and a join racing the removal can enter the room just after the exit ran. sweep(),
run by every process's scheduler, takes out whoever this process still holds in a room they
were removed from, so such a connection stops hearing the room within a tick.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

import redis
import socketio as python_socketio

from ..extensions import socketio
from ..services import presence
from ..services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from . import catch_up
from .chat import NAMESPACE, emit_presence

log = logging.getLogger("forum.realtime")
# Never delivered by this release; a process still on an older one passes it to the
# member's own connections, where chat.js ignores it (it carries only the room's slug).
EXIT_EVENT = "forum.room_exit"


def take_out(user_id: int, slug: str) -> None:
    """Every connection of this member, on every process, leaves the room and its host room;
    each process that held one tells the room the new presence count."""
    manager = socketio.server.manager
    payload = {"room": slug}
    audience = chat.user_audience(user_id)
    if isinstance(manager, QueueManager):
        manager.emit(EXIT_EVENT, payload, namespace=NAMESPACE, room=audience)
    else:
        _take_out_here(audience, payload)


def _take_out_here(user_audience: Any, payload: Any) -> list[str]:
    """This process's connections of one member leave the room; returns those that were in."""
    if not isinstance(user_audience, str) or not isinstance(payload, dict):
        return []
    slug = payload.get("room")
    if not isinstance(slug, str):
        return []
    manager = socketio.server.manager
    audience = chat.slug_audience(slug)
    sids = [sid for sid, _eio in manager.get_participants(NAMESPACE, user_audience)
            if audience in manager.get_rooms(sid, NAMESPACE)]
    # Out of the rooms first, which needs nothing but this process: the count below lives
    # in Redis when there is one, and an outage there must not keep anyone in the room.
    for sid in sids:
        for name in (audience, room_controls.hosts_slug_audience(slug)):
            socketio.server.leave_room(sid, name, namespace=NAMESPACE)
    if not sids:
        return []
    try:
        for sid in sids:
            presence.leave(audience, sid)
        count = presence.count(audience)
    except Exception:  # the count heals as presence entries expire (presence.TTL_S)
        log.exception("presence after a room exit failed")
        return sids
    emit_presence(slug, audience, count)
    return sids


def sweep(now: datetime | None = None) -> int:
    """Take this process's connections out of rooms their member was removed from, and tell
    those connections; returns how many members were taken out."""
    manager = socketio.server.manager
    # A copy: connections come and go on other threads while this runs. Each connection is
    # also alone in a room named by its own sid, which is skipped.
    audiences = [(name, list(members))
                 for name, members in manager.rooms.get(NAMESPACE, {}).copy().items()
                 if isinstance(name, str) and name not in members]
    user_of: dict[str, int] = {}
    for name, sids in audiences:
        user_id = chat.user_of(name)
        if user_id is not None:
            user_of.update(dict.fromkeys(sids, user_id))
    present: dict[str, set[int]] = {}
    for name, sids in audiences:
        slug = chat.slug_of(name)
        users = {user_of[sid] for sid in sids if sid in user_of} if slug is not None else None
        if users:
            present[slug] = users
    taken = 0
    for room, user_id in room_entry.removed_among(present):
        audience = chat.user_audience(user_id)
        try:
            taken_out = _take_out_here(audience, {"room": room.slug})
            if not taken_out:
                continue  # gone meanwhile
            # The exit's own notice was most likely lost with it.
            for sid in taken_out:
                socketio.emit("removed_from_room", {"room": room.slug}, to=sid,
                              namespace=NAMESPACE)
        except Exception:  # one member's exit must not keep the others in their rooms
            log.exception("late room exit failed room_id=%s user_id=%s", room.id, user_id)
            continue
        taken += 1
        log.warning("room exit caught late room_id=%s user_id=%s", room.id, user_id)
    return taken


class QueueManager(python_socketio.RedisManager):
    """Flask-SocketIO's Redis manager (same channel), which acts on EXIT_EVENT itself and
    rides out a Redis outage (catch_up.py):

    - every emit is still handed to this process's connections (the base class does that
      before it publishes), each `message` id once;
    - a publish waits at most PUBLISH_TIMEOUT_S for a stalled Redis;
    - the listener has a subscription of its own (the base class shares one that the
      publishing threads replace when they reconnect), pings it every PING_S and takes
      silence past SILENCE_S for a lost connection, so a half-open socket cannot leave it deaf;
    - it tries Redis again every LISTEN_RETRY_S instead of backing off to a minute;
    - each change of state is one log line.
    """

    PUBLISH_TIMEOUT_S = 2.0
    LISTEN_RETRY_S = 1.0
    PING_S = 5.0
    SILENCE_S = 12.0

    def __init__(self, url: str, channel: str = "socketio", **kwargs: Any) -> None:
        options = {"socket_timeout": self.PUBLISH_TIMEOUT_S,
                   "socket_connect_timeout": self.PUBLISH_TIMEOUT_S}
        super().__init__(url, channel=channel, redis_options=options, **kwargs)
        self._connect_lock = threading.Lock()
        self._publish_failing = False
        self._listen_failing = False

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") == EXIT_EVENT and message.get("namespace") == NAMESPACE:
            data = message.get("data")
            try:
                _take_out_here(message.get("room"), data[0] if isinstance(data, list) else data)
            except Exception:  # one failed exit must not stop the queue's listener
                log.exception("room exit failed")
            return
        data = message.get("data")
        if not catch_up.claim(message.get("event"), data[0] if isinstance(data, list) and data
                              else data, message.get("namespace"), message.get("room")):
            return  # these connections have this message already
        super()._handle_emit(message)

    def _publish(self, data: Any) -> Any:
        payload = self.json.dumps(data)  # a bug here is not an outage: let it raise
        # Two attempts, as the base class makes: a connection broken by a Redis restart fails
        # once and the fresh one then succeeds.
        for attempt in (1, 2):
            try:
                result = self._publishing_client().publish(self.channel, payload)
            except (redis.RedisError, OSError) as exc:
                self.connected = False
                if attempt == 2:
                    with self._connect_lock:
                        first = not self._publish_failing
                        self._publish_failing = True
                    if first:
                        log.warning("message queue: publish failed (%s); the other processes "
                                    "read what this one stores from the database",
                                    type(exc).__name__)
                    catch_up.publish_failed()
                continue
            self._publishing_again()
            return result
        return None

    def _publishing_client(self) -> redis.Redis:
        with self._connect_lock:
            if not self.connected:
                self.redis = redis.Redis.from_url(self.redis_url, **self.redis_options)
                self.connected = True
            return self.redis

    def _publishing_again(self) -> None:
        with self._connect_lock:
            back = self._publish_failing
            self._publish_failing = False
        if back:
            log.warning("message queue: publishing again")
        catch_up.publish_ok()

    def probe(self) -> None:
        """Ask Redis whether publishing would work again, for when nothing was published
        since the last failure (catch_up.py's worker asks while publishing is down)."""
        try:
            self._publishing_client().ping()
        except (redis.RedisError, OSError):
            self.connected = False
            return
        self._publishing_again()

    def _listen(self):
        channel = self.channel.encode("utf-8")
        for message in self._subscribed_messages():
            if (message.get("type") == "message" and message.get("channel") == channel
                    and "data" in message):
                yield message["data"]

    def _subscribed_messages(self):
        while True:
            pubsub = None
            try:
                client = redis.Redis.from_url(
                    self.redis_url, socket_connect_timeout=self.PUBLISH_TIMEOUT_S,
                    socket_keepalive=True)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                if self._listen_failing:
                    self._listen_failing = False
                    log.warning("message queue: subscribed again")
                catch_up.listen_ok()
                heard = pinged = time.monotonic()
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    now = time.monotonic()
                    if message is not None:
                        heard = now
                        yield message
                    elif now - heard > self.SILENCE_S:
                        raise redis.ConnectionError("no answer to pings")
                    if now - pinged >= self.PING_S:
                        pubsub.ping()
                        pinged = now
            except (redis.RedisError, OSError) as exc:
                if not self._listen_failing:
                    self._listen_failing = True
                    log.warning("message queue: subscription lost (%s); retrying every %.0f s",
                                type(exc).__name__, self.LISTEN_RETRY_S)
                catch_up.listen_failed()
                time.sleep(self.LISTEN_RETRY_S)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except (redis.RedisError, OSError):  # its socket may be dead already
                        pass
