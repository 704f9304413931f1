"""Named background jobs (alert escalation, claim lapses, queue snapshots) and a small
scheduler started by each serving process.

Several processes may run the scheduler at once (several gunicorn workers, several hosts): a job
runs only in the process that wins its lease, a conditional UPDATE of its job_leases row that
succeeds for one process when the interval has passed and nobody holds the job. The same row-level
claim works on SQLite and PostgreSQL; a holder that dies mid-run loses the lease after LEASE_S.
A lease whose release the database did not take (it went away mid-run) is given back at the next
tick once it answers, with what the run did: a run that finished is not run again before its
interval, one cut short runs again at once, and nobody waits LEASE_S.
Process-local jobs (the room-exit sweep over this process's own connections) run in every
process at every tick, without a lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError

from ..errors import database_unreachable, note_unavailable
from ..extensions import db
from ..models import JobLease
from ..moderation.rescreen import run_rescreen
from . import clock

log = logging.getLogger("forum.jobs")
TICK_S = 30
LEASE_S = 300
_holder: tuple[int, str] | None = None


def process_holder() -> str:
    """This process's name in job leases, presence and push claims: host, pid and a random
    part. Made in the process that uses it: gunicorn's master imports the forum before it
    forks, and a name made there would be every worker's."""
    global _holder
    pid = os.getpid()
    if _holder is None or _holder[0] != pid:
        _holder = (pid, f"{socket.gethostname()[:40]}:{pid}:{uuid.uuid4().hex[:8]}")
    return _holder[1]


@dataclass
class Job:
    """A named job run every interval_s seconds."""

    name: str
    interval_s: int
    run: Callable[[datetime], int]
    last_run: datetime | None = None


_JOBS: dict[str, Job] = {}
# Leases this process may hold whose release failed: job name → (the run's time, did it finish).
_UNRELEASED: dict[str, tuple[datetime, bool]] = {}
_unreleased_lock = threading.Lock()
# Jobs about one process's own state (its live connections): every process runs them at each
# tick, without a lease.
_LOCAL: dict[str, Callable[[datetime], int]] = {}


def register(name: str, interval_s: int, run: Callable[[datetime], int]) -> None:
    """Add a job to the registry (re-registering keeps the last run time)."""
    if name not in _JOBS:
        _JOBS[name] = Job(name, interval_s, run)


def register_local(name: str, run: Callable[[datetime], int]) -> None:
    """Add a job that every serving process runs at each tick of its scheduler."""
    _LOCAL[name] = run


def run_local(now: datetime | None = None) -> dict[str, int]:
    """Run every process-local job once; returns counts per job (a failed job is logged and
    left out, and does not stop the others)."""
    now = now or clock.now()
    done: dict[str, int] = {}
    for name, run in list(_LOCAL.items()):
        try:
            done[name] = run(now)
        except Exception as exc:
            _rollback()
            _failed("local job failed", name, exc)
            continue
        if done[name]:
            log.info("local job ran name=%s count=%s", name, done[name])
    return done


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
        pass


def _failed(what: str, name: str, exc: BaseException) -> None:
    """Log a failed step: one quiet line a while when the database is away, else the error."""
    if database_unreachable(exc):
        note_unavailable("jobs")
    else:
        log.error("%s name=%s", what, name, exc_info=exc)


def _give_back_unreleased() -> bool:
    """Release the leases whose release failed earlier; False while the database is away."""
    with _unreleased_lock:
        for name, (at, ran) in list(_UNRELEASED.items()):
            job = _JOBS.get(name)
            try:
                if job is not None:
                    release(job, at, ran=ran)
            except Exception as exc:
                _rollback()
                _failed("job lease release failed", name, exc)
                return False
            del _UNRELEASED[name]
    return True


def _keep_unreleased(name: str, at: datetime, ran: bool) -> None:
    with _unreleased_lock:
        _UNRELEASED[name] = (at, ran)


def registered() -> list[str]:
    """The names of all jobs."""
    return sorted(_JOBS)


def intervals() -> dict[str, int]:
    """Each job's interval in seconds, by name."""
    return {job.name: job.interval_s for job in _JOBS.values()}


def _ensure_row(name: str) -> None:
    if db.session.get(JobLease, name) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(JobLease(name=name))
    except IntegrityError:
        pass  # another process made it first
    db.session.commit()


def claim(job: Job, now: datetime, *, holder: str | None = None, force: bool = False) -> bool:
    """Take the job's lease if it is due and free; True for exactly one claimant."""
    holder = holder or process_holder()
    _ensure_row(job.name)
    free = or_(JobLease.lease_until.is_(None), JobLease.lease_until < now)
    due = or_(
        JobLease.last_run_at.is_(None),
        JobLease.last_run_at <= now - timedelta(seconds=job.interval_s),
    )
    condition = and_(JobLease.name == job.name, free) if force else and_(
        JobLease.name == job.name, free, due)
    result = db.session.execute(
        update(JobLease).where(condition)
        .values(holder=holder, lease_until=now + timedelta(seconds=LEASE_S))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def release(job: Job, now: datetime, *, holder: str | None = None, ran: bool = True) -> None:
    """Give the lease back; a run that finished counts as the job's last run."""
    holder = holder or process_holder()
    values: dict = {"holder": None, "lease_until": None}
    if ran:
        values["last_run_at"] = now
    db.session.execute(
        update(JobLease).where(JobLease.name == job.name, JobLease.holder == holder)
        .values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_due(now: datetime | None = None, *, force: bool = False) -> dict[str, int]:
    """Run every job that is due and whose lease this process wins (every free one with
    force); returns counts per job that ran here."""
    now = now or clock.now()
    done: dict[str, int] = {}
    if not _give_back_unreleased():
        return done  # the database is still away: nothing can be claimed either
    for job in list(_JOBS.values()):
        if not force and job.last_run is not None and (
                now - job.last_run).total_seconds() < job.interval_s:
            continue  # ran here recently: no need to ask the database
        try:
            if not claim(job, now, force=force):
                continue
        except Exception as exc:
            _rollback()
            _failed("job lease failed", job.name, exc)
            # The claim may have been stored before its answer was lost: give it back.
            _keep_unreleased(job.name, now, False)
            continue
        ran = False
        try:
            done[job.name] = job.run(now)
            ran = True
        except Exception as exc:
            _rollback()
            _failed("job failed", job.name, exc)
        finally:
            try:
                release(job, now, ran=ran)
            except Exception as exc:
                _rollback()
                _failed("job lease release failed", job.name, exc)
                _keep_unreleased(job.name, now, ran)
        if ran:
            job.last_run = now
            log.info("job ran name=%s count=%s", job.name, done[job.name])
    return done


def rescreen_batch(now: datetime) -> int:
    """Screen again what the classifier could not score when it was written."""
    return run_rescreen(RESCREEN_BATCH)["rescreened"]


RESCREEN_BATCH = 200


def start_scheduler(app: Flask, interval_s: float | None = None) -> threading.Thread:
    """Run process-local jobs and due jobs every interval_s seconds (JOBS_TICK_S) in a daemon
    thread of each serving process; leases keep each due job's run to one process."""
    stop = threading.Event()
    interval_s = interval_s or float(app.config.get("JOBS_TICK_S", TICK_S))

    def loop() -> None:
        while not stop.wait(interval_s):
            # Local jobs first: they are quick, and a long due job must not delay them. Nothing
            # that escapes a run may end the thread, which is the only scheduler this process has.
            for run in (run_local, run_due):
                try:
                    with app.app_context():
                        try:
                            run()
                        finally:
                            db.session.remove()
                except Exception as exc:
                    _failed("scheduler tick failed", run.__name__, exc)

    thread = threading.Thread(target=loop, name="forum-jobs", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    log.info("job scheduler started interval_s=%s", interval_s)
    return thread

