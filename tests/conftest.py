"""Shared fixtures: one schema per run (built by the migrations), clean tables per test."""

from __future__ import annotations

import atexit
import html
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from flask import Flask, g
from jinja2 import BytecodeCache
from sqlalchemy import inspect, text
from sqlalchemy.pool import NullPool

from forum import create_app
from forum.extensions import db as _db, limiter
from forum.models import User
from forum.models.base import utcnow
from forum.services.accounts import login_throttle
from forum.services.push.keys import generate_pem

PASSWORD = "a calm river at dawn"
PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
# With FORUM_TEST_REDIS_URL the suite keeps rate limits and presence in Redis, as a scaled-out
# deployment does. Socket.IO's message queue stays in-process here, since the test client reads
# emits synchronously; tests/test_scaleout.py proves the queue across real processes.
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL")
# One Web Push (VAPID) key per run, so no test writes one into the project's instance folder.
VAPID_PEM = generate_pem()


def _base_config(database_url: str, instance: str) -> dict:
    # Tests build many short-lived apps; without a pool no connection outlives its app (the
    # `app` fixture's own app pools, and closes its pool at teardown).
    engine_options = {} if database_url.startswith("sqlite") else {"poolclass": NullPool}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_FAST": True,
        "CLASSIFIER": "fallback",
        # Most tests are about the rules; tests of the semantic layer share one loaded layer.
        "SEMANTIC": "off",
        "RULES_RELOAD_INTERVAL_S": 0,
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
        "REDIS_URL": REDIS_URL,
        "SOCKETIO_MESSAGE_QUEUE": None,
        "SERVER_NAME": None,
        # Most tests are about what staff do; tests/web/test_staff_gate*.py and the
        # authorization matrix run with the production default, "required".
        "STAFF_2FA": "optional",
        "VAPID_PRIVATE_KEY": VAPID_PEM,
    }


class _SharedTemplates(BytecodeCache):
    """Compiled templates kept for every app this process builds.

    Each test builds its own app, whose Jinja environment compiled every template it rendered
    again (about 7 ms a template); the bytecode is keyed by the template's name and source, so
    an edited template compiles anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedTemplates()}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark `dbfree` every test that never asks for the test database: it would prove the same
    on PostgreSQL as on SQLite, so the PostgreSQL run leaves it out. Modules that talk to Redis
    themselves (a REDIS_URL of their own) stay in both runs: the PostgreSQL run's is the real
    Redis."""
    for item in items:
        if ("database_url" in getattr(item, "fixturenames", ())
                or item.get_closest_marker("live") or item.get_closest_marker("dbfree")
                or hasattr(getattr(item, "module", None), "REDIS_URL")):
            continue
        item.add_marker(pytest.mark.dbfree)


def _exit_now(status: int) -> None:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    """Leave without tearing the interpreter down once pytest has reported and cleaned up.

    A run builds hundreds of apps whose objects outlive their tests; freeing a heap of about
    2 GB object by object at exit took about 30 s of CPU per test process. Registered last,
    this runs first of the exit handlers, after pytest's own cleanup.
    """
    if os.environ.get("FORUM_TEST_SLOW_EXIT"):
        return
    atexit.register(_exit_now, int(exitstatus))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database with the schema built by running every migration once."""
    from flask_migrate import upgrade

    if PG_URL:
        url = PG_URL
        app = create_app(_base_config(url, ""))
        with app.app_context():
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            upgrade()
            _db.engine.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "forum.sqlite3"
        url = f"sqlite:///{path}"
        app = create_app(_base_config(url, ""))
        with app.app_context():
            upgrade()
            _db.engine.dispose()
    yield url


_TABLES: dict[str, tuple[list, str]] = {}


def _clear_statements() -> tuple[list, str]:
    """The tables the migrations made, children first, and (PostgreSQL) one SQL text emptying
    them and restarting their ids; found once per database, as the schema does not change."""
    url = str(_db.engine.url)
    if url not in _TABLES:
        # Only tables the migrations made; a model without a migration is caught by test_app.py.
        existing = set(inspect(_db.engine).get_table_names())
        tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name in existing]
        script = ""
        if _db.engine.dialect.name == "postgresql":
            # DELETE and setval on small tables cost a fraction of TRUNCATE, which makes new
            # files for every table on every test.
            sequences = _db.session.scalars(text(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name)"
                " FROM information_schema.sequences WHERE sequence_schema = 'public'")).all()
            deletes = "".join(f'DELETE FROM "{t.name}";' for t in tables)
            restarts = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
            script = deletes + (f"SELECT {restarts};" if restarts else "")
        _TABLES[url] = (tables, script)
    return _TABLES[url]


def _clear_tables() -> None:
    tables, script = _clear_statements()
    if script:
        _db.session.connection().exec_driver_sql(script)
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


def _clear_presence() -> None:
    import redis

    from forum.services.presence import RedisPresence

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(RedisPresence.PREFIX + "*"):
        client.delete(key)


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Configuration for the test app; tests may change it before `app` is built."""
    return _base_config(database_url, str(tmp_path))


@pytest.fixture
def app(app_config):
    """A fresh app on clean tables."""
    if app_config["SQLALCHEMY_ENGINE_OPTIONS"].get("poolclass") is NullPool:
        # A fresh PostgreSQL connection for every request and query cost a sixth of the
        # suite's time: this app keeps a small pool, emptied at teardown.
        app_config = dict(app_config, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2,
                                                                 "max_overflow": 20})
    application = create_app(app_config)

    @application.teardown_request
    def _forget_request_state(_exc):
        # Tests keep one app context open, which requests then share; without this, `g`
        # (Flask-Login's current user, Flask-Babel's locale) would leak between test clients.
        g.__dict__.clear()

    with application.app_context():
        _clear_tables()
        limiter.reset()
        login_throttle.reset()  # wrong-password counts kept in Redis outlive the app
        if REDIS_URL:
            _clear_presence()
        yield application
        # The next test empties the tables as it starts.
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy handle, bound to the test app."""
    return _db


@pytest.fixture
def client(app):
    """An HTTP test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask --app forum` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    """Create an account through the services, with roles and training."""
    from forum.services.accounts import account as accounts, guidelines, roles

    def make(
        pseudonym: str,
        *,
        roles_: tuple[str, ...] = (),
        training: tuple[str, ...] = (),
        password: str = PASSWORD,
    ) -> User:
        result = accounts.check_signup(
            pseudonym,
            password,
            password,
            agreed_guidelines_version=guidelines.current_version().id,
        )
        for role in roles_:
            roles.check_grant_role(result.user, role, acting_user=None)
        for module in training:
            roles.check_record_training(
                result.user,
                module,
                completed_on=date.today() - timedelta(days=30),
                expires_on=date.today() + timedelta(days=335),
                acting_user=None,
            )
        result.user.recovery_codes_for_test = result.recovery_codes
        return result.user

    return make


@pytest.fixture
def member(make_user) -> User:
    return make_user("steady-heron")


@pytest.fixture
def second_member(make_user) -> User:
    return make_user("morning-cedar")


@pytest.fixture
def facilitator(make_user) -> User:
    return make_user("sam-lantern", roles_=("facilitator",), training=("facilitation",))


@pytest.fixture
def moderator(make_user) -> User:
    return make_user("ash-untrained", roles_=("moderator",))


@pytest.fixture
def trained_moderator(make_user) -> User:
    return make_user("rowan-pine", roles_=("moderator",), training=("crisis-response",))


@pytest.fixture
def admin(make_user) -> User:
    return make_user("jo-meadow", roles_=("admin",))


@pytest.fixture
def suspended(make_user, db) -> User:
    user = make_user("paused-member")
    user.suspended_until = utcnow() + timedelta(days=3)
    db.session.commit()
    return user


PERSONAS = ("member", "second_member", "facilitator", "moderator", "trained_moderator", "admin")


_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_from(client, path: str) -> str:
    """The CSRF token a page gives this client's session."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


def login(client, user: User, password: str = PASSWORD):
    """Log in through the real form."""
    token = csrf_from(client, "/login")
    response = client.post(
        "/login", data={"pseudonym": user.pseudonym, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def logged_in(client, member):
    """A client logged in as `member`."""
    login(client, member)
    return client


def page_text(response) -> str:
    """The response body with HTML entities decoded, for asserting on what a reader sees."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture(scope="session")
def semantic_layer(tmp_path_factory):
    """The real semantic layer (packaged MiniLM, shipped example files), loaded once per run.
    Example vectors are kept in the venv between runs: keyed by model and text, never stale."""
    from pathlib import Path

    from forum.moderation.resources import DEFAULT_RULES_DIR
    from forum.moderation.rules import load_ruleset
    from forum.moderation.semantic import SemanticLayer, default_embedder, spanish_embedder

    venv = Path(__file__).resolve().parent.parent / ".venv"
    cache = venv / "semantic-cache" if venv.is_dir() else tmp_path_factory.mktemp("semantic")
    categories = set(load_ruleset(DEFAULT_RULES_DIR).categories)
    # A generous time limit: a busy test machine must not turn a slow call into a miss.
    layer = SemanticLayer(DEFAULT_RULES_DIR / "examples", lambda: categories,
                          default_embedder(None), cache_dir=cache, timeout=60,
                          reload_interval=0, spanish_factory=spanish_embedder("same"))
    layer.start(background=False)
    assert layer.ready, layer.error
    yield layer
    layer.close()


@pytest.fixture
def semantic_on(app, semantic_layer):
    """The app's pipeline reads meaning with the shared semantic layer."""
    pipeline = app.extensions["moderation"]
    pipeline.semantic = semantic_layer
    yield semantic_layer
    pipeline.semantic = None
