"""Slowing password and recovery-code guessing without letting anyone lock a member out.

Failures are counted per (client, pseudonym) pair under an opaque key the web layer derives
(web/ratelimit.py: a keyed, daily-rotating hash; no address or name reaches this module). After
FREE_FAILURES the pair must wait, twice as long after each further failure up to MAX_WAIT_S; a
success clears the pair. The owner on another connection has a pair of their own, so an attacker
hammering an account never refuses its owner. The wait is a refusal with a retry time, never a
sleep inside the request.

Counts live in this process, or in Redis when the rate limiter's storage is Redis, so every
process sees them; they expire an hour after the pair's last failure.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import redis
from flask import current_app

from .. import clock
from ..shared_store import WithFallback

FREE_FAILURES = 5
FIRST_WAIT_S = 5
MAX_WAIT_S = 300
FORGET_AFTER_S = 3600
_STORE_KEY = "forum.login_throttle"
_SWEEP_EVERY = 1024


class TooManyTries(Exception):
    """The pair must wait before its next try."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass
class _Entry:
    failures: int
    until: float  # epoch seconds before which the pair is refused
    last: float


def wait_after(failures: int) -> int:
    """Seconds a pair waits after this many failures in a row (0 while still free)."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_FAILURES))


class MemoryStore:
    """The counts of one process."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def until(self, key: str, now: float) -> float:
        """When the pair may try again (0 when it may now)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry.until if entry and now - entry.last < FORGET_AFTER_S else 0.0

    def fail(self, key: str, now: float) -> None:
        """Count a failure and set the pair's next wait."""
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= _SWEEP_EVERY:
                self._since_sweep = 0
                for stale in [k for k, e in self._entries.items()
                              if now - e.last >= FORGET_AFTER_S]:
                    del self._entries[stale]
            entry = self._entries.get(key)
            failures = entry.failures + 1 if entry and now - entry.last < FORGET_AFTER_S else 1
            self._entries[key] = _Entry(failures, now + wait_after(failures), now)

    def clear(self, key: str) -> None:
        """Forget the pair (a success)."""
        with self._lock:
            self._entries.pop(key, None)


class RedisStore:
    """The counts of every process, one small hash per pair with an expiry."""

    PREFIX = "forum:login-throttle:"

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def until(self, key: str, now: float) -> float:
        """When the pair may try again (0 when it may now)."""
        values = self._redis.hmget(self.PREFIX + key, "until", "last")
        if values[0] is None or now - float(values[1] or 0) >= FORGET_AFTER_S:
            return 0.0
        return float(values[0])

    def fail(self, key: str, now: float) -> None:
        """Count a failure and set the pair's next wait."""
        name = self.PREFIX + key
        last = self._redis.hget(name, "last")
        pipe = self._redis.pipeline()
        if last is not None and now - float(last) >= FORGET_AFTER_S:
            pipe.delete(name)
        pipe.hincrby(name, "failures", 1)
        failures = pipe.execute()[-1]
        pipe = self._redis.pipeline()
        pipe.hset(name, mapping={"until": now + wait_after(failures), "last": now})
        pipe.expire(name, FORGET_AFTER_S + MAX_WAIT_S)
        pipe.execute()

    def clear(self, key: str) -> None:
        """Forget the pair (a success)."""
        self._redis.delete(self.PREFIX + key)

    def reset(self) -> None:
        """Forget every pair (tests)."""
        for name in self._redis.scan_iter(self.PREFIX + "*"):
            self._redis.delete(name)


def _store() -> MemoryStore | WithFallback:
    store = current_app.extensions.get(_STORE_KEY)
    if store is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        # While Redis is away each process counts its own failures (shared_store.py).
        store = (WithFallback("login throttle", RedisStore(uri), MemoryStore())
                 if uri.startswith(("redis://", "rediss://")) else MemoryStore())
        current_app.extensions[_STORE_KEY] = store
    return store


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def check(key: str) -> None:
    """Raise TooManyTries while the pair must still wait."""
    if not _enabled():
        return
    now = clock.now().timestamp()
    until = _store().until(key, now)
    if until > now:
        raise TooManyTries(max(1, math.ceil(until - now)))


def record_failure(key: str) -> None:
    """Count a wrong password or code for the pair."""
    if _enabled():
        _store().fail(key, clock.now().timestamp())


def record_success(key: str) -> None:
    """The pair got it right: its count starts again."""
    if _enabled():
        _store().clear(key)


def reset() -> None:
    """Forget every count kept in Redis (tests; the in-process store goes with its app)."""
    store = _store()
    if isinstance(store, WithFallback):
        store.shared.reset()
