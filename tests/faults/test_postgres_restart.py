"""PostgreSQL stops and starts again while members post and chat on two forum processes.

A private PostgreSQL and Redis serve two gunicorn processes. Members post through the real forms
and chat through real Socket.IO clients (each send with its client_id) on both processes; the
database is stopped (as `pg_ctl stop -m fast` does for an upgrade: every session cut at once),
left down for a few seconds and started again. Neither forum process is restarted.

During the gap a form gets a 503 page that says the forum is briefly unavailable, with a
Retry-After and the member's text on it; a chat send gets an `unavailable` ack holding its text,
and the client sends it again with the same client_id (as static/js/chat.js does) until it is
stored. After it, both processes serve again by themselves. Every post that redirected and every
acknowledged message is stored exactly once, no thread lacks its first post, the scheduler runs
jobs again, and no job ran twice. Then a quick `pg_ctl restart` while nobody writes: the next
request on each process succeeds at once (the pool's stale connections are never handed out).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures import faults as fs, scaleout as so

pytestmark = [
    pytest.mark.faults,
    pytest.mark.live,
    # Client sockets cut by the outage are collected in this module (see _collect).
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ROOM = "coffee-room"
BOARD = "daily-check-ins"
OUTAGE_S = 5.0
# As static/js/chat.js: an `unavailable` send is tried again with the same client_id, for up to
# this long, before the member is told.
RETRY_FOR_S = 30.0
ANSWER_TIMEOUT_S = 15
UNAVAILABLE = "briefly unavailable"
POST_ID = re.compile(r"#p(\d+)$")
THREAD_ID = re.compile(r"/t/(\d+)")
JOB_RAN = re.compile(r"^(\S+ \S+) \[(\d+)\] INFO forum\.jobs: job ran name=(\S+)", re.M)


class Poster(threading.Thread):
    """A member posting replies and new threads through the forms until stopped."""

    def __init__(self, process: so.Process, name: str, thread_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.process, self.member, self.thread_ids = process, name, thread_ids
        self.session = so.login(process.url, name)
        self.token = so.csrf_token(self.session, f"{process.url}/t/{thread_ids[0]}/reply")
        # (sent at, finished at, status, body, Location or the page, Retry-After)
        self.answers: list[tuple[float, float, int, str, str, str | None]] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                # Unique in this fresh database; no long run of digits (a phone number is held).
                body = f"Holding on today, note {n} from {self.member}."
                if n % 4 == 0:
                    target = f"{self.process.url}/c/{BOARD}/new"
                    data = {"title": f"A steady evening, {n}", "body": body}
                else:
                    thread_id = self.thread_ids[n % len(self.thread_ids)]
                    target = f"{self.process.url}/t/{thread_id}/reply"
                    data = {"body": body}
                sent = time.monotonic()
                answer = self.session.post(target, data={**data, "csrf_token": self.token},
                                           allow_redirects=False, timeout=ANSWER_TIMEOUT_S)
                where = answer.headers.get("Location", "") if answer.status_code == 302 else (
                    answer.text)
                self.answers.append((sent, time.monotonic(), answer.status_code, body, where,
                                     answer.headers.get("Retry-After")))
                time.sleep(0.1)
        except BaseException as exc:  # reported by the test with the member's name
            self.error = exc


class Chatter(threading.Thread):
    """A member chatting until stopped; an `unavailable` send is sent again with the same
    client_id with a growing wait, as the browser client does."""

    def __init__(self, process: so.Process, name: str) -> None:
        super().__init__(daemon=True)
        self.member = name
        self.listener = so.Listener(process.url, so.login(process.url, name), "/chat")
        joined = self.listener.call("join", {"room": ROOM})
        assert joined["ok"], joined
        self.acked: dict[str, int] = {}       # client_id → message id
        self.texts: dict[str, str] = {}       # client_id → text
        self.retried: list[tuple[float, dict]] = []  # (when, ack) of each `unavailable` ack
        self.refused: list[dict] = []         # any other refusal (must stay empty)
        self.gave_up: list[str] = []          # client_ids not stored within RETRY_FOR_S
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def send_until_stored(self, client_id: str, words: str) -> None:
        first = time.monotonic()
        wait = 0.25
        while True:
            ack = self.listener.call("send", {"room": ROOM, "client_id": client_id,
                                              "text": words}, timeout=ANSWER_TIMEOUT_S)
            if ack.get("ok"):
                self.acked[client_id] = ack["message"]["id"]
                return
            if ack.get("error") != "unavailable" or not ack.get("retry"):
                self.refused.append(ack)
                return
            self.retried.append((time.monotonic(), ack))
            if time.monotonic() - first > RETRY_FOR_S:
                self.gave_up.append(client_id)
                return
            time.sleep(wait)
            wait = min(wait * 2, 2.0)

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                client_id = f"{self.member}-{n}-{uuid.uuid4().hex[:8]}"
                words = f"Checking in from {self.member}, message {n}."
                self.texts[client_id] = words
                self.send_until_stored(client_id, words)
                time.sleep(0.1)
        except BaseException as exc:  # reported by the test with the member's name
            self.error = exc


def _engine(env):
    return create_engine(env["FORUM_DATABASE_URL"])


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _wait_until(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _job_runs(log_paths: list[Path]) -> dict[str, list[datetime]]:
    """When each job ran, from both processes' logs ("job ran name=..." lines)."""
    runs: dict[str, list[datetime]] = defaultdict(list)
    for path in log_paths:
        for stamp, _pid, name in JOB_RAN.findall(path.read_text()):
            runs[name].append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"))
    return {name: sorted(times) for name, times in runs.items()}


def test_postgres_restart_while_members_post_and_chat(tmp_path, monkeypatch):
    # The members post faster than the posting limit allows; the limit has its own tests.
    monkeypatch.setenv("FORUM_POSTING_RATE_LIMIT", "100000 per minute")
    from forum.services import jobs, wiring

    wiring.connect()
    intervals = jobs.intervals()

    with fs.private_postgres() as pg, fs.private_redis() as redis_server, so.deployment(
            tmp_path, "forum_pg_restart", processes=2, admin_url=pg.admin_url,
            redis_url=redis_server.url) as (env, (a, b)):
        engine = _engine(env)
        pids = [a.proc.pid, b.proc.pid]
        chatters: list[Chatter] = []
        posters: list[Poster] = []
        try:
            thread_ids = [row[0] for row in _rows(
                engine, "SELECT id FROM threads WHERE visible ORDER BY id")]
            assert len(thread_ids) >= 2
            # Each member replies in threads of their own: two replies at once in one thread
            # are another matter than this fault.
            posters = [Poster(a, "steady-heron", thread_ids[0::2]),
                       Poster(b, "morning-cedar", thread_ids[1::2])]
            chatters = [Chatter(a, "sam-lantern"), Chatter(b, "rowan-pine")]
            engine.dispose()  # the test's own connections must not live through the restart
            for worker in posters + chatters:
                worker.start()
            assert _wait_until(lambda: all(len(p.answers) >= 5 for p in posters)
                               and all(len(c.acked) >= 5 for c in chatters), 30)

            stopped_at = time.monotonic()
            pg.stop(mode="fast")
            time.sleep(OUTAGE_S)
            pg.start()
            started_at = time.monotonic()
            started_wall = datetime.now(UTC)

            # Both processes serve again by themselves: a post sent after the start is saved.
            def recovered(poster: Poster) -> bool:
                return any(sent > started_at and status == 302
                           for sent, _, status, *_ in list(poster.answers))

            assert _wait_until(lambda: all(recovered(p) for p in posters), 30), \
                "a process did not serve again after PostgreSQL came back"
            recovery_s = [min(done for sent, done, status, *_ in p.answers
                              if sent > started_at and status == 302) - started_at
                          for p in posters]
            time.sleep(2)
        finally:
            for worker in posters + chatters:
                worker.stop.set()
            for worker in posters + chatters:
                worker.join(timeout=RETRY_FOR_S + 2 * ANSWER_TIMEOUT_S)

        try:
            assert not [w.member for w in posters + chatters if w.is_alive()]
            errors = {w.member: repr(w.error) for w in posters + chatters if w.error}
            assert not errors, errors

            # Every form answer was a redirect (saved) or a clear 503 keeping the text.
            answers = [answer for p in posters for answer in p.answers]
            statuses = {status for _, _, status, *_ in answers}
            assert statuses <= {302, 503}, [
                (status, page[:300]) for _, _, status, _, page, _ in answers
                if status not in (302, 503)][:3]
            unavailable = [answer for answer in answers if answer[2] == 503]
            assert unavailable, "no form was sent while the database was away"
            for _, _, _, body, page, retry_after in unavailable:
                assert retry_after and retry_after.isdigit(), retry_after
                assert UNAVAILABLE in page
                assert body in page, "the 503 page lost the member's text"
            gap = [(sent, done) for sent, done, status, *_ in answers if status == 503]
            gap_s = max(done for _, done in gap) - min(sent for sent, _ in gap)

            # Chat: only `unavailable` acks, each with its text; all stored within 30 s.
            refused = [ack for c in chatters for ack in c.refused]
            assert not refused, refused[:3]
            assert not [c.gave_up for c in chatters if c.gave_up]
            retried = [(when, ack) for c in chatters for when, ack in c.retried]
            assert retried, "no chat message was sent while the database was away"
            for c in chatters:
                for _, ack in c.retried:
                    assert ack["text"] in c.texts.values()
                    assert ack["message"]

            # The same processes still run: the pool reconnected without a restart.
            assert [a.proc.pid, b.proc.pid] == pids
            assert a.proc.poll() is None and b.proc.poll() is None

            # Sent again with the same client_id, an acknowledged message is not stored again.
            for c in chatters:
                for client_id in list(c.acked)[-3:]:
                    again = c.listener.call("send", {"room": ROOM, "client_id": client_id,
                                                     "text": c.texts[client_id]})
                    assert again["ok"] and again["message"]["id"] == c.acked[client_id]

            engine = _engine(env)
            # Every acknowledged message is stored once, under the id its ack named.
            acked = {cid: mid for c in chatters for cid, mid in c.acked.items()}
            stored = dict(_rows(engine, "SELECT client_id, id FROM chat_messages "
                                        "WHERE client_id = ANY(:ids)", ids=list(acked)))
            assert stored == acked
            assert _rows(engine, "SELECT count(*) - count(DISTINCT (author_id, client_id)) "
                                 "FROM chat_messages")[0][0] == 0

            # Every saved post is stored once, where its redirect said; none is half-written.
            for _, _, status, body, where, _ in answers:
                rows = _rows(engine, "SELECT id, thread_id FROM posts WHERE body_md = :body",
                             body=body)
                if status == 302:
                    assert len(rows) == 1, (where, rows)
                    post_id = POST_ID.search(where)
                    if post_id:
                        assert rows[0][0] == int(post_id.group(1))
                    else:
                        assert rows[0][1] == int(THREAD_ID.search(where).group(1))
                else:
                    assert len(rows) <= 1
            saved_on_503 = sum(
                1 for _, _, status, body, _, _ in unavailable
                if _rows(engine, "SELECT 1 FROM posts WHERE body_md = :b", b=body))
            assert not _rows(engine, "SELECT t.id FROM threads t WHERE NOT EXISTS ("
                                     "SELECT 1 FROM posts p WHERE p.thread_id = t.id "
                                     "AND p.is_opening)")
            assert not _rows(engine, """
                SELECT t.id FROM threads t WHERE t.reply_count <> (
                  SELECT count(*) FROM posts p WHERE p.thread_id = t.id
                  AND NOT p.is_opening AND p.visible)""")

            # The scheduler runs jobs again after the restart, on its own.
            def ran_since_start() -> bool:
                return bool(_rows(engine, "SELECT 1 FROM job_leases WHERE last_run_at > :t",
                                  t=started_wall - timedelta(seconds=1)))

            assert _wait_until(ran_since_start, 45, step=1), "no job ran after the restart"
            # No lease is left held from before the restart (a run cut by the outage gave it
            # back): every lease still held was taken since.
            stuck = _rows(engine, "SELECT name FROM job_leases WHERE lease_until IS NOT NULL "
                                  "AND lease_until < :t",
                          t=started_wall + timedelta(seconds=jobs.LEASE_S - 1))
            assert not stuck, stuck
            engine.dispose()

            # No job ran twice: runs of one job, on either process, are a full interval apart.
            runs = _job_runs([a.log_path, b.log_path])
            assert runs
            for name, times in runs.items():
                assert name in intervals, f"{name} is not a job this test knows"
                for earlier, later in zip(times, times[1:], strict=False):
                    assert (later - earlier).total_seconds() >= intervals[name] - 2, (name, times)

            # A quick `pg_ctl restart` while nobody writes: the next request on each process
            # is answered at once, not with a stale pooled connection's error.
            so.close_sessions()
            pg.restart()
            for process, name in ((a, "steady-heron"), (b, "morning-cedar")):
                session = so.login(process.url, name)
                answer = session.get(f"{process.url}/t/{thread_ids[0]}", timeout=10)
                assert answer.status_code == 200, answer.text[:300]
        finally:
            for c in chatters:
                c.listener.close()

    print(f"\n503 gap {gap_s:.2f} s (database down {OUTAGE_S:.0f} s, "
          f"{started_at - stopped_at:.2f} s with its start); "
          f"recovery after start {', '.join(f'{r:.2f}' for r in recovery_s)} s; "
          f"{len(unavailable)} forms got 503 ({saved_on_503} of them had been saved), "
          f"{len(retried)} chat sends were retried, {len(acked)} messages stored")


@pytest.fixture(autouse=True)
def _collect():
    """Collect this module's leftover client sockets before the next module's tests run."""
    yield
    import gc

    gc.collect()
