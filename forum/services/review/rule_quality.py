"""Which flags cry wolf: per rule, semantic category and classifier label, how often the items
it raised and a moderator closed needed follow-up, and how many urgent items it found.
Aggregates only: no content, no names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from ...extensions import db
from ...models import ReviewItem
from ...models.review import RESOLVED
from .. import clock

DAYS = 30
# Reports are members' words, one id each: nothing to measure per id.
MEASURED_SOURCES = ("rule", "semantic", "classifier")


@dataclass
class FlagQuality:
    """One flag's record over the window; precision counts only answered decisions."""

    source: str
    id: str
    decided: int = 0
    answered: int = 0
    needed: int = 0
    urgent: int = 0
    undecided: int = 0

    @property
    def precision(self) -> float | None:
        """Share of answered decisions that needed follow-up (None before any answer)."""
        return self.needed / self.answered if self.answered else None


def _sort_key(row: FlagQuality) -> tuple:
    # Lowest precision first; flags with no answer yet go last, busiest first within a tie.
    unknown = row.precision is None
    return (unknown, row.precision or 0.0, -row.decided, row.source, row.id)


def _cited(reasons: Iterable) -> set[tuple[str, str]]:
    """The (source, id) pairs an item cites, once each even if cited again on a reopen."""
    return {(r["source"], str(r["id"])) for r in reasons or ()
            if isinstance(r, dict) and r.get("source") in MEASURED_SOURCES and r.get("id")}


def flag_quality(days: int = DAYS, now: datetime | None = None) -> list[FlagQuality]:
    """Per flag, over the last `days`: items decided (and answered), those that needed
    follow-up, urgent items found and items raised but still undecided; one query."""
    now = now or clock.now()
    since = now - timedelta(days=days)
    rows = db.session.execute(
        select(ReviewItem.status, ReviewItem.priority, ReviewItem.followup_needed,
               ReviewItem.reasons)
        .where(or_(
            and_(ReviewItem.status == RESOLVED, ReviewItem.resolved_at >= since,
                 ReviewItem.resolved_at <= now),
            and_(ReviewItem.status != RESOLVED, ReviewItem.created_at >= since,
                 ReviewItem.created_at <= now),
        ))
    )
    table: dict[tuple[str, str], FlagQuality] = {}
    for status, priority, needed, reasons in rows:
        for key in _cited(reasons):
            row = table.get(key)
            if row is None:
                row = table[key] = FlagQuality(*key)
            if priority == "urgent":
                row.urgent += 1
            if status != RESOLVED:
                row.undecided += 1
                continue
            row.decided += 1
            if needed is not None:
                row.answered += 1
                row.needed += int(needed)
    return sorted(table.values(), key=_sort_key)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def text_table(rows: list[FlagQuality], days: int = DAYS) -> list[str]:
    """The table as plain lines for a terminal, in the order given."""
    if not rows:
        return [f"No flagged items in the last {days} days."]
    width = max(len("flag"), *(len(f"{r.source} {r.id}") for r in rows))
    heads = ("decided", "answered", "needed", "precision", "urgent", "undecided")
    lines = [f"{'flag':<{width}}" + "".join(f"{h:>11}" for h in heads)]
    for r in rows:
        cells = (r.decided, r.answered, r.needed, _percent(r.precision), r.urgent, r.undecided)
        lines.append(f"{r.source + ' ' + r.id:<{width}}" + "".join(f"{c:>11}" for c in cells))
    lines.append(f"Last {days} days. Precision counts decisions that answered whether the item"
                 " needed follow-up.")
    return lines
