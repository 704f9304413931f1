"""Who is in a room right now, counted across every server process.

Without Redis a process counts its own connections. With FORUM_REDIS_URL each connection is an
entry in the room's sorted set, scored by when it expires; every process refreshes its own
entries (heartbeat) and a process that dies stops refreshing, so its people drop out of the count
within TTL_S. Entries carry a connection id only, never an account or an address.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import Protocol

import redis

log = logging.getLogger("forum.presence")
TTL_S = 45
HEARTBEAT_S = 15


class Backend(Protocol):
    """Where presence lives: add, discard, count."""

    def add(self, room: str, conn: str) -> int: ...
    def discard(self, room: str, conn: str) -> int: ...
    def count(self, room: str) -> int: ...
    def count_many(self, rooms: list[str]) -> dict[str, int]: ...
    def heartbeat(self) -> None: ...
    def clear(self, room: str) -> None: ...


class MemoryPresence:
    """One process's connections per room."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def add(self, room: str, conn: str) -> int:
        """Count a connection in; returns the room's count."""
        with self._lock:
            self._rooms[room].add(conn)
            return len(self._rooms[room])

    def discard(self, room: str, conn: str) -> int:
        """Count a connection out; returns the room's count."""
        with self._lock:
            self._rooms[room].discard(conn)
            return len(self._rooms[room])

    def count(self, room: str) -> int:
        """How many connections are in the room."""
        with self._lock:
            return len(self._rooms.get(room, ()))

    def count_many(self, rooms: list[str]) -> dict[str, int]:
        """How many connections are in each of these rooms."""
        with self._lock:
            return {room: len(self._rooms.get(room, ())) for room in rooms}

    def heartbeat(self) -> None:
        """Nothing expires in one process."""

    def clear(self, room: str) -> None:
        """Everyone is out of the room (it was closed)."""
        with self._lock:
            self._rooms.pop(room, None)


class RedisPresence:
    """Connections of every process, in one sorted set per room with expiring scores.

    While Redis does not answer, a room's count is this process's own connections (the best
    it knows), one log line says so, and on the first beat that reaches Redis again every
    entry of this process is written back: a restarted Redis keeps nothing."""

    PREFIX = "forum:presence:"

    def __init__(self, url: str, holder: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._holder = holder
        self._mine: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()
        self._degraded = False
        self._leaving = False  # forget_all ran: this process is stopping
        # Connections that left while Redis was away: their entries go at the write-back.
        self._gone: dict[str, set[str]] = defaultdict(set)

    @property
    def degraded(self) -> bool:
        """True while Redis was unreachable and this process's entries are not back yet."""
        return self._degraded

    def _key(self, room: str) -> str:
        return self.PREFIX + room

    def _member(self, conn: str) -> str:
        return f"{self._holder}/{conn}"

    def _count(self, pipe, room: str, now: float) -> None:
        pipe.zremrangebyscore(self._key(room), "-inf", now)
        pipe.zcard(self._key(room))

    def _local(self, room: str) -> int:
        with self._lock:
            return len(self._mine.get(room, ()))

    def _unreachable(self) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning("presence: Redis unreachable; counting this process's connections")

    def _ask(self, build, answer, room_for_fallback):
        """Run a pipeline; the local answer while Redis is away (or not yet written back)."""
        if self._degraded:
            return room_for_fallback()
        try:
            pipe = self._redis.pipeline()
            build(pipe)
            return answer(pipe.execute())
        except redis.RedisError:
            self._unreachable()
            return room_for_fallback()

    def add(self, room: str, conn: str) -> int:
        """Count a connection in across processes; returns the room's count."""
        now = time.time()
        with self._lock:
            leaving = self._leaving
            if not leaving:
                self._mine[room].add(conn)
        if leaving:
            # A join still running on a stopping process: its connection is about to close
            # and nothing here would take an entry out again before it expired.
            return self.count(room)

        def build(pipe):
            pipe.zadd(self._key(room), {self._member(conn): now + TTL_S})
            pipe.expire(self._key(room), TTL_S * 2)
            self._count(pipe, room, now)

        count = self._ask(build, lambda answers: int(answers[-1]), lambda: self._local(room))
        if self._leaving:
            # forget_all ran between the check above and the write: its removal came first.
            self.discard(room, conn)
        return count

    def discard(self, room: str, conn: str) -> int:
        """Count a connection out; returns the room's count."""
        with self._lock:
            self._mine[room].discard(conn)
            if self._degraded:
                self._gone[room].add(conn)

        def build(pipe):
            pipe.zrem(self._key(room), self._member(conn))
            self._count(pipe, room, time.time())

        return self._ask(build, lambda answers: int(answers[-1]), lambda: self._local(room))

    def count(self, room: str) -> int:
        """How many live connections are in the room, in every process."""
        return self._ask(lambda pipe: self._count(pipe, room, time.time()),
                         lambda answers: int(answers[-1]), lambda: self._local(room))

    def count_many(self, rooms: list[str]) -> dict[str, int]:
        """Each room's live connections, in every process, in one round trip."""
        if not rooms:
            return {}
        now = time.time()

        def build(pipe):
            for room in rooms:
                self._count(pipe, room, now)

        return self._ask(
            build, lambda answers: {room: int(answers[2 * i + 1]) for i, room in enumerate(rooms)},
            lambda: {room: self._local(room) for room in rooms})

    def close(self) -> None:
        """Let go of the connection to Redis."""
        self._redis.close()

    def clear(self, room: str) -> None:
        """Everyone, on every process, is out of the room (it was closed); heartbeats only
        refresh entries that still exist, so no process brings its old entries back."""
        with self._lock:
            self._mine.pop(room, None)
        try:
            self._redis.delete(self._key(room))
        except redis.RedisError:
            self._unreachable()  # the write-back leaves the room out: it is not in _mine

    def heartbeat(self) -> None:
        """Push this process's entries' expiry forward; after an outage, write them back."""
        if self._degraded:
            self.restore()
            return
        expires = time.time() + TTL_S
        with self._lock:
            mine = {room: set(conns) for room, conns in self._mine.items() if conns}
        if not mine:
            return
        pipe = self._redis.pipeline()
        for room, conns in mine.items():
            pipe.zadd(self._key(room), {self._member(c): expires for c in conns}, xx=True)
            pipe.expire(self._key(room), TTL_S * 2)
        try:
            pipe.execute()
        except redis.RedisError:
            self._unreachable()

    def forget_all(self) -> None:
        """This process is stopping: take every entry of its connections out at once, so a
        room counts its members right as they reconnect elsewhere (their disconnects may not
        run before the process exits)."""
        with self._lock:
            self._leaving = True
            mine = {room: set(conns) for room, conns in self._mine.items() if conns}
            self._mine.clear()
        if not mine:
            return
        pipe = self._redis.pipeline()
        for room, conns in mine.items():
            pipe.zrem(self._key(room), *(self._member(c) for c in conns))
        try:
            pipe.execute()
        except redis.RedisError:  # they expire within TTL_S
            self._unreachable()

    def restore(self) -> list[str]:
        """Write every entry of this process back (Redis may have restarted empty); returns
        the rooms this process has connections in, or [] while Redis is still away."""
        expires = time.time() + TTL_S
        with self._lock:
            mine = {room: set(conns) for room, conns in self._mine.items() if conns}
            # Left while Redis was away (and not back since): a Redis that kept its data still
            # counts them, and nothing would refresh or remove them before they expire.
            gone = {room: conns - mine.get(room, set()) for room, conns in self._gone.items()}
            self._gone.clear()
            # From this copy on, joins count in Redis again (an add counted only here while
            # the write-back ran would stay missing: heartbeats refresh, they do not add).
            was_degraded, self._degraded = self._degraded, False
        pipe = self._redis.pipeline()
        for room, conns in gone.items():
            if conns:
                pipe.zrem(self._key(room), *(self._member(c) for c in conns))
        for room, conns in mine.items():
            pipe.zadd(self._key(room), {self._member(c): expires for c in conns})
            pipe.expire(self._key(room), TTL_S * 2)
        try:
            pipe.execute()
            # A connection that left while the pipeline ran is written back for one TTL at
            # most; zadd without xx is what brings the others back.
        except redis.RedisError:
            with self._lock:
                for room, conns in gone.items():
                    self._gone[room] |= conns
            self._degraded = was_degraded
            self._unreachable()
            return []
        if was_degraded:
            log.warning("presence: Redis answers again; %d rooms written back", len(mine))
        return list(mine)


_backend: Backend = MemoryPresence()
_beat: threading.Thread | None = None


def configure(redis_url: str | None, holder: str) -> Backend:
    """Choose the backend for this process (Redis when configured) and start its heartbeat."""
    global _backend, _beat
    if redis_url:
        if not isinstance(_backend, RedisPresence):
            _backend = RedisPresence(redis_url, holder)
        if _beat is None:
            _beat = threading.Thread(target=_heartbeat_loop, name="forum-presence", daemon=True)
            _beat.start()
    else:
        if isinstance(_backend, RedisPresence):
            _backend.close()
        # A new app starts with nobody present (one app per process outside tests).
        _backend = MemoryPresence()
    return _backend


def _heartbeat_loop() -> None:
    while True:
        time.sleep(HEARTBEAT_S)
        try:
            _backend.heartbeat()
        except Exception:  # a bug, not an outage (the backend keeps those): beat again
            log.exception("presence heartbeat failed")


def backend() -> Backend:
    """The active backend."""
    return _backend


def join(room: str, conn: str) -> int:
    """A connection entered a room; returns how many are there now."""
    return _backend.add(room, conn)


def leave(room: str, conn: str) -> int:
    """A connection left a room; returns how many are still there."""
    return _backend.discard(room, conn)


def count(room: str) -> int:
    """How many connections are in a room now."""
    return _backend.count(room)


def counts(rooms: list[str]) -> dict[str, int]:
    """How many connections are in each of these rooms now (one round trip with Redis)."""
    return _backend.count_many(rooms)


def clear(room: str) -> None:
    """Nobody is in the room any more (it was closed)."""
    _backend.clear(room)


def restore() -> list[str]:
    """After a Redis outage: this process's entries written back; returns the rooms it holds
    connections in ([] without Redis, or while Redis is still away)."""
    return _backend.restore() if isinstance(_backend, RedisPresence) else []


def degraded() -> bool:
    """True while Redis is unreachable for presence (counts are this process's own)."""
    return bool(getattr(_backend, "degraded", False))


def forget_all() -> None:
    """This process is stopping: its connections leave every room's count now."""
    if isinstance(_backend, RedisPresence):
        _backend.forget_all()
