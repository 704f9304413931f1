"""Who commits: the outermost service call.

A service ends its work with `commit()`. Called from a view, a socket handler, a job or the CLI,
that commits. Called inside another service's `atomic()` block, it joins that block's
transaction instead, and the block commits once when it ends, so one user action is one
transaction however many services it passes through. Nothing else in `forum/services/` calls
`session.commit()` (jobs.py aside: it commits each job's lease on its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..extensions import db

# How many atomic() blocks enclose the running code, in this thread or task.
_depth: ContextVar[int] = ContextVar("forum_transaction_depth", default=0)


def in_atomic() -> bool:
    """True inside an atomic() block: a commit() here joins the block's transaction."""
    return _depth.get() > 0


def commit(*, keep_loaded: bool = False) -> None:
    """End this service's work: commit now, unless an enclosing atomic() block owns the
    transaction (then it commits when that block ends). keep_loaded=True keeps what the
    session already loaded instead of expiring it (reloading costs a query per object)."""
    if _depth.get() > 0:
        return
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = expire and not keep_loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@contextmanager
def atomic() -> Iterator[None]:
    """One transaction for everything inside: nested services' commit() calls join it; the
    outermost block commits when it ends without an error. On an error nothing is committed
    and the error goes on to the caller, who rolls back (as views, handlers and jobs do)."""
    depth = _depth.get()
    token = _depth.set(depth + 1)
    try:
        yield
    finally:
        _depth.reset(token)
    if depth == 0:
        db.session.commit()
