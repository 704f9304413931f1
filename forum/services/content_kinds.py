"""Every kind of member content, as the shared mechanisms see it: the review queue (where it
lives, its text, approve, remove), export and deletion, and screening again later.

One `ContentKind` per kind holds all of that, so a reader following a chat message or a post
finds every way the queue, privacy and rescreen touch it in one place. Kinds are registered
once, in `wiring.py`; a mechanism asks `get(name)` or walks `exported()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..models import User
from ..moderation import rescreen
from ..moderation.verdict import Verdict

Located = tuple["int | None", "int | None", "int | None"]  # author_id, board_id, room_id


@dataclass(frozen=True)
class ContentKind:
    """One kind of content; each part is None where that mechanism has nothing to do with it.

    `name` is the review queue's and rescreen's kind ("post", "chat", ...); `export_as` names
    the member's export section ("posts", "chat_messages", ...). A kind with only an export
    (check-ins, push devices) never enters the queue."""

    name: str
    # The review page: what to call it, the texts of these ids in one query, whether the
    # screener's spans fit that text (not where parts were screened apart), and the
    # surrounding thread (title, earlier texts) where there is one.
    label: Any = None
    texts: Callable[[list[int]], dict[int, str]] | None = None
    spans_fit: bool = True
    context: Callable[[int], tuple[str | None, list[str]]] | None = None
    # Who wrote it and where it lives, for a new queue item.
    locate: Callable[[int], Located] | None = None
    # A moderator's decision: publish held content, or hide it.
    approve: Callable[[int, User], None] | None = None
    remove: Callable[[int, str, User], None] | None = None
    # The member's export, and deletion (keep=True detaches it as "deleted member").
    export_as: str | None = None
    export: Callable[[User], list[dict[str, Any]]] | None = None
    erase: Callable[[User, bool], None] | None = None
    # `flask rescreen`: load the text, apply a fresh verdict.
    rescreen_load: Callable[[int], str | None] | None = None
    rescreen_apply: Callable[[int, Verdict], None] | None = None


_KINDS: dict[str, ContentKind] = {}


def register(kind: ContentKind) -> None:
    """Add a kind (wiring.py only; registering again replaces it)."""
    if (kind.export is None) != (kind.erase is None) or (kind.export and not kind.export_as):
        raise ValueError(f"{kind.name}: export and erase go together, with export_as")
    if (kind.rescreen_load is None) != (kind.rescreen_apply is None):
        raise ValueError(f"{kind.name}: rescreen needs both load and apply")
    _KINDS[kind.name] = kind
    if kind.rescreen_load is not None:
        rescreen.register_source(kind.name, kind.rescreen_load, kind.rescreen_apply)


def get(name: str) -> ContentKind | None:
    """The kind of this name, or None."""
    return _KINDS.get(name)


def names() -> list[str]:
    """Every registered kind's name, in registration order."""
    return list(_KINDS)


def reviewed() -> list[ContentKind]:
    """The kinds that can enter the review queue (the page can show their text)."""
    return [kind for kind in _KINDS.values() if kind.texts is not None]


def exported() -> list[ContentKind]:
    """The kinds in a member's export and deletion, in registration order (deletion runs in
    it: content that refers to other content goes first)."""
    return [kind for kind in _KINDS.values() if kind.export is not None]
