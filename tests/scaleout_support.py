"""Two or more forum processes on loopback ports sharing one PostgreSQL database and Redis,
served as in production (gunicorn, forum.gunicorn_conf), and real clients for them."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
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


def fresh_database(name: str, admin_url: str = PG_ADMIN_URL) -> str:
    """A new empty PostgreSQL database; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + (
        "/" + name)


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Remove a database made by fresh_database."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the Redis database the processes share (a database of its own)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def base_env(database_url: str, tmp_path: Path, redis_url: str = REDIS_URL) -> dict[str, str]:
    """The environment every process of one deployment shares."""
    env = dict(os.environ)
    env.pop("FORUM_TEST_DATABASE_URL", None)
    env.update({
        "FORUM_DATABASE_URL": database_url,
        "FORUM_REDIS_URL": redis_url,
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
        self.env = dict(env, HOST="127.0.0.1", PORT=str(self.port))
        self.start()

    def start(self) -> None:
        """Start (again, on the same port) and wait until /healthz answers 200."""
        env, log_path = self.env, self.log_path
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with open(log_path, "a") as log_file:
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

    def worker_pid(self) -> int | None:
        """The gunicorn worker (the one child of the master) serving this process's requests."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return None
        pids = [int(p) for p in children.split()]
        return pids[0] if pids else None

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
def deployment(tmp_path: Path, name: str, processes: int = 2, *, admin_url: str = PG_ADMIN_URL,
               redis_url: str = REDIS_URL, extra_env: dict[str, str] | None = None,
               before_start=None) -> Iterator[tuple[dict, list]]:
    """Migrate and seed a fresh database, flush Redis, start the processes; yields
    (env, processes) and stops everything afterwards. admin_url and redis_url name other
    servers (a fault test's private ones); extra_env is added to every process's environment;
    before_start(env) runs once the database is seeded, before any process starts."""
    database_url = fresh_database(name, admin_url)
    flush_redis(redis_url)
    env = dict(base_env(database_url, tmp_path, redis_url), **(extra_env or {}))
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "seed-demo")
    if before_start is not None:
        before_start(env)
    started: list[Process] = []
    try:
        for i in range(processes):
            started.append(Process(env, tmp_path / f"process-{i}.log"))
        yield env, started
    finally:
        close_sessions()
        for process in started:
            process.stop()
        try:
            drop_database(name, admin_url)
            flush_redis(redis_url)
        except Exception:  # a fault test's private server may be down; it is deleted anyway
            if admin_url == PG_ADMIN_URL and redis_url == REDIS_URL:
                raise


# Run with the deployment's environment: accounts through the accounts service (as sign-up
# makes them, without a page and a form each) and open rooms (no service creates rooms; the
# demo seed adds them the same way).
_ADD_MEMBERS = """
import json, sys
from forum import create_app
from forum.extensions import db
from forum.models import Room
from forum.services.accounts import account as accounts, guidelines

spec = json.load(sys.stdin)
app = create_app()
with app.app_context():
    for slug in spec["rooms"]:
        db.session.add(Room(slug=slug, title=slug.replace("-", " ").capitalize(),
                            description="", always_open=True, anonymous=False))
    db.session.commit()
    version = guidelines.current_version().id
    for name in spec["members"]:
        accounts.check_signup(name, spec["password"], spec["password"],
                              agreed_guidelines_version=version)
"""


def add_members(env: dict[str, str], pseudonyms: list[str], rooms: list[str] = (),
                password: str = DEMO_PASSWORD) -> None:
    """Create member accounts and open rooms in the deployment's database, in one subprocess
    (many members cost seconds this way; FORUM_ARGON2_FAST keeps hashing cheap)."""
    done = subprocess.run(
        [sys.executable, "-c", _ADD_MEMBERS], cwd=ROOT, env=env, capture_output=True, text=True,
        input=json.dumps({"members": list(pseudonyms), "rooms": list(rooms),
                          "password": password}), timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


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


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def login_cookie(base_url: str, pseudonym: str, password: str = DEMO_PASSWORD,
                 source_ip: str = "127.0.0.1") -> str:
    """Log in through the real form from a loopback address of one's choice (the log-in limit
    counts per address: spread many members over 127.0.0.x); returns the Cookie header for a
    Socket.IO client or page requests. One connection, closed before returning."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20, source_address=(source_ip, 0))
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read().decode()
        cookie, token = _session_cookie(page.getheaders()), _CSRF.search(body)
        assert page.status == 200 and cookie and token, f"log-in page answered {page.status}"
        form = urllib.parse.urlencode({"pseudonym": pseudonym, "password": password,
                                       "csrf_token": token.group(1)})
        conn.request("POST", "/login", body=form, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        cookie = _session_cookie(answer.getheaders())
        assert answer.status == 302 and cookie, f"log-in answered {answer.status}"
        return cookie
    finally:
        conn.close()


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
