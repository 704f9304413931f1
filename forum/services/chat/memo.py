"""One chat send asks the same rows several times: the meeting of the room (open rule, host
rule, session start of each setting), its controls row and the sender's participant row (mute,
removal). Each rule stays independent; while check_send reads (before it writes anything),
this memo answers the repeats from the first query. Outside reading() every call queries.

The memo lives in a context variable, so each server thread (each event) has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import inspect

T = TypeVar("T")
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("forum_event_memo", default=None)


@contextmanager
def reading() -> Iterator[None]:
    """Answer repeated lookups from the first one until the block ends (only around reads:
    a write inside would not be seen by a later lookup)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def cached_or_loaded(key: Hashable, owner: Any, attribute: str, load: Callable[[], T]) -> T:
    """As cached(), but inside reading() a relationship already loaded with its owner row
    (e.g. a room's meeting, joined in when the room was read) answers without a query.
    Outside reading() it is not trusted: a write since then would not show in it."""
    memo = _MEMO.get()
    if memo is None:
        return load()
    if key not in memo:
        # current_user is a proxy: the row is the object behind it.
        owner = getattr(owner, "_get_current_object", lambda: owner)()
        state = inspect(owner, raiseerr=False)
        loaded = state is not None and attribute not in state.unloaded
        memo[key] = getattr(owner, attribute) if loaded else load()
    return memo[key]


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """load() once per key inside reading(); every time outside it."""
    memo = _MEMO.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]
