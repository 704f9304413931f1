"""Named background jobs (alert escalation, claim lapses, queue snapshots) and a small
in-process scheduler started only by the serving entry point (python -m forum)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from ..extensions import db
from . import clock

log = logging.getLogger("forum.jobs")
TICK_S = 30


@dataclass
class Job:
    """A named job run every interval_s seconds."""

    name: str
    interval_s: int
    run: Callable[[datetime], int]
    last_run: datetime | None = None


_JOBS: dict[str, Job] = {}


def register(name: str, interval_s: int, run: Callable[[datetime], int]) -> None:
    """Add a job to the registry (re-registering keeps the last run time)."""
    if name not in _JOBS:
        _JOBS[name] = Job(name, interval_s, run)


def registered() -> list[str]:
    """The names of all jobs."""
    return sorted(_JOBS)


def run_due(now: datetime | None = None, *, force: bool = False) -> dict[str, int]:
    """Run every job whose interval has passed (all of them with force); returns counts."""
    now = now or clock.now()
    done: dict[str, int] = {}
    for job in list(_JOBS.values()):
        if not force and job.last_run is not None and (
                now - job.last_run).total_seconds() < job.interval_s:
            continue
        try:
            done[job.name] = job.run(now)
        except Exception:
            db.session.rollback()
            log.exception("job failed name=%s", job.name)
            continue
        job.last_run = now
    return done


def _register_defaults() -> None:
    from . import review_alerts, review_claims, team_stats

    register("review.escalate", 30, review_alerts.run_escalation)
    register("review.lapse", 60, review_claims.run_lapse)
    register("review.snapshot", 900, team_stats.take_snapshot)


def start_scheduler(app: Flask, interval_s: int = TICK_S) -> threading.Thread:
    """Run due jobs every interval_s seconds in a daemon thread (serving process only)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_s):
            with app.app_context():
                try:
                    run_due()
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="forum-jobs", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    log.info("job scheduler started interval_s=%s", interval_s)
    return thread


_register_defaults()
