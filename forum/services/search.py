"""Full-text search over what everyone may see: SQLite FTS5 or PostgreSQL tsvector.

The search_posts table is filled by database triggers (see the threads migration) with
published, undeleted posts only; the query joins back to posts and threads and checks visibility
again, so held, removed and deleted text never comes back. Author names are not indexed at all,
so an anonymous author can't be found by pseudonym.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import Post

PER_PAGE = 20
MAX_TERMS = 12
MAX_PAGES = 10
_WORD = re.compile(r"\w+", re.UNICODE)


def _terms(query: str) -> list[str]:
    return _WORD.findall(query or "")[:MAX_TERMS]


def _sqlite_ids(terms: list[str], offset: int) -> list[int]:
    # Every term quoted: member input is never parsed as FTS5 query syntax.
    match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
    rows = db.session.execute(
        text(
            "SELECT p.id FROM search_posts s"
            " JOIN posts p ON p.id = s.rowid"
            " JOIN threads t ON t.id = p.thread_id"
            " WHERE search_posts MATCH :match AND p.visible = :yes AND t.visible = :yes"
            " ORDER BY s.rank, p.id DESC LIMIT :limit OFFSET :offset"
        ),
        {"match": match, "yes": True, "limit": PER_PAGE + 1, "offset": offset},
    )
    return [row[0] for row in rows]


def _postgres_ids(terms: list[str], offset: int) -> list[int]:
    rows = db.session.execute(
        text(
            "SELECT p.id FROM search_posts s"
            " JOIN posts p ON p.id = s.post_id"
            " JOIN threads t ON t.id = p.thread_id,"
            " plainto_tsquery('english', :q) query"
            " WHERE s.document @@ query AND p.visible AND t.visible"
            " ORDER BY ts_rank(s.document, query) DESC, p.id DESC LIMIT :limit OFFSET :offset"
        ),
        {"q": " ".join(terms), "limit": PER_PAGE + 1, "offset": offset},
    )
    return [row[0] for row in rows]


def search_posts(query: str, *, page: int = 1) -> tuple[list[Post], bool]:
    """Visible posts matching the words of the query, best first; and whether more follow."""
    terms = _terms(query)
    page = max(1, min(page, MAX_PAGES))
    if not terms:
        return [], False
    offset = (page - 1) * PER_PAGE
    if db.engine.dialect.name == "postgresql":
        ids = _postgres_ids(terms, offset)
    else:
        ids = _sqlite_ids(terms, offset)
    more = len(ids) > PER_PAGE
    ids = ids[:PER_PAGE]
    if not ids:
        return [], False
    posts = {
        p.id: p
        for p in db.session.scalars(select(Post).options(lazyload(Post.thread)).where(
            Post.id.in_(ids)
        ))
    }
    # Checked again in Python: what is shown must be visible at the moment it is shown.
    ordered = [posts[i] for i in ids if i in posts]
    return [p for p in ordered if p.visible and p.thread.visible], more


def snippet(post: Post, length: int = 220) -> str:
    """A plain-text excerpt of a post (escaped by the template, never rendered as HTML)."""
    plain = re.sub(r"[*_`>#\[\]()~]+", " ", post.body_md)
    plain = re.sub(r"\s+", " ", plain).strip()
    return plain if len(plain) <= length else plain[: length - 1].rstrip() + "\u2026"
