"""SQLite transactions: every writer waits its turn instead of failing.

SQLite admits one writer at a time; the others wait for the lock (PRAGMA busy_timeout, see
extensions_setup.py). But a transaction that has read and then writes cannot wait: in WAL mode
SQLite answers "database is locked" at once when another writer holds the lock or has committed
since that read, whatever the busy timeout, since waiting could not make its snapshot current.

So the forum keeps the pysqlite driver's own transaction handling: a transaction opens at its
first INSERT, UPDATE or DELETE, the reads before it run on their own, and every transaction
starts with a write that waits its turn. SQLAlchemy's recipe for "proper" SQLite transactions
(driver autocommit, BEGIN emitted at every begin) turns each request into a transaction that
reads, then writes: with it, most of fifty members signing in at once failed with "database is
locked" (tests/faults/test_sqlite_writers.py). BEGIN IMMEDIATE at every begin would instead make
every page wait behind every writer.

One way into a read-then-write transaction remains: SQLite itself opens a (deferred)
transaction for a SAVEPOINT issued outside one, so the reads inside the savepoint fix a
snapshot before its writes, and its RELEASE commits everything early. A savepoint in the forum
always leads to writes (a row that may race in, a push queued apart from its caller's work), so
one opened outside a transaction starts it with BEGIN IMMEDIATE: it waits for the write lock
like any first write, and the savepoint nests inside a transaction the session commits.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@event.listens_for(Engine, "savepoint")
def _begin_before_savepoint(conn: Connection, _name: str | None) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        # Through SQLAlchemy, so a lock still held after busy_timeout is its OperationalError,
        # which the error pages know.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
