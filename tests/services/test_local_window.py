"""The in-process moving window behind the chat rate limit when there is no Redis."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from forum.services import local_window
from forum.services.local_window import LocalMovingWindow


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_a_window_allows_its_amount_then_refuses_until_the_oldest_hit_expires(clock):
    limiter, item = LocalMovingWindow(clock), parse("3 per 10 seconds")
    for _ in range(3):
        assert limiter.hit(item, "chat-send", "a")
        clock.now += 1
    assert not limiter.hit(item, "chat-send", "a")
    reset, remaining = limiter.get_window_stats(item, "chat-send", "a")
    assert remaining == 0 and reset == pytest.approx(1_000_000.0 + 10)
    assert limiter.hit(item, "chat-send", "b")  # another bucket is not affected
    clock.now = 1_000_000.0 + 10  # the first hit leaves the window
    assert limiter.hit(item, "chat-send", "a")
    assert not limiter.hit(item, "chat-send", "a")
    clock.now += 1.5  # the hit at +1 s has left, the one at +2 s has not
    assert limiter.get_window_stats(item, "chat-send", "a").remaining == 1


def test_refused_hits_do_not_count(clock):
    limiter, item = LocalMovingWindow(clock), parse("2 per 5 seconds")
    assert limiter.hit(item, "k") and limiter.hit(item, "k")
    for _ in range(10):
        assert not limiter.hit(item, "k")
    clock.now += 5.01
    assert limiter.hit(item, "k")


def test_answers_like_the_limits_moving_window(clock, monkeypatch):
    """The same sequence of hits, allowed and refused alike, as `limits` gives."""
    import limits.storage.memory as memory_storage

    monkeypatch.setattr(memory_storage.time, "time", clock)
    ours, theirs = LocalMovingWindow(clock), MovingWindowRateLimiter(
        storage_from_string("memory://"))
    item = parse("4 per 3 seconds")
    steps = [0.0, 0.2, 0.5, 0.7, 0.9, 1.5, 2.9, 3.05, 3.3, 3.6, 4.0, 6.5, 6.6, 6.7]
    start = clock.now
    got = []
    for at in steps:
        clock.now = start + at
        got.append((ours.hit(item, "x"), theirs.hit(item, "x")))
    assert [a for a, _ in got] == [b for _, b in got]


def test_stale_buckets_are_dropped(clock, monkeypatch):
    monkeypatch.setattr(local_window, "SWEEP_EVERY", 10)
    limiter, item = LocalMovingWindow(clock), parse("5 per 10 seconds")
    for n in range(9):
        limiter.hit(item, f"member-{n}")
    assert len(limiter) == 9
    clock.now += 11
    limiter.hit(item, "member-new")  # the tenth hit sweeps
    assert len(limiter) == 1


def test_concurrent_hits_are_counted_exactly():
    limiter, item = LocalMovingWindow(), parse("500 per 1 hour")
    allowed = []

    def hammer():
        allowed.append(sum(limiter.hit(item, "shared") for _ in range(200)))

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 500


def test_the_chat_limit_is_local_without_redis_and_shared_with_it(app):
    from forum.services.chat import guards as room_guards

    with app.test_request_context():
        app.extensions.pop(room_guards._LIMITER_KEY, None)
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"
        assert isinstance(room_guards._limiter()[0], LocalMovingWindow)
        app.extensions.pop(room_guards._LIMITER_KEY, None)
        app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/15"
        limiter = room_guards._limiter()[0]
        assert isinstance(limiter.shared, MovingWindowRateLimiter)
        assert isinstance(limiter.local, LocalMovingWindow)  # while Redis is away
        app.extensions.pop(room_guards._LIMITER_KEY, None)
