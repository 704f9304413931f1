"""Pooled connections: asked before use only after sitting idle; a dead one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from forum import pool_ping


@pytest.fixture
def engine(database_url):
    """A pool of one connection to the test database (the suite itself uses no pool)."""
    engine = create_engine(database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
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


def _close_underneath(engine) -> None:
    """Close the pooled connection behind the pool's back, as a server restart would."""
    with engine.connect() as conn:
        dbapi_connection = conn.connection.dbapi_connection
    dbapi_connection.close()


def _answer(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar_one()


def test_a_connection_back_from_use_just_now_is_not_asked(engine, pings):
    assert _answer(engine) == 1  # a fresh connection: nothing to ask
    assert _answer(engine) == 1
    assert _answer(engine) == 1
    assert pings == []


def test_an_idle_connection_is_asked_first(engine, pings, monkeypatch):
    _answer(engine)
    monkeypatch.setattr(pool_ping, "IDLE_PING_S", 0.0)
    assert _answer(engine) == 1
    assert pings == [1]


def test_an_idle_dead_connection_is_replaced_before_use(engine, pings, monkeypatch):
    _close_underneath(engine)
    monkeypatch.setattr(pool_ping, "IDLE_PING_S", 0.0)
    assert _answer(engine) == 1  # the pool found it dead and connected again
    assert pings == [1]  # the new connection was not asked again


def test_without_the_check_the_dead_connection_reaches_the_caller(engine, monkeypatch):
    # What the check saves the caller from: the same dead connection, not asked first.
    _close_underneath(engine)
    monkeypatch.setattr(pool_ping, "IDLE_PING_S", 3600.0)
    with pytest.raises(Exception):  # noqa: B017 (the driver's own error type differs)
        _answer(engine)


def test_the_app_checks_its_own_pool(database_url, monkeypatch):
    from forum import create_app
    from forum.extensions import db
    from tests.conftest import _base_config

    config = _base_config(database_url, "")
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": QueuePool, "pool_size": 1,
                                           "max_overflow": 0}
    app = create_app(config)
    with app.app_context():
        try:
            _close_underneath(db.engine)
            monkeypatch.setattr(pool_ping, "IDLE_PING_S", 0.0)
            assert _answer(db.engine) == 1
        finally:
            db.engine.dispose()
