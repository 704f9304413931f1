"""Background jobs run once per interval however many processes run the scheduler."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.models import JobLease
from forum.services import jobs

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def counted_job(app):
    """A registered job that counts its runs; removed again after the test."""
    runs: list[datetime] = []

    def run(now: datetime) -> int:
        runs.append(now)
        return 1

    jobs.register("test.counted", 60, run)
    yield jobs._JOBS["test.counted"], runs
    jobs._JOBS.pop("test.counted", None)


def test_a_held_lease_refuses_a_second_claimant(counted_job):
    job, _runs = counted_job
    assert jobs.claim(job, T0, holder="worker-a")
    assert not jobs.claim(job, T0, holder="worker-b")
    assert not jobs.claim(job, T0, holder="worker-b", force=True)
    jobs.release(job, T0, holder="worker-a")
    # Released, but it just ran: not due again until its interval has passed.
    assert not jobs.claim(job, T0 + timedelta(seconds=30), holder="worker-b")
    assert jobs.claim(job, T0 + timedelta(seconds=60), holder="worker-b")


def test_release_by_someone_else_changes_nothing(counted_job):
    job, _runs = counted_job
    assert jobs.claim(job, T0, holder="worker-a")
    jobs.release(job, T0, holder="worker-b")
    lease = db.session.get(JobLease, job.name)
    db.session.refresh(lease)
    assert lease.holder == "worker-a" and lease.last_run_at is None


def test_a_holder_that_died_loses_the_lease(counted_job):
    job, _runs = counted_job
    assert jobs.claim(job, T0, holder="worker-a")  # and never releases
    assert not jobs.claim(job, T0 + timedelta(seconds=jobs.LEASE_S - 1), holder="worker-b")
    assert jobs.claim(job, T0 + timedelta(seconds=jobs.LEASE_S + 1), holder="worker-b")


def test_a_failed_run_is_not_counted_as_a_run(app):
    def boom(now: datetime) -> int:
        raise RuntimeError("fails")

    jobs.register("test.boom", 60, boom)
    try:
        assert "test.boom" not in jobs.run_due(T0)
        lease = db.session.get(JobLease, "test.boom")
        db.session.refresh(lease)
        assert lease.last_run_at is None and lease.holder is None
    finally:
        jobs._JOBS.pop("test.boom", None)


def test_run_due_runs_each_job_once_per_interval(counted_job):
    job, runs = counted_job
    assert jobs.run_due(T0)["test.counted"] == 1
    job.last_run = None  # as another process would see it: no local memory of the run
    assert "test.counted" not in jobs.run_due(T0 + timedelta(seconds=10))
    assert jobs.run_due(T0 + timedelta(seconds=61))["test.counted"] == 1
    assert runs == [T0, T0 + timedelta(seconds=61)]


def test_two_schedulers_at_once_run_the_job_once(app, counted_job):
    job, runs = counted_job
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler(holder: str) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                if jobs.claim(job, T0, holder=holder):
                    job.run(T0)
                    jobs.release(job, T0, holder=holder)
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler, args=(f"proc-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert runs == [T0]


def test_a_forked_process_names_itself_not_its_parent():
    # gunicorn's master imports the forum and then forks its worker: the worker's leases,
    # presence entries and push claims must carry the worker's own name.
    import os

    parent = jobs.process_holder()
    assert jobs.process_holder() == parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, jobs.process_holder().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    os.close(read)
    assert child and child != parent and f":{pid}:" in child
