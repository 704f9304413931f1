"""Counts that live in Redis fall back to this process's own while Redis is away."""

from __future__ import annotations

import logging

import pytest
import redis
from limits import parse
from limits.errors import StorageError

from forum.services.local_window import LocalMovingWindow
from forum.services.shared_store import WithFallback


class Flaky:
    """A shared store that answers, or fails as an unreachable Redis does."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.up = True
        self.calls = 0
        self.window = LocalMovingWindow()

    def hit(self, *args):
        self.calls += 1
        if not self.up:
            raise self.error
        return self.window.hit(*args)


@pytest.mark.parametrize("error", [redis.ConnectionError("refused"), StorageError(OSError()),
                                   ConnectionRefusedError()])
def test_calls_go_local_while_the_shared_store_fails_and_back_after(error, caplog):
    now = [100.0]
    shared = Flaky(error)
    store = WithFallback("chat rate limit", shared, LocalMovingWindow(), retry_s=5,
                         clock=lambda: now[0])
    limit = parse("2 per minute")
    assert store.hit(limit, "chat", "m1") and not store.degraded
    shared.up = False
    with caplog.at_level(logging.WARNING, logger="forum.shared_store"):
        # The local window starts empty: two more hits allowed, the third refused.
        assert [store.hit(limit, "chat", "m1") for _ in range(3)] == [True, True, False]
        assert store.degraded
        assert shared.calls == 2  # asked once, then not again until retry_s has passed
        now[0] += 5
        assert store.hit(limit, "chat", "m1") is False  # asked again, still down: local
        assert shared.calls == 3
        shared.up = True
        assert store.hit(limit, "chat", "m1") is False  # not yet retry_s since the last try
        now[0] += 5
        assert store.hit(limit, "chat", "m1") is True  # Redis again: its own window
        assert not store.degraded
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"chat rate limit: Redis unreachable ({type(error).__name__}); counting in this "
        "process until it answers",
        "chat rate limit: Redis answers again; counting there",
    ]


def test_a_bug_in_the_shared_store_is_not_taken_for_an_outage():
    shared = Flaky(ValueError("a bug"))
    shared.up = False
    store = WithFallback("login throttle", shared, LocalMovingWindow())
    with pytest.raises(ValueError):
        store.hit(parse("1 per minute"), "x")
    assert not store.degraded
