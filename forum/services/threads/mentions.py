"""@mentions in posts: a link to the member's page when the pseudonym exists, plain text otherwise.

Links are made when a post is shown, on its sanitized HTML, and not stored with it: a mention
follows the account's current pseudonym, so after a rename or a deletion an old "@name" is
plain text again, never a link to whoever takes the name next. Mentions inside code, code
blocks and links stay as they are. The HTML comes from moderation/render.py (bleach), so every
tag is well formed and every attribute value double-quoted; only text between tags is touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from markupsafe import Markup, escape
from sqlalchemy import select

from ...extensions import db
from ...models import User
from ..accounts.pseudonyms import pseudonym_key
from .notifications import MAX_MENTIONS, MENTION

# A tag (its quoted attribute values may hold ">"), or a mention in the text between tags.
_PIECES = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)(?:[^>"]|"[^"]*")*>|' + MENTION.pattern)
_SKIP = frozenset({"a", "code", "pre"})
_NAME_CHAR = re.compile(r"[A-Za-z0-9_-]")
MIN_LENGTH = 3


def _names(raw: str) -> tuple[str, ...]:
    """The names a mention may stand for, longest first: "@river-oak-" at the end of a phrase
    is usually river-oak and a dash, but "river_" is a pseudonym of its own."""
    stripped = raw.rstrip("-_")
    if stripped == raw:
        return (raw,)
    return (raw, stripped) if len(stripped) >= MIN_LENGTH else (raw,)


def _walk(html: str):
    """(name as written, match) for each mention that may be linked: not inside a, code and
    pre, nor when the word runs on past the longest pseudonym."""
    depth = 0
    for match in _PIECES.finditer(html):
        tag = match.group(2)
        if tag is not None:
            if tag.lower() in _SKIP:
                depth = max(0, depth - 1) if match.group(1) else depth + 1
            continue
        if depth == 0 and _NAME_CHAR.match(html, match.end()) is None:
            yield match.group(3), match


def keys_in(html: str) -> list[str]:
    """Case-folded names mentioned outside code and links, the first ones only."""
    if "@" not in html:
        return []
    keys: dict[str, None] = {}
    for raw, _match in _walk(html):
        for name in _names(raw):
            keys[pseudonym_key(name)] = None
        if len(keys) >= MAX_MENTIONS:
            break
    return list(keys)


def existing(htmls: Iterable[str]) -> dict[str, str]:
    """Case-folded key -> current pseudonym, for the members mentioned in these texts."""
    keys = {key for html in htmls if html for key in keys_in(html)}
    if not keys:
        return {}
    rows = db.session.execute(
        select(User.pseudonym_key, User.pseudonym).where(User.pseudonym_key.in_(keys))
    )
    return {key: pseudonym for key, pseudonym in rows}


def link(html: str, known: Mapping[str, str], href: Callable[[str], str]) -> Markup:
    """The sanitized HTML with each mention of a known member made a link to href(pseudonym);
    the text shown stays as it was written."""
    if not html or "@" not in html or not known:
        return Markup(html or "")
    out: list[str] = []
    last = 0
    for raw, match in _walk(html):
        found = next(((name, known[pseudonym_key(name)]) for name in _names(raw)
                      if pseudonym_key(name) in known), None)
        if found is None:
            continue
        name, pseudonym = found
        out.append(html[last:match.start()])  # up to the "@"
        out.append(f'<a class="mention" href="{escape(href(pseudonym))}">@{escape(name)}</a>')
        out.append(raw[len(name):])  # separators only: nothing to escape
        last = match.end()
    out.append(html[last:])
    return Markup("".join(out))
