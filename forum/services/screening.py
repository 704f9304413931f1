"""The services' door to the moderation pipeline: screen once, remember what needs rescreening."""

from __future__ import annotations

from collections.abc import Callable

from .. import moderation
from ..models import User
from ..moderation import Verdict, rescreen


def screen_text(
    text: str, *, scope: str, author: User | None = None, locale: str | None = None
) -> Verdict:
    """Screen member-written text once through the one pipeline and return its verdict."""
    return moderation.screen(text, scope=scope, author=author, locale=locale)


def remember_if_needed(verdict: Verdict | None, kind: str, content_id: int, *, scope: str) -> None:
    """Queue the content for `flask rescreen` when the classifier could not score it."""
    if verdict is not None and verdict.classifier_unavailable:
        rescreen.remember(kind, content_id, scope)


def register_rescreen_source(
    kind: str, load: Callable[[int], str | None], apply: Callable[[int, Verdict], None]
) -> None:
    """Tell `flask rescreen` how to load and re-judge one kind of content."""
    rescreen.register_source(kind, load, apply)
