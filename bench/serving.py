"""What the benchmarks share: a migrated SQLite database, a gunicorn server on loopback, and
the facts about the machine a result was measured on."""

from __future__ import annotations

import ctypes
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(path: Path | str) -> None:
    """Create or upgrade a database with the project's migrations: a SQLite file's path, or
    a database URL."""
    url = path if isinstance(path, str) and "://" in path else f"sqlite:///{path}"
    env = dict(os.environ, FORUM_DATABASE_URL=url, FORUM_CLASSIFIER="fallback")
    env.pop("FORUM_TEST_DATABASE_URL", None)
    done = subprocess.run([str(BIN / "flask"), "--app", "forum", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-2000:]}")


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


def _die_with_parent() -> None:
    # Runs in the child before exec: if the benchmark is killed outright (SIGKILL), the
    # kernel sends the server SIGTERM instead of leaving it running.
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_get(port: int, path: str, timeout: float = 2.0) -> bytes:
    """One plain GET on loopback; the raw answer (head and body), b"" when nobody answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
                         .encode())
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)
    except OSError:
        return b""


def forum_ready(port: int) -> bool:
    """The forum answers /healthz and its classifier has finished loading in the background
    (its start-up work would otherwise be measured as latency)."""
    answer = http_get(port, "/healthz")
    return b" 200 " in answer and b'"ready":true' in answer.replace(b" ", b"")


def start_gunicorn(app_spec: str, env: Mapping[str, str], *, workers: int, threads: int,
                   ready: Callable[[int], bool] = forum_ready, cwd: Path = ROOT,
                   extra_args: Sequence[str] = (), log_path: Path | None = None,
                   settle_s: float = 2.0, config: str | None = None
                   ) -> tuple[subprocess.Popen, int]:
    """Start gunicorn (gthread workers, the production-style server) on a free loopback port
    in its own process group, and wait until ready(port) says so. With a config (e.g.
    "python:forum.gunicorn_conf", as `make serve` runs) its worker class and hooks apply; the
    arguments here set the port, processes, threads and log level."""
    port = free_port()
    worker = ["-c", config] if config else ["-k", "gthread"]
    out = open(log_path, "ab") if log_path else None  # the child keeps its own copy
    try:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads),
             *worker, "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             *extra_args, app_spec],
            cwd=cwd, env=dict(env), start_new_session=True, preexec_fn=_die_with_parent,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
    finally:
        if out:
            out.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if ready(port):
            time.sleep(settle_s)
            return proc, port
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"gunicorn did not start ({app_spec})")


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a server started by start_gunicorn (its own process group only)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def machine() -> dict:
    """CPUs, Python, platform and the load average when asked (the machine may be shared)."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()]}


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of an already sorted sequence; None when empty."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
