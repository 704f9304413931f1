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
    """Connections of every process, in one sorted set per room with expiring scores."""

    PREFIX = "forum:presence:"

    def __init__(self, url: str, holder: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._holder = holder
        self._mine: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def _key(self, room: str) -> str:
        return self.PREFIX + room

    def _member(self, conn: str) -> str:
        return f"{self._holder}/{conn}"

    def _count(self, pipe, room: str, now: float) -> None:
        pipe.zremrangebyscore(self._key(room), "-inf", now)
        pipe.zcard(self._key(room))

    def add(self, room: str, conn: str) -> int:
        """Count a connection in across processes; returns the room's count."""
        now = time.time()
        with self._lock:
            self._mine[room].add(conn)
        pipe = self._redis.pipeline()
        pipe.zadd(self._key(room), {self._member(conn): now + TTL_S})
        pipe.expire(self._key(room), TTL_S * 2)
        self._count(pipe, room, now)
        return int(pipe.execute()[-1])

    def discard(self, room: str, conn: str) -> int:
        """Count a connection out; returns the room's count."""
        with self._lock:
            self._mine[room].discard(conn)
        pipe = self._redis.pipeline()
        pipe.zrem(self._key(room), self._member(conn))
        self._count(pipe, room, time.time())
        return int(pipe.execute()[-1])

    def count(self, room: str) -> int:
        """How many live connections are in the room, in every process."""
        pipe = self._redis.pipeline()
        self._count(pipe, room, time.time())
        return int(pipe.execute()[-1])

    def count_many(self, rooms: list[str]) -> dict[str, int]:
        """Each room's live connections, in every process, in one round trip."""
        if not rooms:
            return {}
        pipe = self._redis.pipeline()
        now = time.time()
        for room in rooms:
            self._count(pipe, room, now)
        answers = pipe.execute()
        return {room: int(answers[2 * i + 1]) for i, room in enumerate(rooms)}

    def close(self) -> None:
        """Let go of the connection to Redis."""
        self._redis.close()

    def clear(self, room: str) -> None:
        """Everyone, on every process, is out of the room (it was closed); heartbeats only
        refresh entries that still exist, so no process brings its old entries back."""
        with self._lock:
            self._mine.pop(room, None)
        self._redis.delete(self._key(room))

    def heartbeat(self) -> None:
        """Push this process's entries' expiry forward."""
        expires = time.time() + TTL_S
        with self._lock:
            mine = {room: set(conns) for room, conns in self._mine.items() if conns}
        if not mine:
            return
        pipe = self._redis.pipeline()
        for room, conns in mine.items():
            pipe.zadd(self._key(room), {self._member(c): expires for c in conns}, xx=True)
            pipe.expire(self._key(room), TTL_S * 2)
        pipe.execute()


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
        except Exception:  # Redis away for a moment: the next beat tries again
            log.warning("presence heartbeat failed")


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
