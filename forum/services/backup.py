"""Backups of the forum's database and restores onto an empty one.

SQLite: SQLite's online backup API copies the whole file in one step, inside one read
transaction, so the copy is one consistent moment even while the forum writes (WAL lets the
writers go on meanwhile). PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` in
one transaction. A backup restores only onto the same kind of database it came from.

A backup is written to a temporary file beside its final path and renamed once complete, so a
file with the final name is always a whole backup. A restore refuses a database that already
holds any of the forum's tables, and refuses a backup made by a newer release than this code.

The database holds members' disclosures: logs and messages name the file, its size and the
number of tables and rows, never a row's content, and the password of a PostgreSQL URL goes to
the tools through PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..migration_hooks import UNMANAGED_PREFIXES

log = logging.getLogger("forum.backup")

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# The first bytes of each kind of backup file.
_MAGIC = {SQLITE: b"SQLite format 3\x00", POSTGRESQL: b"PGDMP"}
_KIND_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
# Lines of the PostgreSQL tools' errors that may quote a row (a key's value, a COPY line).
_QUOTING_LINES = ("DETAIL:", "CONTEXT:", "Command was:", "LINE ")


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says what to do."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    kind: str
    size: int
    tables: int
    rows: int
    revision: str


@dataclass(frozen=True)
class RestoreReport(BackupReport):
    """What a restore loaded, and whether the schema needs `flask db upgrade` afterwards."""

    head: str

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != self.head


# -- shared ------------------------------------------------------------------------------


def database_kind() -> str:
    """SQLITE or POSTGRESQL: the kind of database the forum is configured with."""
    name = db.engine.dialect.name
    if name not in _MAGIC:
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {name}.")
    return name


def backup_kind(path: Path) -> str | None:
    """The kind of database a backup file came from, by its first bytes (None: neither)."""
    with open(path, "rb") as handle:
        start = handle.read(16)
    for kind, magic in _MAGIC.items():
        if start.startswith(magic):
            return kind
    return None


def forum_table(name: str) -> bool:
    """A table of the forum's schema: a model's, Alembic's, or a hand-made search table."""
    return (name in db.metadata.tables or name == "alembic_version"
            or name.startswith(UNMANAGED_PREFIXES))


def code_revisions() -> tuple[str, set[str]]:
    """The migrations' head and every revision this code knows."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    if len(heads) != 1:
        raise BackupError(f"The migrations have {len(heads)} heads; merge them first.")
    return heads[0], {rev.revision for rev in script.walk_revisions()}


def _check_revision(revision: str | None, path: Path) -> str:
    """The code's head, once the backup's revision is known to be it or older."""
    head, known = code_revisions()
    if revision is None:
        raise BackupError(f"{path.name} holds no Alembic revision: it is not a forum backup.")
    if revision not in known:
        raise BackupError(
            f"{path.name} was made by a newer release of the forum (schema revision {revision},"
            f" unknown to this code, whose newest is {head}). Install that release or a later"
            " one, then restore; nothing was changed.")
    return head


def _refuse_existing(path: Path, force: bool) -> None:
    if path.is_dir():
        raise BackupError(f"{path} is a directory; name the backup file to write.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} does not exist; create it first.")
    if path.exists() and not force:
        raise BackupError(f"{path} exists; choose a new name, or pass --force to replace it.")


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A private (0600) temporary file in PATH's directory, removed unless it was renamed."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def _publish(temporary: Path, path: Path, force: bool) -> None:
    """Give the complete file its final name, durably; never replace one unless forced."""
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    if force:
        os.replace(temporary, path)
    else:
        try:
            # A hard link fails if the name was taken meanwhile, where a rename would replace it.
            os.link(temporary, path)
        except FileExistsError:
            raise BackupError(
                f"{path} appeared while the backup ran; choose a new name, or pass --force."
            ) from None
        except OSError:
            # A file system without hard links: check, then rename.
            if path.exists():
                raise BackupError(f"{path} exists; choose a new name, or pass --force.") from None
            os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _wrong_kind(path: Path, found: str | None, wanted: str) -> BackupError:
    if found is None:
        return BackupError(f"{path.name} is neither a SQLite nor a PostgreSQL forum backup.")
    return BackupError(
        f"{path.name} is a backup of a {_KIND_NAMES[found]} forum; it restores only onto a"
        f" {_KIND_NAMES[found]} database, and this forum is configured with"
        f" {_KIND_NAMES[wanted]} (FORUM_DATABASE_URL). Nothing was changed.")


def _not_empty(names: Iterable[str], rows: int) -> BackupError:
    listed = sorted(names)
    shown = ", ".join(listed[:5]) + (" ..." if len(listed) > 5 else "")
    return BackupError(
        f"The configured database is not empty: it already has {len(listed)} tables"
        f" ({shown}) holding {rows} rows. A restore goes only onto a new, empty database, so"
        " it never mixes with or replaces data. Create an empty database (PostgreSQL:"
        " `createdb`; SQLite: a new file path), point FORUM_DATABASE_URL at it and restore"
        " before running `flask db upgrade` or starting the forum. Nothing was changed.")


# -- SQLite ------------------------------------------------------------------------------


def _sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("The forum's SQLite database is not a plain file; nothing to back up.")
    return Path(name)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name")]


def _sqlite_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(tables, rows) of a SQLite database."""
    names = _sqlite_tables(conn)
    rows = sum(conn.execute('SELECT count(*) FROM "{}"'.format(name.replace('"', '""')))
               .fetchone()[0] for name in names)
    return len(names), rows


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _backup_sqlite(path: Path, force: bool) -> BackupReport:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(f"{source_path} does not exist; nothing to back up.")
    if path.resolve() == source_path.resolve():
        raise BackupError("PATH is the forum's own database file; name another file.")
    with _temporary_beside(path) as temporary:
        with closing(sqlite3.connect(source_path)) as source, \
                closing(sqlite3.connect(temporary)) as copy:
            source.execute("PRAGMA busy_timeout = 5000")
            # pages=-1: every page in one step, so one read transaction sees one moment.
            source.backup(copy, pages=-1)
            # One self-contained file: no -wal or -shm beside it when it is opened later.
            copy.execute("PRAGMA journal_mode = DELETE")
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("The copy failed SQLite's check; the database may be damaged.")
            revision = _sqlite_revision(copy)
            tables, rows = _sqlite_counts(copy)
        if revision is None:
            raise BackupError("The database has no Alembic revision: run `flask db upgrade`.")
        _publish(temporary, path, force)
    return BackupReport(path, SQLITE, path.stat().st_size, tables, rows, revision)


def _restore_sqlite(path: Path) -> RestoreReport:
    target_path = _sqlite_path()
    with closing(_open_readonly(path)) as backup:
        if backup.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path.name} failed SQLite's check: the file is damaged.")
        revision = _sqlite_revision(backup)
        head = _check_revision(revision, path)
        if not target_path.parent.is_dir():
            raise BackupError(f"{target_path.parent} does not exist; create it first.")
        db.engine.dispose()  # no pooled connection of this process holds the target open
        with closing(sqlite3.connect(target_path)) as target:
            target.execute("PRAGMA busy_timeout = 5000")
            # The copy replaces the whole file, so any table at all counts, not only the forum's.
            existing = _sqlite_tables(target)
            if existing:
                raise _not_empty(existing, _sqlite_counts(target)[1])
            backup.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode = WAL")
            tables, rows = _sqlite_counts(target)
    assert revision is not None
    return RestoreReport(path, SQLITE, path.stat().st_size, tables, rows, revision, head)


# -- PostgreSQL --------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the server's"
            f" major version or newer (Debian/Ubuntu: postgresql-client) and try again.")
    return found


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URL for the PostgreSQL tools (no password in it) and the environment that
    carries the password, from the forum's SQLAlchemy URL (postgresql+psycopg://...)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # Built anew: URL.set(password=None) would keep the password.
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _tool_errors(stderr: str) -> str:
    lines = [line for line in stderr.splitlines()
             if line.strip() and not line.strip().startswith(_QUOTING_LINES)]
    return "\n".join(lines[-10:]) or "(no message)"


def _run_tool(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}):\n{_tool_errors(done.stderr)}")
    return done.stdout


def run_pg_dump(url: URL, destination: Path, snapshot: str | None = None) -> None:
    """`pg_dump --format=custom` of the database at URL into DESTINATION."""
    target, env = libpq_target(url)
    args = [_tool("pg_dump"), "--format=custom", f"--file={destination}", f"--dbname={target}"]
    if snapshot:
        args.insert(2, f"--snapshot={snapshot}")
    _run_tool(args, env, "pg_dump")


def _pg_counts(conn: Connection) -> tuple[int, int]:
    names = inspect(conn).get_table_names()
    rows = sum(conn.scalar(select(func.count()).select_from(table(name))) or 0 for name in names)
    return len(names), rows


def _pg_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _backup_postgresql(path: Path, force: bool) -> BackupReport:
    _tool("pg_dump")
    with db.engine.connect() as conn, _temporary_beside(path) as temporary:
        conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                      postgresql_readonly=True)
        with conn.begin():
            # pg_dump reads the snapshot this transaction exported, so the counts below are
            # those of the very rows in the dump.
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            revision = _pg_revision(conn)
            if revision is None:
                raise BackupError("The database has no Alembic revision: run `flask db upgrade`.")
            tables, rows = _pg_counts(conn)
            run_pg_dump(db.engine.url, temporary, snapshot)
        _publish(temporary, path, force)
    return BackupReport(path, POSTGRESQL, path.stat().st_size, tables, rows, revision)


def dump_revision(path: Path) -> str | None:
    """The Alembic revision stored in a pg_dump custom-format file."""
    _, env = libpq_target(db.engine.url)
    script = _run_tool([_tool("pg_restore"), "--data-only", "--table=alembic_version",
                        "--file=-", str(path)], env, "pg_restore (reading the revision)")
    lines = script.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[number + 1].strip() if number + 1 < len(lines) else ""
            return value if value and value != "\\." else None
    return None


def _restore_postgresql(path: Path) -> RestoreReport:
    pg_restore = _tool("pg_restore")
    revision = dump_revision(path)
    head = _check_revision(revision, path)
    with db.engine.connect() as conn:
        existing = [name for name in inspect(conn).get_table_names() if forum_table(name)]
        if existing:
            rows = sum(conn.scalar(select(func.count()).select_from(table(name))) or 0
                       for name in existing)
            raise _not_empty(existing, rows)
    target, env = libpq_target(db.engine.url)
    # One transaction: a failure leaves the database as empty as it was. Owners and grants
    # name roles of the old server, which the new one may not have.
    _run_tool([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", f"--dbname={target}", str(path)], env, "pg_restore")
    db.engine.dispose()
    with db.engine.connect() as conn:
        tables, rows = _pg_counts(conn)
    assert revision is not None
    return RestoreReport(path, POSTGRESQL, path.stat().st_size, tables, rows, revision, head)


# -- the two operations ------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    # The driver's own message (connection refused, disk full), not SQLAlchemy's statement dump.
    return str(getattr(exc, "orig", None) or exc).strip()



def make_backup(path: str | os.PathLike, *, force: bool = False) -> BackupReport:
    """Write a backup of the configured database to PATH (replacing it only with force)."""
    path = Path(path)
    kind = database_kind()
    _refuse_existing(path, force)
    try:
        report = _backup_sqlite(path, force) if kind == SQLITE else _backup_postgresql(path, force)
    except (OSError, sqlite3.Error, DBAPIError) as exc:
        raise BackupError(f"The backup failed and {path.name} was not written: {_reason(exc)}"
                          ) from exc
    log.info("backup written file=%s kind=%s bytes=%d tables=%d rows=%d revision=%s",
             path.name, kind, report.size, report.tables, report.rows, report.revision)
    return report


def restore_backup(path: str | os.PathLike) -> RestoreReport:
    """Load the backup at PATH into the configured database, which must be empty."""
    path = Path(path)
    kind = database_kind()
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    found = backup_kind(path)
    if found != kind:
        raise _wrong_kind(path, found, kind)
    try:
        report = _restore_sqlite(path) if kind == SQLITE else _restore_postgresql(path)
    except (OSError, sqlite3.Error, DBAPIError) as exc:
        raise BackupError(f"The restore of {path.name} failed: {_reason(exc)}") from exc
    log.info("backup restored file=%s kind=%s bytes=%d tables=%d rows=%d revision=%s head=%s",
             path.name, kind, report.size, report.tables, report.rows, report.revision,
             report.head)
    return report
