"""A job whose lease the database could not take back (it went away mid-run) neither waits out
the lease nor runs twice: the lease is given back at the next tick once the database answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from forum.models import JobLease
from forum.services import jobs

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _gone() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL ends the session (a restart)."""
    return OperationalError("UPDATE job_leases ...", {}, psycopg.OperationalError(
        "terminating connection due to administrator command"))


@pytest.fixture
def counted_job(app):
    """A registered job that counts its runs; removed again after the test."""
    runs: list[datetime] = []

    def run(now: datetime) -> int:
        runs.append(now)
        return 1

    jobs._UNRELEASED.clear()
    jobs.register("test.outage", 60, run)
    yield jobs._JOBS["test.outage"], runs
    jobs._JOBS.pop("test.outage", None)
    jobs._UNRELEASED.clear()


@pytest.fixture
def database_away(monkeypatch):
    """Make the next n calls of a jobs function for the test's job fail as if the database went
    away before (or just after) doing its work; other jobs are left alone."""

    def fail(name: str, times: int = 1, *, after: bool = True) -> None:
        real = getattr(jobs, name)
        left = [times]

        def failing(job, *args, **kwargs):
            if left[0] <= 0 or job.name != "test.outage":
                return real(job, *args, **kwargs)
            left[0] -= 1
            if after:
                real(job, *args, **kwargs)  # done, then the answer is lost
            raise _gone()

        monkeypatch.setattr(jobs, name, failing)

    return fail


def _lease() -> JobLease:
    lease = db.session.get(JobLease, "test.outage")
    db.session.refresh(lease)
    return lease


def test_a_finished_run_whose_release_failed_is_not_run_again(counted_job, database_away):
    job, runs = counted_job
    database_away("release", after=False)
    assert jobs.run_due(T0)["test.outage"] == 1  # it ran; its release did not reach the database
    assert _lease().holder == jobs.process_holder()
    job.last_run = None  # as another process would see it
    # The next tick gives the lease back as a finished run: not due again for its interval.
    assert "test.outage" not in jobs.run_due(T0 + timedelta(seconds=5))
    lease = _lease()
    assert lease.holder is None and lease.last_run_at == T0
    assert jobs.run_due(T0 + timedelta(seconds=61))["test.outage"] == 1
    assert runs == [T0, T0 + timedelta(seconds=61)]


def test_a_run_cut_by_the_outage_runs_again_once_it_is_back(counted_job, database_away,
                                                            monkeypatch):
    job, runs = counted_job
    cut = [True]
    real_run = job.run

    def run(now: datetime) -> int:
        if cut.pop() if cut else False:
            raise _gone()
        return real_run(now)

    monkeypatch.setattr(job, "run", run)
    database_away("release", after=False)
    assert "test.outage" not in jobs.run_due(T0)
    assert _lease().holder == jobs.process_holder()  # still held: the release failed too
    # Back: the lease is given back unrun at the next tick, and the job runs in it, once.
    assert jobs.run_due(T0 + timedelta(seconds=5))["test.outage"] == 1
    assert runs == [T0 + timedelta(seconds=5)]
    assert "test.outage" not in jobs.run_due(T0 + timedelta(seconds=10))
    assert _lease().holder is None


def test_a_claim_whose_answer_was_lost_is_given_back(counted_job, database_away):
    job, runs = counted_job
    database_away("claim", after=True)  # the lease was taken, the process never heard
    assert "test.outage" not in jobs.run_due(T0)
    assert runs == []
    # Not stuck for LEASE_S: given back at the next tick, and the job runs.
    assert jobs.run_due(T0 + timedelta(seconds=5))["test.outage"] == 1
    assert runs == [T0 + timedelta(seconds=5)]


def test_nothing_is_claimed_while_the_lease_cannot_be_given_back(counted_job, database_away):
    job, runs = counted_job
    database_away("release", times=2, after=False)
    assert jobs.run_due(T0)["test.outage"] == 1
    # Still away at the next tick: nothing runs, the lease stays this process's to give back.
    assert jobs.run_due(T0 + timedelta(seconds=61)) == {}
    assert jobs._UNRELEASED == {"test.outage": (T0, True)}
    # Back: given back as the finished run it was, then due again and run.
    assert jobs.run_due(T0 + timedelta(seconds=62))["test.outage"] == 1
    assert runs == [T0, T0 + timedelta(seconds=62)]
