"""Two or more forum processes on loopback ports sharing one PostgreSQL database and Redis,
served as in production (gunicorn, forum.gunicorn_conf), and real clients for them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import VAPID_PEM
from tests.livesrv import ROOT, free_port

PG_ADMIN_URL = os.environ.get("FORUM_SCALEOUT_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FORUM_SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/14")
DEMO_PASSWORD = "recovery-demo-2026"


def services_up() -> bool:
    """PostgreSQL and Redis both answer on loopback."""
    import psycopg
    import redis

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            pass
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except (psycopg.Error, redis.RedisError):
        return False


def fresh_database(name: str) -> str:
    """A new empty PostgreSQL database; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + (
        "/" + name)


def drop_database(name: str) -> None:
    """Remove a database made by fresh_database."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis() -> None:
    """Empty the Redis database the processes share (a database of its own)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def base_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment every process of one deployment shares."""
    env = dict(os.environ)
    env.pop("FORUM_TEST_DATABASE_URL", None)
    env.update({
        "FORUM_DATABASE_URL": database_url,
        "FORUM_REDIS_URL": REDIS_URL,
        "FORUM_SECRET_KEY": "scaleout-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "FORUM_VAPID_PRIVATE_KEY": VAPID_PEM,  # one key for every process, as in production
        "FORUM_CLASSIFIER": "fallback",
        "FORUM_SEMANTIC": "off",
        "FORUM_STAFF_2FA": "optional",
        "FORUM_ARGON2_FAST": "true",
        "FORUM_JOBS_TICK_S": "1",
        "FORUM_THREADS": "64",
        "FORUM_GRACEFUL_TIMEOUT": "5",
        # The load tests send faster than a member may; the limit has its own tests.
        "FORUM_CHAT_RATE_LIMIT": "100000 per 10 seconds",
    })
    return env


def flask_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `flask --app forum ...` with the deployment's environment."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "forum", *args], cwd=ROOT, env=env,
        input=stdin, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Process:
    """One gunicorn process of the forum on its own port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = dict(env, HOST="127.0.0.1", PORT=str(self.port))
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with open(log_path, "w") as log_file:
            self.proc = subprocess.Popen(
                [str(gunicorn), "-c", "python:forum.gunicorn_conf"], cwd=ROOT, env=env,
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(
                        "forum process did not start:\n" + log_path.read_text()) from None
                time.sleep(0.25)

    def kill(self) -> None:
        """SIGKILL the whole process group: no goodbye to anyone."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def deployment(tmp_path: Path, name: str, processes: int = 2) -> Iterator[tuple[dict, list]]:
    """Migrate and seed a fresh database, flush Redis, start the processes; yields
    (env, processes) and stops everything afterwards."""
    database_url = fresh_database(name)
    flush_redis()
    env = base_env(database_url, tmp_path)
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "seed-demo")
    started: list[Process] = []
    try:
        for i in range(processes):
            started.append(Process(env, tmp_path / f"process-{i}.log"))
        yield env, started
    finally:
        close_sessions()
        for process in started:
            process.stop()
        drop_database(name)
        flush_redis()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Every HTTP session opened by login(), closed by close_sessions(): an unclosed keep-alive
# socket would surface as a ResourceWarning in whichever test runs next.
_SESSIONS: list = []


def close_sessions() -> None:
    """Close the HTTP sessions login() opened."""
    while _SESSIONS:
        _SESSIONS.pop().close()


def login(base_url: str, pseudonym: str, password: str = DEMO_PASSWORD):
    """A requests session logged in through the real form."""
    import requests

    session = requests.Session()
    _SESSIONS.append(session)
    page = session.get(base_url + "/login", timeout=10).text
    token = _CSRF.search(page).group(1)
    answer = session.post(base_url + "/login", data={
        "pseudonym": pseudonym, "password": password, "csrf_token": token,
    }, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return session


def csrf_token(session, url: str) -> str:
    """The CSRF token on a page, for this session."""
    return _CSRF.search(session.get(url, timeout=10).text).group(1)


def cookie_header(session) -> str:
    """The session's cookies as a Cookie header for a Socket.IO client."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


class Listener:
    """A real python-socketio client that records every event it gets, per name."""

    def __init__(self, base_url: str, session, namespace: str, *, reconnect: bool = False):
        import socketio

        self.namespace = namespace
        self.events: dict[str, list] = {}
        self.changed = threading.Condition()
        self.client = socketio.Client(reconnection=reconnect)

        def record(name):
            def handler(data=None):
                with self.changed:
                    self.events.setdefault(name, []).append(data)
                    self.changed.notify_all()
            return handler

        for name in ("message", "presence", "support", "queue_item", "message_removed",
                     "removed_from_room"):
            self.client.on(name, record(name), namespace=namespace)
        self.client.connect(base_url, headers={"Cookie": cookie_header(session)},
                            transports=["websocket"], namespaces=[namespace], wait_timeout=10)

    def call(self, event: str, data: dict, timeout: float = 10):
        """Emit with an ack and wait for it."""
        return self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    def wait_for(self, name: str, predicate, timeout: float = 10):
        """The first recorded event of this name that satisfies predicate, waiting for it."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for data in self.events.get(name, ()):
                    if predicate(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)

    def wait_until(self, condition, timeout: float = 10) -> bool:
        """Wait until condition() holds over what has been recorded; False at the deadline."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(remaining)
            return True

    def close(self) -> None:
        """Disconnect (quietly when already gone)."""
        try:
            self.client.disconnect()
        except Exception:  # the server may be gone already
            pass
