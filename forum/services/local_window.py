"""A moving-window rate limit kept in this process, for when there is no Redis.

`limits`' in-memory storage starts a timer thread after each hit and the timer walks every key
it holds, so each chat message cost a thread and a pass over every member's bucket (0.2 ms at
200 members, growing with the community). Here each bucket expires its own hits when it is hit,
and buckets nobody used for a whole window are dropped every SWEEP_EVERY hits. It answers like
`limits.strategies.MovingWindowRateLimiter` (hit, get_window_stats) for the same
`limits.RateLimitItem`, so callers use either; with Redis the `limits` strategy is used.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem
from limits.util import WindowStats

SWEEP_EVERY = 1024


class LocalMovingWindow:
    """Hits per key within the last `expiry` seconds of each rate-limit item."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._windows: dict[str, float] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def _recent(self, key: str, window: float, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        self._windows[key] = window
        while hits and hits[0] <= now - window:
            hits.popleft()
        return hits

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one hit unless the window is full; True if it was allowed."""
        key, window, now = item.key_for(*identifiers), item.get_expiry(), self._clock()
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= SWEEP_EVERY:
                self._sweep(now)
            hits = self._recent(key, window, now)
            if len(hits) >= item.amount:
                return False
            hits.append(now)
            return True

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When the oldest hit in the window expires, and how many hits are left."""
        key, window, now = item.key_for(*identifiers), item.get_expiry(), self._clock()
        with self._lock:
            hits = self._recent(key, window, now)
            reset = (hits[0] + window) if hits else now
            return WindowStats(reset, max(0, item.amount - len(hits)))

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        stale = [k for k, hits in self._hits.items()
                 if not hits or hits[-1] <= now - self._windows.get(k, 0.0)]
        for key in stale:
            self._hits.pop(key, None)
            self._windows.pop(key, None)

    def __len__(self) -> int:
        """How many buckets are held (for tests and curiosity)."""
        with self._lock:
            return len(self._hits)
