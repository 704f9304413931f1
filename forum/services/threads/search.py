"""Search over what everyone may see: posts (SQLite FTS5 or PostgreSQL tsvector), meetings, boards.

Posts: the search_posts index is filled by database triggers (see the threads migration and the
prefixes migration) with published, undeleted posts only; the query joins back to posts and
threads and checks visibility again, so held, removed and deleted text never comes back. Author
names are not indexed at all, so an anonymous author can't be found by pseudonym, and nothing in
the ranking depends on who wrote a post.

Matching is the same on both databases: the index keeps words folded to lower case without
accents, and each query word becomes a prefix ("slipp" finds "slipped", "recai" and "recaí"
find "recaída"). A common English or Spanish ending is taken off a query word first, so that
"slipping" finds "slipped" and "emociones" finds "emoción" now that the index holds no stems.
Query words are reduced to letters and digits before they reach FTS5 or to_tsquery, so nothing
typed is ever read as query syntax.

Highlighting happens here rather than in FTS5 snippet() or ts_headline(): one implementation
for both databases that sees folded prefixes the way the index does, escapes every character of
member text and adds no markup but its own <mark>.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select, text

from ...extensions import db
from ...models import Board, Meeting, Post
from ...models.meetings import SCHEDULED

PER_PAGE = 20
MAX_PAGES = 10
MAX_TERMS = 12
MIN_TERM = 2  # one letter would match nearly every post
MAX_TERM = 64
SECTION_LIMIT = 10
SNIPPET_LENGTH = 220
_WORD = re.compile(r"[^\W_]+")
# Markdown's own marks, so an excerpt reads as text: links keep their words, quote and list
# marks at a line's start go, emphasis and code marks go; "<" and ">" elsewhere are text.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_LINE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?|#{1,6}[ \t]|[-*+][ \t]|\d+[.)][ \t])+", re.M)
_INLINE_MARKS = re.compile(r"[*_`~|]+")
# Longest first; a stem keeps at least three letters. Each is a prefix of the word it came from,
# so dropping an ending only ever finds more, never less.
_ENDINGS = ("ies", "ied", "ing", "ed", "es", "ly", "s")
_MARK_OPEN, _MARK_CLOSE = Markup("<mark>"), Markup("</mark>")


def fold(word: str) -> str:
    """Lower case without accents, as the index stores words (unicode61, search_fold())."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word_prefix(word: str) -> str:
    """The prefix a folded query word is matched with: the word, less a common ending."""
    if not word.isalpha():
        return word
    for ending in _ENDINGS:
        stem = word[: -len(ending)]
        if not word.endswith(ending) or len(stem) < 3:
            continue
        if ending == "s" and stem[-1] in "siu":  # "stress", "this", "status" are no plurals
            continue
        if ending in ("ing", "ed") and len(stem) >= 4 and stem[-1] == stem[-2] \
                and stem[-1] not in "aeioulsz":
            stem = stem[:-1]  # "slipping", "stopped": the doubled consonant came with the ending
        return stem
    return word


@dataclass(frozen=True)
class Query:
    """What was typed, and the word prefixes it is matched with."""

    text: str
    prefixes: tuple[str, ...]

    @property
    def too_short(self) -> bool:
        """Something was typed, but no word long enough to search for."""
        return bool(self.text.strip()) and not self.prefixes

    def matches(self, word: str) -> bool:
        """Does this word of a text (as written) start with one of the prefixes?"""
        folded = fold(word)
        return any(folded.startswith(p) for p in self.prefixes)


def parse(query: str) -> Query:
    """A query's word prefixes: letters and digits only, two characters at least, twelve at most."""
    prefixes: list[str] = []
    for word in _WORD.findall(fold(query or "")):
        prefix = word_prefix(word[:MAX_TERM])
        if len(prefix) >= MIN_TERM and prefix not in prefixes:
            prefixes.append(prefix)
    # Every word must match, so a prefix of another prefix adds nothing ("hope hopes").
    kept = [p for p in prefixes if not any(q != p and q.startswith(p) for q in prefixes)]
    return Query(query or "", tuple(kept[:MAX_TERMS]))


def highlight(value: str, query: Query) -> Markup:
    """The text escaped, with each word the query matches inside <mark>."""
    value = unicodedata.normalize("NFC", value or "")
    parts: list[str] = []
    last = 0
    for match in _WORD.finditer(value):
        if query.matches(match.group()):
            parts += [escape(value[last:match.start()]), _MARK_OPEN, escape(match.group()),
                      _MARK_CLOSE]
            last = match.end()
    parts.append(escape(value[last:]))
    return Markup("").join(parts)


def plain_text(markdown: str) -> str:
    """A post's Markdown as one line of plain text (escaped later, never rendered as HTML)."""
    plain = _LINK.sub(r"\1", unicodedata.normalize("NFC", markdown or ""))
    plain = _INLINE_MARKS.sub(" ", _LINE_MARKS.sub("", plain))
    return re.sub(r"\s+", " ", plain).strip()


def excerpt(value: str, query: Query, length: int = SNIPPET_LENGTH) -> Markup:
    """About `length` characters of plain text around the first match, highlighted."""
    plain = plain_text(value)
    if len(plain) > length:
        first = next((m.start() for m in _WORD.finditer(plain) if query.matches(m.group())), 0)
        start = max(0, first - length // 3)
        if start:
            space = plain.find(" ", start, first)
            start = space + 1 if space != -1 else start
        end = start + length
        if end < len(plain):
            space = plain.rfind(" ", start + length // 2, end)
            end = space if space != -1 else end
        body = highlight(plain[start:end].strip(), query)
        return Markup("").join([
            "\u2026 " if start else "", body, " \u2026" if end < len(plain) else ""])
    return highlight(plain, query)


@dataclass(frozen=True)
class PostHit:
    """A post found: its thread title and an excerpt, both highlighted."""

    post: Post
    title: Markup
    excerpt: Markup
    title_hit: bool


@dataclass(frozen=True)
class PlaceHit:
    """A board or meeting found: where it lives, its name and description highlighted."""

    id: int
    slug: str
    name: Markup
    description: Markup


@dataclass
class Found:
    """Everything a search found for one page of results."""

    query: Query
    posts: list[PostHit] = field(default_factory=list)
    more: bool = False
    boards: list[PlaceHit] = field(default_factory=list)
    meetings: list[PlaceHit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing at all was found."""
        return not (self.posts or self.boards or self.meetings)


def _sqlite_hits(prefixes: tuple[str, ...], offset: int) -> list[tuple[int, bool]]:
    # Each prefix quoted (a quote inside doubled, though none survives parse()) and starred:
    # FTS5 reads it as one prefix token, never as an operator, column filter or NEAR group.
    match = " ".join('"' + p.replace('"', '""') + '"*' for p in prefixes)
    rows = db.session.execute(
        text(
            "SELECT p.id, search_posts.rowid IN"
            " (SELECT rowid FROM search_posts WHERE search_posts MATCH :title) AS title_hit"
            " FROM search_posts"
            " JOIN posts p ON p.id = search_posts.rowid"
            " JOIN threads t ON t.id = p.thread_id"
            " WHERE search_posts MATCH :match AND p.visible = :yes AND t.visible = :yes"
            " ORDER BY title_hit DESC, bm25(search_posts, 10.0, 1.0), p.id DESC"
            " LIMIT :limit OFFSET :offset"
        ),
        {"match": match, "title": f"title : ({match})", "yes": True,
         "limit": PER_PAGE + 1, "offset": offset},
    )
    return [(row[0], bool(row[1])) for row in rows]


def _postgres_hits(prefixes: tuple[str, ...], offset: int) -> list[tuple[int, bool]]:
    # Quoted lexemes with a prefix mark, joined by AND; the words hold letters and digits only.
    query = " & ".join("'" + p.replace("'", "''") + "':*" for p in prefixes)
    rows = db.session.execute(
        text(
            "SELECT p.id, ts_filter(s.document, '{a}') @@ to_tsquery('simple', :q) AS title_hit"
            " FROM search_posts s"
            " JOIN posts p ON p.id = s.post_id"
            " JOIN threads t ON t.id = p.thread_id"
            " WHERE s.document @@ to_tsquery('simple', :q) AND p.visible AND t.visible"
            " ORDER BY title_hit DESC, ts_rank(s.document, to_tsquery('simple', :q)) DESC,"
            " p.id DESC LIMIT :limit OFFSET :offset"
        ),
        {"q": query, "limit": PER_PAGE + 1, "offset": offset},
    )
    return [(row[0], bool(row[1])) for row in rows]


def _post_hits(query: Query, page: int) -> tuple[list[PostHit], bool]:
    offset = (page - 1) * PER_PAGE
    if db.engine.dialect.name == "postgresql":
        hits = _postgres_hits(query.prefixes, offset)
    else:
        hits = _sqlite_hits(query.prefixes, offset)
    more = len(hits) > PER_PAGE
    hits = hits[:PER_PAGE]
    if not hits:
        return [], False
    posts = {p.id: p for p in db.session.scalars(
        select(Post).where(Post.id.in_([post_id for post_id, _ in hits])))}
    found = []
    for post_id, title_hit in hits:
        post = posts.get(post_id)
        # Checked again: what is shown must be visible at the moment it is shown.
        if post is None or not (post.visible and post.thread.visible):
            continue
        found.append(PostHit(post, highlight(post.thread.title, query),
                             excerpt(post.body_md, query), title_hit))
    return found, more


def _words(*values: str) -> set[str]:
    return {fold(w) for value in values for w in _WORD.findall(value or "")}


def _place_hits(query: Query, rows) -> list[PlaceHit]:
    """Rows (id, slug, name, description) whose words hold every prefix; name matches first."""
    scored = []
    for row in rows:
        name_words, all_words = _words(row[2]), _words(row[2], row[3])
        if all(any(w.startswith(p) for w in all_words) for p in query.prefixes):
            in_name = all(any(w.startswith(p) for w in name_words) for p in query.prefixes)
            scored.append((not in_name, len(scored), row))
    scored.sort(key=lambda item: item[:2])
    return [PlaceHit(row[0], row[1], highlight(row[2], query),
                     excerpt(row[3], query, length=160))
            for _, _, row in scored[:SECTION_LIMIT]]


def _board_hits(query: Query) -> list[PlaceHit]:
    # Every board is open to everyone, visitors included.
    rows = db.session.execute(select(Board.id, Board.slug, Board.name, Board.description)
                              .order_by(Board.position, Board.name))
    return _place_hits(query, rows)


def _meeting_hits(query: Query) -> list[PlaceHit]:
    # Scheduled meetings only: a cancelled one may have been taken down by a moderator.
    rows = db.session.execute(
        select(Meeting.id, Meeting.id, Meeting.title, Meeting.description)
        .where(Meeting.status == SCHEDULED).order_by(Meeting.id))
    return _place_hits(query, rows)


def search(raw: str, *, page: int = 1) -> Found:
    """Posts, meetings and boards matching every word of the query; posts whose thread title
    matches come first, then the rest by relevance. Meetings and boards on the first page."""
    query = parse(raw)
    found = Found(query)
    if not query.prefixes:
        return found
    page = max(1, min(page, MAX_PAGES))
    found.posts, found.more = _post_hits(query, page)
    found.more = found.more and page < MAX_PAGES
    if page == 1:
        found.boards = _board_hits(query)
        found.meetings = _meeting_hits(query)
    return found


def search_posts(raw: str, *, page: int = 1) -> tuple[list[Post], bool]:
    """Visible posts matching the words of the query, best first; and whether more follow."""
    query = parse(raw)
    if not query.prefixes:
        return [], False
    hits, more = _post_hits(query, max(1, min(page, MAX_PAGES)))
    return [hit.post for hit in hits], more
