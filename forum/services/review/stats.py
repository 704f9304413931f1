"""The team view for admins: queue size over time, time to first action by priority against
targets, decisions by category, and which flags cry wolf. Aggregates only: no content, no
names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ...errors import NotFound
from ...extensions import db
from ...models import QueueSnapshot, ReviewDecision, ReviewItem, User
from ...models.review import OPEN, PRIORITIES
from .. import clock, transaction
from . import rule_quality

TARGETS_S = {"urgent": 5 * 60, "high": 3600, "normal": 24 * 3600}
WINDOW = timedelta(days=30)


def can_view(user: User | None) -> bool:
    """Admins see the team view."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role("admin")


def take_snapshot(now: datetime | None = None) -> int:
    """Record the open queue's size by priority (a job)."""
    now = now or clock.now()
    rows = db.session.execute(select(ReviewItem.priority, func.count(ReviewItem.id))
                              .where(ReviewItem.status == OPEN).group_by(ReviewItem.priority))
    by = {p: n for p, n in rows}
    db.session.add(QueueSnapshot(taken_at=now, open_count=sum(by.values()), by_priority=by))
    transaction.commit()
    return 1


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(pct * (len(ordered) - 1)))))
    return ordered[index]


@dataclass(frozen=True)
class Timing:
    """Time to first action for one priority, in seconds."""

    priority: str
    count: int
    median_s: float | None
    p90_s: float | None
    target_s: int | None

    @property
    def meets_target(self) -> bool | None:
        """Does the 90th percentile meet the target?"""
        if self.p90_s is None or self.target_s is None:
            return None
        return self.p90_s <= self.target_s


def first_action_times(now: datetime | None = None) -> list[Timing]:
    """Median and 90th percentile of time to first action per priority (last 30 days)."""
    now = now or clock.now()
    rows = db.session.execute(
        select(ReviewItem.priority, ReviewItem.created_at, ReviewItem.first_action_at)
        .where(ReviewItem.first_action_at.is_not(None), ReviewItem.created_at >= now - WINDOW)
    )
    waits: dict[str, list[float]] = {p: [] for p in PRIORITIES}
    for priority, created, first in rows:
        waits.setdefault(priority, []).append(max(0.0, (first - created).total_seconds()))
    out = []
    for p in PRIORITIES:
        vals = waits.get(p) or []
        out.append(Timing(p, len(vals), _percentile(vals, .5) if vals else None,
                          _percentile(vals, .9) if vals else None, TARGETS_S.get(p)))
    return out


def decisions_by_category(now: datetime | None = None) -> dict[str, dict[str, int]]:
    """category -> decision -> count (last 30 days)."""
    now = now or clock.now()
    rows = db.session.execute(
        select(ReviewDecision.category, ReviewDecision.decision, func.count(ReviewDecision.id))
        .where(ReviewDecision.created_at >= now - WINDOW)
        .group_by(ReviewDecision.category, ReviewDecision.decision)
    )
    out: dict[str, dict[str, int]] = {}
    for cat, decision, n in rows:
        out.setdefault(cat or "report", {})[decision] = n
    return dict(sorted(out.items()))


def queue_sizes(now: datetime | None = None, limit: int = 96) -> list[tuple[datetime, int]]:
    """The latest snapshots, oldest first."""
    rows = db.session.execute(select(QueueSnapshot.taken_at, QueueSnapshot.open_count)
                              .order_by(QueueSnapshot.taken_at.desc()).limit(limit)).all()
    return [(t, n) for t, n in reversed(rows)]


def polyline(points: list[tuple[datetime, int]], width: int = 600, height: int = 160) -> str:
    """SVG polyline points for a queue-size chart (server-rendered, no script)."""
    if not points:
        return ""
    top = max(n for _, n in points) or 1
    step = width / max(1, len(points) - 1)
    return " ".join(f"{round(i * step, 1)},{round(height - n / top * height, 1)}"
                    for i, (_, n) in enumerate(points))


def team_view(*, acting_user: User, now: datetime | None = None) -> dict:
    """Everything the team page shows."""
    if not can_view(acting_user):
        raise NotFound()
    sizes = queue_sizes(now)
    return {"sizes": sizes, "line": polyline(sizes), "max_size": max((n for _, n in sizes),
            default=0), "timings": first_action_times(now),
            "decisions": decisions_by_category(now),
            "quality": rule_quality.flag_quality(rule_quality.DAYS, now)}
