"""Private PostgreSQL and Redis servers that a fault test may stop, restart or kill.

The machine's shared servers serve the other test processes at the same time, so a fault is
never done to them. Each private server lives in its own temporary folder on a free loopback
port and is removed when its context ends, on failure too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.livesrv import free_port

PG_BIN = Path(os.environ.get("FORUM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _pg_tool(name: str) -> str:
    found = PG_BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def tools_present() -> bool:
    """initdb, pg_ctl and redis-server are installed."""
    return all(Path(_pg_tool(n)).exists() or shutil.which(n)
               for n in ("initdb", "pg_ctl")) and shutil.which("redis-server") is not None


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the CI machine runs tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _private_folder(prefix: str) -> Path:
    # Not under pytest's tmp_path: its root is private to this user, and the server may run
    # as postgres.
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


class PrivatePostgres:
    """A PostgreSQL cluster of its own: start, stop, restart, and an admin URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.data.mkdir()
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.log, "postgres")
        subprocess.run(_as_postgres([_pg_tool("initdb"), "-D", str(self.data), "-A", "trust",
                                     "-U", "postgres", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for a database of this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start and wait until it takes connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   "-c unix_socket_directories='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres([_pg_tool("pg_ctl"), "-D", str(self.data), "-l",
                                     str(self.log), "-o", options, "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, timeout=90)

    def stop(self, mode: str = "fast") -> None:
        """Stop it (fast: ends every session at once, as a restart for an upgrade does)."""
        subprocess.run(_as_postgres([_pg_tool("pg_ctl"), "-D", str(self.data), "-m", mode,
                                     "-w", "-t", "60", "stop"]),
                       capture_output=True, timeout=90)

    def restart(self) -> None:
        """`pg_ctl restart`: every connection is cut, then the server answers again."""
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private PostgreSQL; stopped and deleted afterwards, whatever happened."""
    folder = _private_folder("forum-fault-pg-")
    server: PrivatePostgres | None = None
    try:
        server = PrivatePostgres(folder)
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop(mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)


class PrivateRedis:
    """A Redis server of its own that keeps nothing on disk: start, stop, and its URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start (again) on the same port and wait until it answers."""
        import redis

        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - the server holds it
        try:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise AssertionError("private Redis did not start") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """Kill it: connected clients see their sockets close, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A started private Redis; killed and its folder deleted afterwards."""
    folder = _private_folder("forum-fault-redis-")
    server = PrivateRedis(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
