"""Counts shared by every process in Redis, kept by this process alone while Redis is away.

A rate limit or a login throttle must not turn a Redis restart into refused chat messages or
failed logins. While Redis does not answer, each process counts in its own window (a member
could send up to N times the limit across N processes for that while, which is the lesser
harm); Redis is asked again every RETRY_S and used as soon as it answers. Each change of state
is one log line, never one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from limits.errors import StorageError

log = logging.getLogger("forum.shared_store")
RETRY_S = 5.0
# What a store raises when Redis is unreachable; anything else is a real bug and propagates.
UNREACHABLE = (redis.RedisError, StorageError, OSError)


class WithFallback:
    """Calls go to `shared` (Redis); while it fails they go to `local`, with the same methods."""

    def __init__(self, name: str, shared: Any, local: Any, *, retry_s: float = RETRY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.shared = shared
        self.local = local
        self._retry_s = retry_s
        self._clock = clock
        self._down_at: float | None = None
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        """True while this process counts alone."""
        return self._down_at is not None

    def _use_shared(self) -> bool:
        with self._lock:
            if self._down_at is None:
                return True
            if self._clock() - self._down_at >= self._retry_s:
                self._down_at = self._clock()  # one caller tries; the others stay local
                return True
            return False

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """shared.method(...), or local.method(...) while the shared store is unreachable."""
        if self._use_shared():
            try:
                result = getattr(self.shared, method)(*args, **kwargs)
            except UNREACHABLE as exc:
                with self._lock:
                    first = self._down_at is None
                    self._down_at = self._clock()
                if first:
                    log.warning("%s: Redis unreachable (%s); counting in this process until "
                                "it answers", self.name, type(exc).__name__)
            else:
                with self._lock:
                    back = self._down_at is not None
                    self._down_at = None
                if back:
                    log.warning("%s: Redis answers again; counting there", self.name)
                return result
        return getattr(self.local, method)(*args, **kwargs)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self.call(method, *args, **kwargs)
