"""Backup and restore: a forum backed up while a writer keeps posting restores elsewhere to a
consistent moment of it, every table compared row for row; restores refuse a database that is
not empty, a backup from a newer release and a backup of the other kind of database.

Every test here makes its own databases (SQLite files in tmp_path; two private PostgreSQL
databases on the machine's server), so none asks for the suite's test database: they run once,
in the process of `make test-live`, not in both database runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from forum import create_app
from forum.extensions import db
from forum.models import Board
from forum.services import backup
from forum.services.accounts import account as accounts
from forum.services.demo import seed_demo
from forum.services.threads import posts
from tests.conftest import _base_config
from tests.fixtures import scaleout as so

pytestmark = [pytest.mark.faults]

DEMO_PASSWORD = "recovery-demo-2026"
WRITER_TITLE = "Evening check-in"
WRITER_BODY = "Still here on evening"


def _pg_up() -> bool:
    try:
        with psycopg.connect(so.PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _app(url: str, tmp_path: Path):
    return create_app(_base_config(url, str(tmp_path)))


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _copy_sqlite(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory) -> Path:
    """A migrated SQLite forum with the demo community, made once and copied by each test."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "forum.sqlite3"
    app = _app(_sqlite_url(path), folder)
    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def source(seeded_template, tmp_path):
    """A SQLite forum in use: the demo community, in its own file."""
    path = tmp_path / "live" / "forum.sqlite3"
    path.parent.mkdir()
    _copy_sqlite(seeded_template, path)
    app = _app(_sqlite_url(path), tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def _cli(app, args: list[str]):
    """Run a `flask --app forum` command as the flask script does: in the app's context."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=args)


def _fresh_sqlite_app(tmp_path: Path, name: str):
    folder = tmp_path / name
    folder.mkdir()
    return _app(_sqlite_url(folder / "forum.sqlite3"), tmp_path), folder / "forum.sqlite3"


# -- reading every table --------------------------------------------------------------------


def _compared_tables(conn) -> list[str]:
    """Every table of the models, Alembic's, and the search index (its content: FTS5's own
    segment tables are internal and merge on their own schedule)."""
    names = set(inspect(conn).get_table_names())
    return sorted(n for n in names if n in db.metadata.tables or n in ("alembic_version",
                                                                      "search_posts"))


def _hashable(value):
    # PostgreSQL gives JSON columns back as dicts and lists.
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _table_rows(engine) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each compared table's column names and rows."""
    found = {}
    with engine.connect() as conn:
        for name in _compared_tables(conn):
            query = f'SELECT * FROM "{name}"'
            if name == "search_posts" and engine.dialect.name == "sqlite":
                query = 'SELECT rowid AS post_id, * FROM "search_posts"'
            result = conn.execute(text(query))
            columns = list(result.keys())
            rows = (tuple(_hashable(value) for value in row) for row in result)
            found[name] = (columns, sorted(rows, key=repr))
    return found


def _engine(app):
    with app.app_context():
        return db.engine


def _sqlite_file_rows(path: Path) -> dict:
    """The compared tables of a SQLite file, read without the forum."""
    engine = create_engine(_sqlite_url(path))
    try:
        return _table_rows(engine)
    finally:
        engine.dispose()


def _all_table_names(engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def assert_same_tables(source: dict, restored: dict) -> None:
    assert set(restored) == set(source)
    assert set(db.metadata.tables) | {"alembic_version"} <= set(source)
    for name, (columns, rows) in source.items():
        assert restored[name][0] == columns, name
        assert restored[name][1] == rows, f"{name} differs"


def assert_moment_of(source: dict, restored: dict, late_threads: set[int]) -> None:
    """RESTORED is SOURCE as it stood before the writer's LATE_THREADS: every other row equal,
    no row changed or invented, and what is missing belongs to those threads alone."""
    assert set(restored) == set(source)
    late_posts = {row[source["posts"][0].index("id")] for row in source["posts"][1]
                  if row[source["posts"][0].index("thread_id")] in late_threads}
    owner = {"threads": ("id", late_threads), "posts": ("thread_id", late_threads),
             "search_posts": ("post_id", late_posts)}
    for name, (columns, rows) in source.items():
        assert restored[name][0] == columns, name
        missing = Counter(rows)
        missing.subtract(Counter(restored[name][1]))
        assert all(count >= 0 for count in missing.values()), f"{name}: a row changed"
        missing_rows = [row for row, count in missing.items() for _ in range(count)]
        if not missing_rows:
            continue
        assert name in owner, f"{name}: {len(missing_rows)} rows missing"
        column, ids = owner[name]
        assert all(row[columns.index(column)] in ids for row in missing_rows), name


# -- a writer ---------------------------------------------------------------------------


class Writer(threading.Thread):
    """Starts threads through the services, one after another, until stopped; `acked` holds
    the id of every thread whose creation returned (committed)."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app = app
        self.acked: list[int] = []
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            with self.app.app_context():
                author = accounts.find_by_pseudonym("steady-heron")
                board = db.session.scalar(select(Board).where(Board.slug == "daily-check-ins"))
                number = 0
                while not self.stopping.is_set():
                    result = posts.check_create_thread(
                        board, f"{WRITER_TITLE} {number}", f"{WRITER_BODY} {number}.",
                        anonymous=False, content_note=None, acting_user=author)
                    self.acked.append(result.post.thread_id)
                    number += 1
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acked) < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)

    def finish(self) -> list[int]:
        self.stopping.set()
        self.join(30)
        assert self.error is None, self.error
        return list(self.acked)


def _writer_threads(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(text(
            "SELECT id FROM threads WHERE title LIKE :title ORDER BY id"),
            {"title": WRITER_TITLE + " %"}))


def _check_restored_moment(source_engine, restored_engine, acked: list[int],
                           acked_before: int) -> int:
    """The restored writer threads are the first k acknowledged ones, with nothing missing
    before them; the rest of the forum is the source's row for row. Returns k."""
    restored_ids = _writer_threads(restored_engine)
    k = len(restored_ids)
    assert restored_ids == acked[:k]
    assert acked_before <= k < len(acked)
    assert_moment_of(_table_rows(source_engine), _table_rows(restored_engine), set(acked[k:]))
    return k


def _post_after_restore(app) -> None:
    """The restored forum takes a new thread: its ids (SQLite's counters, PostgreSQL's
    sequences) came back with the rows."""
    with app.app_context():
        author = accounts.find_by_pseudonym("morning-cedar")
        board = db.session.scalar(select(Board).where(Board.slug == "introductions"))
        result = posts.check_create_thread(board, "Back after the move", "Still here.",
                                           anonymous=False, content_note=None,
                                           acting_user=author)
        assert result.post.id is not None
        db.session.remove()


# -- SQLite -------------------------------------------------------------------------------


def test_sqlite_backup_while_posting_restores_one_consistent_moment(source, tmp_path, caplog):
    caplog.set_level("INFO", logger="forum.backup")
    target_app, _ = _fresh_sqlite_app(tmp_path, "elsewhere")
    writer = Writer(source)
    writer.start()
    try:
        writer.wait_for(3)
        # Back up until one backup ran across a committed post (a copy takes milliseconds).
        for attempt in range(60):
            path = tmp_path / f"forum-{attempt}.backup"
            before = len(writer.acked)
            with source.app_context():
                report = backup.make_backup(path)
            during = len(writer.acked) - before
            if during:
                break
        assert during, "no post committed while a backup ran"
        writer.wait_for(len(writer.acked) + 3)
    finally:
        acked = writer.finish()
    assert report.kind == "sqlite" and report.size == path.stat().st_size
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds disclosures
    assert not list(tmp_path.glob(".*.partial"))
    with target_app.app_context():
        restored = backup.restore_backup(path)
        assert not restored.needs_upgrade
        assert (restored.tables, restored.rows) == (report.tables, report.rows)
        assert_same_tables(_sqlite_file_rows(path), _table_rows(db.engine))
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    _check_restored_moment(_engine(source), _engine(target_app), acked, before)
    _post_after_restore(target_app)
    logged = caplog.text
    assert f"file={path.name}" in logged and f"rows={report.rows}" in logged
    assert WRITER_BODY not in logged and str(tmp_path) not in logged


def test_sqlite_commands_refuse_to_overwrite_and_restore_only_onto_an_empty_database(
        source, tmp_path):
    path = tmp_path / "nightly.backup"
    made = _cli(source, ["backup", str(path)])
    assert made.exit_code == 0, made.output
    assert f"Backup written to {path}" in made.output and "tables" in made.output
    written = path.read_bytes()

    again = _cli(source, ["backup", str(path)])
    assert again.exit_code == 1 and "exists" in again.output and "--force" in again.output
    assert path.read_bytes() == written
    forced = _cli(source, ["backup", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "nightly.backup"]

    target_app, target_file = _fresh_sqlite_app(tmp_path, "new-host")
    done = _cli(target_app, ["restore", str(path)])
    assert done.exit_code == 0, done.output
    assert "Restored nightly.backup" in done.output and "the forum can start" in done.output
    with source.app_context():
        source_rows = _table_rows(db.engine)
        source_names = _all_table_names(db.engine)
    with target_app.app_context():
        assert_same_tables(source_rows, _table_rows(db.engine))
        assert _all_table_names(db.engine) == source_names
    size = target_file.stat().st_size

    # The restored forum is not empty: a second restore is refused and changes nothing.
    refused = _cli(target_app, ["restore", str(path)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "rows" in refused.output
    assert "createdb" in refused.output and "new file path" in refused.output
    assert target_file.stat().st_size == size
    # The live forum itself is refused too.
    onto_live = _cli(source, ["restore", str(path)])
    assert onto_live.exit_code == 1 and "not empty" in onto_live.output


def test_restore_refuses_a_backup_from_a_newer_release_before_touching_the_database(
        source, tmp_path):
    path = tmp_path / "from-the-future.backup"
    with source.app_context():
        backup.make_backup(path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff00000000'")
        conn.commit()
    target_app, target_file = _fresh_sqlite_app(tmp_path, "new-host")
    refused = _cli(target_app, ["restore", str(path)])
    assert refused.exit_code == 1
    assert "newer release" in refused.output and "ffff00000000" in refused.output
    assert not target_file.exists()


def test_restore_of_an_older_backup_asks_for_db_upgrade(tmp_path):
    old_app, _ = _fresh_sqlite_app(tmp_path, "old-release")
    with old_app.app_context():
        config = old_app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        head = script.get_current_head()
        previous = script.get_revision(head).down_revision
        upgrade(revision=previous)
        path = tmp_path / "old.backup"
        assert backup.make_backup(path).revision == previous
        db.engine.dispose()
    target_app, _ = _fresh_sqlite_app(tmp_path, "new-release")
    done = _cli(target_app, ["restore", str(path)])
    assert done.exit_code == 0, done.output
    assert f"revision {previous}" in done.output
    assert "run `flask --app forum db upgrade`" in done.output
    with target_app.app_context():
        upgrade()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        db.session.remove()


def test_a_failed_backup_leaves_neither_a_partial_file_nor_a_damaged_old_one(
        source, tmp_path, monkeypatch):
    path = tmp_path / "nightly.backup"
    path.write_bytes(b"last night's backup")

    def broken(_conn):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(backup, "_sqlite_counts", broken)
    with source.app_context():
        with pytest.raises(backup.BackupError, match="was not written"):
            backup.make_backup(path, force=True)
        with pytest.raises(backup.BackupError, match="was not written"):
            backup.make_backup(tmp_path / "first.backup")
    assert path.read_bytes() == b"last night's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "nightly.backup"]


def test_backup_refuses_its_own_database_file_and_a_missing_folder(source, tmp_path):
    with source.app_context():
        own = Path(db.engine.url.database)
        with pytest.raises(backup.BackupError, match="own database file"):
            backup.make_backup(own, force=True)
        with pytest.raises(backup.BackupError, match="does not exist"):
            backup.make_backup(tmp_path / "no-such-folder" / "x.backup")


# -- PostgreSQL tools, without a server ----------------------------------------------------


def test_pg_dump_gets_the_password_by_environment_never_on_its_command_line(
        tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record"
    fake = bin_dir / "pg_dump"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}.args\n'
                    f'printf "%s" "$PGPASSWORD" > {record}.password\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    url = make_url("postgresql+psycopg://forum:s3cret%40pw@db.example:5433/forum?sslmode=require")
    backup.run_pg_dump(url, tmp_path / "out.dump", snapshot="00000003-0000001B-1")
    args = Path(f"{record}.args").read_text().splitlines()
    assert "--format=custom" in args and "--snapshot=00000003-0000001B-1" in args
    assert "--dbname=postgresql://forum@db.example:5433/forum?sslmode=require" in args
    assert not any("s3cret" in arg for arg in args)
    assert Path(f"{record}.password").read_text() == "s3cret@pw"


def test_backup_says_clearly_when_pg_dump_is_missing(tmp_path, monkeypatch):
    # Nothing listens on port 9: the tool is looked for before any connection.
    app = _app("postgresql+psycopg://forum:pw@127.0.0.1:9/forum", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = _cli(app, ["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert "pg_dump was not found on PATH" in result.output and "pw" not in result.output
    assert not (tmp_path / "x.dump").exists()


# -- PostgreSQL, on two private databases of the machine's server -----------------------------


@pytest.mark.services
@pytest.mark.skipif(not _pg_up() and not os.environ.get("CI"),
                    reason="PostgreSQL is not running on 127.0.0.1:5432")
def test_postgresql_backup_while_posting_restores_into_another_database(tmp_path):
    names = (f"test_backup_src_{os.getpid()}", f"test_backup_dst_{os.getpid()}")
    try:
        source_app = _app(so.fresh_database(names[0]), tmp_path)
        target_app = _app(so.fresh_database(names[1]), tmp_path)
        with source_app.app_context():
            upgrade()
            seed_demo(DEMO_PASSWORD)
            db.session.remove()
        path = tmp_path / "forum.dump"
        writer = Writer(source_app)
        writer.start()
        try:
            writer.wait_for(3)
            before = len(writer.acked)
            made = _cli(source_app, ["backup", str(path)])
            writer.wait_for(len(writer.acked) + 3)
        finally:
            acked = writer.finish()
        assert made.exit_code == 0, made.output
        assert "(postgresql)" in made.output
        assert path.read_bytes().startswith(b"PGDMP")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

        # Refused before anything is written: the other kind's backup, a newer release's.
        sqlite_file = tmp_path / "other-kind.sqlite3"
        with closing(sqlite3.connect(sqlite_file)) as conn:
            conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        wrong = _cli(target_app, ["restore", str(sqlite_file)])
        assert wrong.exit_code == 1 and "backup of a SQLite forum" in wrong.output
        sqlite_app, sqlite_target = _fresh_sqlite_app(tmp_path, "sqlite-host")
        other = _cli(sqlite_app, ["restore", str(path)])
        assert other.exit_code == 1 and "backup of a PostgreSQL forum" in other.output
        assert not sqlite_target.exists()

        newer = tmp_path / "newer.dump"
        with source_app.app_context():
            real = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            db.session.execute(text("UPDATE alembic_version SET version_num = 'ffff00000000'"))
            db.session.commit()
            backup.make_backup(newer)
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
            db.session.commit()
        refused = _cli(target_app, ["restore", str(newer)])
        assert refused.exit_code == 1 and "newer release" in refused.output
        with target_app.app_context():
            assert _all_table_names(db.engine) == set()

        done = _cli(target_app, ["restore", str(path)])
        assert done.exit_code == 0, done.output
        assert "Restored forum.dump" in done.output and "the forum can start" in done.output
        source_engine, target_engine = _engine(source_app), _engine(target_app)
        assert _all_table_names(target_engine) == _all_table_names(source_engine)
        _check_restored_moment(source_engine, target_engine, acked, before)
        _assert_sequences_ahead(target_engine)
        _post_after_restore(target_app)

        again = _cli(target_app, ["restore", str(path)])
        assert again.exit_code == 1 and "not empty" in again.output
    finally:
        for app in (locals().get("source_app"), locals().get("target_app")):
            if app is not None:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
        for name in names:
            so.drop_database(name)


def _assert_sequences_ahead(engine) -> None:
    """Every id sequence is at or past its table's largest id, so new rows do not collide."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        for name in inspector.get_table_names():
            if "id" not in {column["name"] for column in inspector.get_columns(name)}:
                continue
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
            if sequence is None:
                continue
            largest = conn.scalar(text(f'SELECT max(id) FROM "{name}"'))
            last = conn.scalar(text(f"SELECT last_value FROM {sequence}"))
            assert largest is None or last >= largest, name
