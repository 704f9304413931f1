"""Presence counts: per process without Redis, summed over every process with it."""

from __future__ import annotations

import logging
import os

import pytest

from forum.services import presence
from tests.fixtures import faults as fault_support

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_memory_presence_counts_connections_in_and_out():
    backend = presence.MemoryPresence()
    assert backend.add("coffee-room", "sid-1") == 1
    assert backend.add("coffee-room", "sid-2") == 2
    assert backend.add("coffee-room", "sid-2") == 2  # the same connection twice counts once
    assert backend.add("night-owls", "sid-3") == 1
    assert backend.discard("coffee-room", "sid-1") == 1
    assert backend.discard("coffee-room", "sid-unknown") == 1
    assert backend.count("coffee-room") == 1 and backend.count("empty") == 0


def test_without_redis_the_app_counts_in_process(app_config):
    from forum import create_app

    app_config.update(REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://")
    create_app(app_config)
    assert isinstance(presence.backend(), presence.MemoryPresence)




@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(presence.RedisPresence.PREFIX + "*"):
        client.delete(key)
    yield client
    for key in client.scan_iter(presence.RedisPresence.PREFIX + "*"):
        client.delete(key)
    client.close()


@pytest.mark.services
@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="Redis not running")
def test_redis_presence_is_summed_across_processes(redis_db):
    first = presence.RedisPresence(REDIS_URL, "proc-a")
    second = presence.RedisPresence(REDIS_URL, "proc-b")
    assert first.add("coffee-room", "sid-1") == 1
    # Socket.IO connection ids are only unique per process: the holder keeps them apart.
    assert second.add("coffee-room", "sid-1") == 2
    assert second.add("coffee-room", "sid-2") == 3
    assert first.count("coffee-room") == 3 and second.count("coffee-room") == 3
    assert first.discard("coffee-room", "sid-1") == 2
    assert second.count("coffee-room") == 2
    assert first.count("night-owls") == 0
    first.close()
    second.close()


@pytest.mark.services
@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="Redis not running")
def test_a_dead_process_drops_out_while_a_live_one_stays(redis_db, monkeypatch):
    import time

    clock = [time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: clock[0])
    alive = presence.RedisPresence(REDIS_URL, "proc-alive")
    dead = presence.RedisPresence(REDIS_URL, "proc-dead")
    alive.add("coffee-room", "sid-1")
    dead.add("coffee-room", "sid-9")
    assert alive.count("coffee-room") == 2
    clock[0] += presence.TTL_S - 5
    alive.heartbeat()  # the dead process no longer beats
    clock[0] += 10
    assert alive.count("coffee-room") == 1
    alive.close()
    dead.close()


@pytest.mark.services
@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="Redis not running")
def test_an_app_with_redis_counts_in_redis(app_config, redis_db):
    from forum import create_app

    app_config.update(REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI=REDIS_URL)
    try:
        create_app(app_config)
        assert isinstance(presence.backend(), presence.RedisPresence)
    finally:
        presence.configure(None, "test")
    assert isinstance(presence.backend(), presence.MemoryPresence)


@pytest.mark.services
@pytest.mark.skipif(not fault_support.tools_present() and not os.environ.get("CI"),
                    reason="redis-server is not installed")
def test_while_redis_is_away_a_process_counts_its_own_and_writes_back_after(caplog):
    with fault_support.private_redis() as server:
        here = presence.RedisPresence(server.url, "proc-a")
        there = presence.RedisPresence(server.url, "proc-b")
        try:
            here.add("coffee-room", "sid-1")
            assert there.add("coffee-room", "sid-2") == 2
            server.stop()
            with caplog.at_level(logging.WARNING, logger="forum.presence"):
                # Joins and counts go on, on what this process knows: its own connections.
                assert here.add("coffee-room", "sid-3") == 2
                assert here.degraded
                assert here.count_many(["coffee-room", "night-owls"]) == {
                    "coffee-room": 2, "night-owls": 0}
                assert here.discard("coffee-room", "sid-1") == 1
                here.heartbeat()  # still away: nothing raised, nothing more logged
                server.start()  # a restarted Redis keeps nothing
                assert there.count("coffee-room") == 0
                here.heartbeat()  # the first beat that reaches it writes entries back
                assert not here.degraded
                assert there.restore() == ["coffee-room"]
            assert here.count("coffee-room") == 2 and there.count("coffee-room") == 2
            assert [r.getMessage() for r in caplog.records] == [
                "presence: Redis unreachable; counting this process's connections",
                "presence: Redis answers again; 1 rooms written back",
            ]
        finally:
            here.close()
            there.close()


@pytest.mark.services
@pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"), reason="Redis not running")
def test_a_stopping_process_takes_its_connections_out_of_every_count(redis_db):
    stopping = presence.RedisPresence(REDIS_URL, "proc-stopping")
    staying = presence.RedisPresence(REDIS_URL, "proc-staying")
    try:
        stopping.add("coffee-room", "sid-1")
        stopping.add("night-owls", "sid-2")
        staying.add("coffee-room", "sid-1")
        stopping.forget_all()
        assert staying.count_many(["coffee-room", "night-owls"]) == {
            "coffee-room": 1, "night-owls": 0}
    finally:
        stopping.close()
        staying.close()


def test_a_join_finishing_on_a_stopping_process_is_not_counted(redis_db, monkeypatch):
    stopping = presence.RedisPresence(REDIS_URL, "proc-stopping")
    try:
        stopping.add("coffee-room", "sid-1")
        stopping.forget_all()
        # A join still running when the process began to stop: its socket closes next.
        assert stopping.add("coffee-room", "sid-2") == 0
        assert stopping.count("coffee-room") == 0

        # forget_all between the join's check and its write: the write is taken back.
        late = presence.RedisPresence(REDIS_URL, "proc-late")
        ask = late._ask

        def forget_meanwhile(build, answer, fallback):
            late.forget_all()  # its removal runs before the join's write
            return ask(build, answer, fallback)

        monkeypatch.setattr(late, "_ask", forget_meanwhile)
        late.add("coffee-room", "sid-3")
        monkeypatch.undo()
        assert late.count("coffee-room") == 0
        late.close()
    finally:
        stopping.close()


def test_a_leave_while_redis_did_not_answer_is_written_back_too(redis_db):
    # A moment's timeout (Redis kept its data): whoever left meanwhile leaves the shared count
    # at the write-back, not a TTL later.
    here = presence.RedisPresence(REDIS_URL, "proc-here")
    there = presence.RedisPresence(REDIS_URL, "proc-there")
    try:
        here.add("coffee-room", "sid-1")
        here.add("coffee-room", "sid-2")
        assert there.count("coffee-room") == 2
        here._unreachable()  # what a timed-out call does
        assert here.discard("coffee-room", "sid-1") == 1
        assert there.count("coffee-room") == 2  # Redis has not heard yet
        here.heartbeat()
        assert not here.degraded
        assert there.count("coffee-room") == 1
    finally:
        here.close()
        there.close()
