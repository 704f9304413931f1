"""Start the forum as `make run` does, in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_forum(
    tmp_path: Path,
    extra_env: dict[str, str] | None = None,
    before_serve: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[str]:
    """Migrate, seed the demo community and serve; yields the base URL.

    `before_serve(env)` runs after the demo seed, before the server starts (more test data).
    """
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite3'}",
            "FORUM_SECRET_KEY": "live-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "FORUM_CLASSIFIER": "fallback",
            "FORUM_SEMANTIC": "off",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
    )
    env.update(extra_env or {})
    env.pop("FORUM_TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "forum"]
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run(
            flask + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
    if before_serve is not None:
        before_serve(env)
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "forum"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("server did not start:\n" + log_path.read_text()) from None
                time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
