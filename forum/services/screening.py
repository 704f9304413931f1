"""The services' door to the moderation pipeline: screen once, remember what needs rescreening."""

from __future__ import annotations

from collections.abc import Sequence

from flask import has_request_context
from flask_babel import get_locale

from .. import moderation
from ..models import User
from ..moderation import Verdict, rescreen


def screen_text(
    text: str, *, scope: str, author: User | None = None, locale: str | None = None,
    context: Sequence[str] | None = None,
) -> Verdict:
    """Screen member-written text once through the one pipeline and return its verdict.

    The locale picks the language of the writer's supportive message (and language-specific
    rules): the writer's own choice, else the language they are being served in now. In
    chat, `context` holds the writer's messages of the last few minutes ("i bought rope" …
    "tonight"), read together with this one."""
    return moderation.screen(text, scope=scope, author=author,
                             locale=locale or writer_language(author), context=context)


def reads_context() -> bool:
    """True when the pipeline reads a chat message with the writer's earlier ones (then it
    is worth looking them up)."""
    return moderation.get_pipeline().semantic is not None


def writer_language(author: User | None) -> str | None:
    """The language a writer reads the forum in: their account's choice, else Flask-Babel's
    choice for this request or Socket.IO event (None outside one)."""
    if author is not None and getattr(author, "locale", None):
        return author.locale
    if not has_request_context():  # jobs and the CLI: no one is being served
        return None
    chosen = get_locale()
    return chosen.language if chosen else None


def remember_if_needed(verdict: Verdict | None, kind: str, content_id: int, *, scope: str) -> None:
    """Queue the content for `flask rescreen` when the classifier or the semantic layer could
    not read it."""
    if verdict is not None and verdict.needs_rescreen:
        rescreen.remember(kind, content_id, scope)
