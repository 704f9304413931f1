"""Pooled database connections are checked before use only after they sat idle.

SQLAlchemy's pool_pre_ping asks the server at every checkout, and the chat server checks a
connection out for every Socket.IO event: one more round trip on every message. A connection
back in the pool for less than IDLE_PING_S was working a moment ago; one idle for longer (the
server may have restarted, or a proxy dropped it) is asked first and, if it does not answer,
replaced before anything uses it.

A connection back for less than that is asked too when its socket has something to read: an
idle connection hears nothing unless the server said goodbye. A server stopping or restarting
(`pg_ctl restart`, an upgrade, a failover) sends each session a termination notice and closes
it, so after a restart, however quick, no request gets a connection the server already closed.
Looking costs one poll() that does not wait, no round trip. A server lost without a word within
that moment still surfaces as a disconnect error, and SQLAlchemy then replaces every pooled
connection.
"""

from __future__ import annotations

import select
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

IDLE_PING_S = 10.0
_RETURNED_AT = "forum_returned_at"


def install(engine: Engine) -> None:
    """Check this engine's pooled connections on checkout when they sat idle."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_connection, record, _proxy) -> None:
        # info starts empty for every new connection: a fresh one is not asked.
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:
            return
        if time.monotonic() - returned_at < IDLE_PING_S and not has_news(dbapi_connection):
            return
        try:
            ping(engine, dbapi_connection)
        except Exception as exc:  # any failure means this connection cannot be trusted
            # The pool discards the connection and checks out a fresh one instead.
            raise DisconnectionError("idle pooled connection did not answer") from exc


def has_news(dbapi_connection) -> bool:
    """Whether an idle connection's socket has something to read (the server closed it, or
    told it why first). False without a socket (SQLite) or when it cannot be looked at."""
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - no socket to look at: decided by idle time alone
        return False
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    readable, _, broken = select.select([fd], [], [fd], 0)
    return bool(readable or broken)


def ping(engine: Engine, dbapi_connection) -> None:
    """The dialect's own ping, as pool_pre_ping sends it (psycopg's leaves no transaction
    open); raises if the connection is dead."""
    engine.dialect.do_ping(dbapi_connection)
