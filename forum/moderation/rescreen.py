"""Remember content the classifier could not score, and screen it again later.

Content kinds register how to load their text and how to apply a new verdict; the queue holds
only references (kind, id, scope), never text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..extensions import db
from ..models.screening import PendingRescreen
from . import get_pipeline
from .verdict import Verdict

log = logging.getLogger("forum.moderation")
Loader = Callable[[int], "str | None"]
Applier = Callable[[int, Verdict], None]
_sources: dict[str, tuple[Loader, Applier]] = {}


def register_source(kind: str, load: Loader, apply: Applier) -> None:
    """Tell rescreen how to fetch the text of `kind` content and apply a fresh verdict."""
    _sources[kind] = (load, apply)


def remember(kind: str, content_id: int, scope: str) -> Any:
    """Queue content for `flask rescreen` (adds to the session; the caller commits)."""
    for pending in db.session.new:  # already queued in this transaction
        if (isinstance(pending, PendingRescreen) and pending.content_kind == kind
                and pending.content_id == content_id):
            return pending
    row = db.session.execute(
        db.select(PendingRescreen).filter_by(content_kind=kind, content_id=content_id)
    ).scalar_one_or_none()
    if row is None:
        row = PendingRescreen(content_kind=kind, content_id=content_id, scope=scope, attempts=0)
        db.session.add(row)
    log.info("moderation rescreen queued: %s %s", kind, content_id)
    return row


def run_rescreen(limit: int | None = None) -> dict[str, int]:
    """Screen queued content again; stop early while the classifier is still unavailable."""
    query = db.select(PendingRescreen).order_by(PendingRescreen.id)
    if limit:
        query = query.limit(limit)
    rows = db.session.execute(query).scalars().all()
    counts = {"pending": len(rows), "rescreened": 0, "missing": 0, "unknown_kind": 0,
              "still_unavailable": 0}
    pipeline = get_pipeline()
    for position, row in enumerate(rows):
        source = _sources.get(row.content_kind)
        if source is None:
            counts["unknown_kind"] += 1
            continue
        load, apply = source
        text = load(row.content_id)
        if text is None:  # the content was erased meanwhile
            db.session.delete(row)
            counts["missing"] += 1
            continue
        verdict = pipeline.screen(text, scope=row.scope)
        if verdict.needs_rescreen:
            row.attempts = (row.attempts or 0) + 1
            counts["still_unavailable"] = len(rows) - position
            break
        apply(row.content_id, verdict)
        db.session.delete(row)
        counts["rescreened"] += 1
    db.session.commit()
    log.info("moderation rescreen: %s", counts)
    return counts
