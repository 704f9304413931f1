"""A pooled connection the server closed is replaced before use, even one used a moment ago.

PostgreSQL stopping or restarting ends each session with a notice and closes its socket; the
pool looks at a returned connection's socket (no round trip) and asks it first when something
arrived. Here the server ends one session of the test's own pool (pg_terminate_backend), as a
restart ends them all.
"""

from __future__ import annotations

import os
import select
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool, QueuePool

from forum import pool_ping
from tests.fixtures import scaleout as so

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(not so.services_up() and not os.environ.get("CI"),
                       reason="PostgreSQL is not running"),
]
URL = so.PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://")


@pytest.fixture
def engine():
    """A pool of one connection, checked as the app's pool is."""
    engine = create_engine(URL, poolclass=QueuePool, pool_size=1, max_overflow=0)
    pool_ping.install(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(monkeypatch):
    """How many times the pool asked a connection before handing it out."""
    asked: list[int] = []
    real = pool_ping.ping

    def counting(engine, dbapi_connection):
        asked.append(1)
        real(engine, dbapi_connection)

    monkeypatch.setattr(pool_ping, "ping", counting)
    return asked


def _backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _ended_in_the_pool(engine) -> int:
    """Use the pooled connection, give it back, then have the server end its session (as a
    restart ends every one) and wait until its socket hears of it; returns its backend pid."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        dbapi_connection = conn.connection.dbapi_connection
    admin = create_engine(URL, poolclass=NullPool)
    try:
        with admin.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                                 ).scalar_one()
    finally:
        admin.dispose()
    fd = dbapi_connection.fileno()
    deadline = time.monotonic() + 10
    while not select.select([fd], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the server did not close the session"
    return pid


def test_a_quiet_idle_connection_has_no_news(engine, pings):
    _backend(engine)
    with engine.connect() as conn:
        assert not pool_ping.has_news(conn.connection.dbapi_connection)
    _backend(engine)
    assert pings == []  # used a moment ago and quiet: not asked


def test_a_connection_the_server_ended_is_replaced_before_use(engine, pings):
    first = _ended_in_the_pool(engine)
    # Back in the pool for well under IDLE_PING_S, yet not handed out as it was.
    second = _backend(engine)
    assert second != first
    assert pings == [1]


def test_without_looking_the_ended_connection_reaches_the_caller(engine, monkeypatch):
    # What looking saves a request from: the same ended session, handed out unasked.
    _ended_in_the_pool(engine)
    monkeypatch.setattr(pool_ping, "has_news", lambda _connection: False)
    with pytest.raises(Exception):  # noqa: B017 (the driver's own error type differs)
        _backend(engine)
