"""One forum process on SQLite under fifty writers at once: nothing fails, nothing is lost.

The production server (gunicorn, forum.gunicorn_conf) serves a SQLite file holding the demo
community. Fifty members sign in together, then write together: half post new threads and
replies through the real forms (CSRF token, redirect), half chat through real Socket.IO clients
(client_id, ack). SQLite lets one writer in at a time; every other writer must wait its turn,
not fail. Afterwards every post that redirected and every acknowledged message is in the
database exactly once, each thread counts its replies right, no member saw an error, and the
log holds neither "database is locked" nor the outage line ("database unreachable").
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import _base_config
from tests.fixtures import scaleout as so
from tests.livesrv import _seeded_copy

pytestmark = [
    pytest.mark.faults,
    pytest.mark.live,
    # Client sockets of the stopped server are collected in this module (see _collect).
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

WRITERS = 50
POSTERS = 25  # the other writers chat
POSTS_EACH = 12
MESSAGES_EACH = 20
ROOMS = ("coffee-room", "night-owls")
BOARD = "daily-check-ins"
PASSWORD = so.DEMO_PASSWORD
# Each answer may wait as long as a member's browser would before giving up.
ANSWER_TIMEOUT_S = 60
POST_ID = re.compile(r"#p(\d+)$")
THREAD_ID = re.compile(r"/t/(\d+)")
_LETTERS = str.maketrans("0123456789abcdef", "ghijklmnopqrstuv")


def _word() -> str:
    """A made-up word telling one post from every other (digits could read as an id number,
    which would hold the post for review)."""
    return uuid.uuid4().hex[:12].translate(_LETTERS)


def _add_members(database_url: str, names: list[str]) -> None:
    """Sign the extra members up through the services, as the sign-up form would."""
    from forum import create_app
    from forum.extensions import db
    from forum.services.accounts import account as accounts, guidelines

    app = create_app(_base_config(database_url, ""))
    with app.app_context():
        version = guidelines.current_version().id
        for name in names:
            accounts.check_signup(name, PASSWORD, PASSWORD, agreed_guidelines_version=version)
        db.session.remove()
        db.engine.dispose()


class Writer(threading.Thread):
    """One member: signs in, gets ready, waits for the others, then writes."""

    def __init__(self, url: str, name: str, start_line: threading.Barrier):
        super().__init__(daemon=True)
        self.url, self.name, self.start_line = url, name, start_line
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.write(self.get_ready(so.login(self.url, self.name)))
        except BaseException as exc:  # reported by the test, with the writer's name
            self.error = exc
            self.start_line.abort()  # the others stop waiting for this one

    def get_ready(self, session):
        raise NotImplementedError

    def write(self, ready) -> None:
        raise NotImplementedError


class Poster(Writer):
    """Posts new threads and replies through the forms, one after another."""

    def __init__(self, url: str, name: str, start_line: threading.Barrier, reply_to: list[int]):
        super().__init__(url, name, start_line)
        self.reply_to = reply_to
        self.saved: list[tuple[str, str]] = []  # (body, where the redirect pointed)
        self.refused: list[tuple[int, str]] = []  # (status, the answer)

    def get_ready(self, session):
        # A token lives as long as the session (WTF_CSRF_TIME_LIMIT is None).
        return session, so.csrf_token(session, f"{self.url}/t/{self.reply_to[0]}/reply")

    def write(self, ready) -> None:
        session, token = ready
        self.start_line.wait(timeout=120)
        for n in range(POSTS_EACH):
            body = f"Still here and grateful tonight, note {n} ({_word()})."
            if n % 3 == 0:
                target = f"{self.url}/c/{BOARD}/new"
                data = {"title": f"Evening note {n} from {self.name}", "body": body}
            else:
                target = f"{self.url}/t/{self.reply_to[n % len(self.reply_to)]}/reply"
                data = {"body": body}
            answer = session.post(target, data={**data, "csrf_token": token},
                                  allow_redirects=False, timeout=ANSWER_TIMEOUT_S)
            if answer.status_code == 302:
                self.saved.append((body, answer.headers["Location"]))
            else:
                self.refused.append((answer.status_code, answer.text))


class Chatter(Writer):
    """Sends chat messages, each with its own client_id, waiting for every ack."""

    def __init__(self, url: str, name: str, start_line: threading.Barrier, room: str):
        super().__init__(url, name, start_line)
        self.room = room
        self.acked: dict[str, int] = {}  # client_id → the acknowledged message's id
        self.refused: list[dict] = []
        self.listener: so.Listener | None = None

    def get_ready(self, session):
        self.listener = so.Listener(self.url, session, "/chat")
        joined = self.listener.call("join", {"room": self.room}, timeout=ANSWER_TIMEOUT_S)
        assert joined["ok"], joined
        return self.listener

    def write(self, listener) -> None:
        self.start_line.wait(timeout=120)
        for n in range(MESSAGES_EACH):
            client_id = f"{self.name}-{n}-{uuid.uuid4().hex[:8]}"
            ack = listener.call("send", {
                "room": self.room, "client_id": client_id,
                "text": f"One more evening check-in, number {n}.",
            }, timeout=ANSWER_TIMEOUT_S)
            if ack.get("ok"):
                self.acked[client_id] = ack["message"]["id"]
            else:
                self.refused.append(ack)


def test_fifty_writers_on_one_sqlite_process_all_succeed(tmp_path: Path):
    database = tmp_path / "forum.sqlite3"
    env = so.base_env(f"sqlite:///{database}", tmp_path)
    env.pop("FORUM_REDIS_URL")  # one process: limits and presence in its memory
    env.update({
        # Far faster than a member may post or sign in; the limits have their own tests. The
        # chat limit is raised by base_env.
        "FORUM_POSTING_RATE_LIMIT": "100000 per minute",
        "FORUM_LOGIN_RATE_LIMIT": "100000 per minute",
    })
    _seeded_copy(database, env, {})
    names = ["steady-heron", "morning-cedar"] + [
        f"evening-writer-{i:02d}" for i in range(WRITERS - 2)]
    _add_members(f"sqlite:///{database}", names[2:])
    with sqlite3.connect(database) as conn:
        demo_threads = [row[0] for row in conn.execute(
            "SELECT id FROM threads WHERE visible ORDER BY id")]
    assert demo_threads

    log_path = tmp_path / "server.log"
    process = so.Process(env, log_path)
    start_line = threading.Barrier(WRITERS + 1)
    posters = [Poster(process.url, name, start_line, demo_threads) for name in names[:POSTERS]]
    chatters = [Chatter(process.url, name, start_line, ROOMS[i % len(ROOMS)])
                for i, name in enumerate(names[POSTERS:])]
    writers: list[Writer] = posters + chatters
    try:
        for writer in writers:
            writer.start()
        try:
            start_line.wait(timeout=120)
        except threading.BrokenBarrierError:
            pass  # a writer could not get ready: its error is reported below
        began = time.monotonic()
        for writer in writers:
            writer.join(timeout=300)
        burst_s = time.monotonic() - began
        log = log_path.read_text()
    finally:
        for chatter in chatters:
            if chatter.listener is not None:
                chatter.listener.close()
        so.close_sessions()
        process.stop()

    assert not [w.name for w in writers if w.is_alive()], "writers still waiting"
    errors = {w.name: repr(w.error) for w in writers if w.error is not None}
    assert not errors, errors

    # No member was refused: no server error, no "try again in a minute", no lock.
    refused_posts = [r for p in posters for r in p.refused]
    statuses = Counter(status for status, _ in refused_posts)
    assert 500 not in statuses and 503 not in statuses, statuses
    assert not [t for _, t in refused_posts if "locked" in t.lower()], statuses
    assert not refused_posts, (statuses, [t[:300] for _, t in refused_posts[:3]])
    refused_acks = [a for c in chatters for a in c.refused]
    assert not [a for a in refused_acks if "locked" in str(a).lower()], refused_acks[:5]
    assert not refused_acks, refused_acks[:5]
    assert "database is locked" not in log
    assert "database unreachable" not in log
    assert "Traceback" not in log, log[-3000:]

    saved = [s for p in posters for s in p.saved]
    acked = {client_id: message_id for c in chatters for client_id, message_id in c.acked.items()}
    assert len(saved) == POSTERS * POSTS_EACH
    assert len(acked) == (WRITERS - POSTERS) * MESSAGES_EACH

    # Everything confirmed is stored exactly once, where its confirmation said.
    with sqlite3.connect(database) as conn:
        for body, location in saved:
            rows = conn.execute("SELECT id, thread_id FROM posts WHERE body_md = ?",
                                (body,)).fetchall()
            assert len(rows) == 1, (location, rows)
            post_id = POST_ID.search(location)
            if post_id:
                assert rows[0][0] == int(post_id.group(1))
            else:
                assert rows[0][1] == int(THREAD_ID.search(location).group(1))
        stored = dict(conn.execute(
            "SELECT client_id, id FROM chat_messages WHERE client_id LIKE 'evening-writer-%'"))
        assert stored == acked
        # Each thread counts every reply written to it, however many arrived at once.
        miscounted = conn.execute(
            "SELECT t.id, t.reply_count, (SELECT count(*) FROM posts p WHERE p.thread_id = t.id"
            " AND NOT p.is_opening AND p.visible) AS replies FROM threads t"
            " WHERE t.reply_count != replies").fetchall()
        assert miscounted == []
    print(f"\n{len(saved)} posts and {len(acked)} chat messages from {WRITERS} writers at once"
          f" in {burst_s:.1f} s")


def test_a_savepoint_that_reads_before_it_writes_waits_for_its_turn(tmp_path: Path):
    """A savepoint opened outside a transaction starts one that takes the write lock: another
    writer arriving between its read and its write waits instead of making it fail."""
    import forum.sqlite_writes  # noqa: F401 - its listener is what is tested

    path = tmp_path / "turns.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)  # never waits
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE notes (author TEXT)")
        with Session(engine) as session:
            with session.begin_nested():
                session.execute(text("SELECT count(*) FROM notes")).scalar()
                try:
                    other.execute("INSERT INTO notes VALUES ('other')")
                    waited = False
                except sqlite3.OperationalError:
                    waited = True  # the savepoint's transaction has the write lock
                session.execute(text("INSERT INTO notes VALUES ('mine')"))
            session.commit()
        assert waited
        other.execute("INSERT INTO notes VALUES ('other')")
        assert sorted(r[0] for r in other.execute("SELECT author FROM notes")) == [
            "mine", "other"]
    finally:
        other.close()
        engine.dispose()


@pytest.fixture(autouse=True)
def _collect():
    """Collect this module's leftover client sockets before the next module's tests run."""
    yield
    import gc

    gc.collect()
