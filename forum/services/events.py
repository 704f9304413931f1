"""A tiny event bus: services publish, subscribers receive only after the transaction commits.

Services know nothing of Socket.IO. publish() keeps the event in the session's info; an
after_commit listener hands it to the subscribers, an after_rollback listener drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger("forum.events")
_KEY = "forum_pending_events"


@dataclass(frozen=True)
class Event:
    """A named event, its payload and who should get it (e.g. room names)."""

    name: str
    payload: dict[str, Any]
    audience: tuple[str, ...] = field(default=())


_SUBSCRIBERS: dict[str, list[Callable[[Event], None]]] = {}


def subscribe(name: str, handler: Callable[[Event], None]) -> None:
    """Call handler for every committed event of this name (idempotent per handler)."""
    handlers = _SUBSCRIBERS.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


@contextmanager
def subscribed(names: Iterable[str], handler: Callable[[Event], None], *,
               alone: bool = False) -> Iterator[None]:
    """Call handler too for every committed event of these names while the block runs (a
    test's recorder); with alone=True, only handler: the usual subscribers (the Socket.IO
    emitters) are set aside until the block ends."""
    names = list(names)
    saved = {name: list(_SUBSCRIBERS.get(name, ())) for name in names}
    try:
        for name in names:
            _SUBSCRIBERS[name] = [handler] if alone else [*saved[name], handler]
        yield
    finally:
        for name, before in saved.items():
            # Keep what subscribed meanwhile (a module imported inside the block).
            added = [h for h in _SUBSCRIBERS.get(name, ()) if h is not handler and h not in before]
            _SUBSCRIBERS[name] = before + added


def publish(name: str, payload: dict[str, Any], audience: tuple[str, ...] | list[str] = ()) -> None:
    """Queue an event to be delivered once the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        # Start the transaction now, so a rollback before any SQL still drops the event.
        session.begin()
    session.info.setdefault(_KEY, []).append(Event(name, dict(payload), tuple(audience)))


def _deliver(session: Session) -> None:
    # A savepoint released fires after_commit too, but the transaction goes on (and may still
    # roll back): the events wait for its own commit.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_KEY, None)
    for ev in pending or ():
        for handler in list(_SUBSCRIBERS.get(ev.name, ())):
            try:
                handler(ev)
            except Exception:  # a broken subscriber must not break the committed action
                log.exception("event subscriber failed event=%s", ev.name)


def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)


def _install() -> None:
    if not event.contains(Session, "after_commit", _deliver):
        event.listen(Session, "after_commit", _deliver)
        event.listen(Session, "after_soft_rollback", _on_rollback)


def _on_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the outermost rollback drops the events (a savepoint rollback keeps the rest).
    if previous_transaction.parent is None:
        _drop(session)


_install()
