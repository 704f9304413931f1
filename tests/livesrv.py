"""Start the forum as `make run` does, in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import VAPID_PEM

ROOT = Path(__file__).resolve().parent.parent
# Migrating and seeding the demo takes about ten seconds; every live forum of a run starts from
# a copy of one seeded database (per set of extra settings), rebuilt when it grows old, since
# the demo's meetings start "today".
TEMPLATE_MAX_AGE_S = 15 * 60
_templates: dict[tuple, tuple[Path, float]] = {}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seeded_copy(target: Path, env: dict[str, str], extra_env: dict[str, str]) -> None:
    """Put a migrated database holding the demo community at `target`."""
    key = tuple(sorted(extra_env.items()))
    template, made = _templates.get(key, (None, 0.0))
    if template is None or time.monotonic() - made > TEMPLATE_MAX_AGE_S:
        folder = Path(tempfile.mkdtemp(prefix="forum-live-template-"))
        template = folder / "forum.sqlite3"
        build = dict(env, FORUM_DATABASE_URL=f"sqlite:///{template}")
        flask = [sys.executable, "-m", "flask", "--app", "forum"]
        for step in (["db", "upgrade"], ["seed-demo"]):
            done = subprocess.run(
                flask + step, cwd=ROOT, env=build, capture_output=True, text=True, timeout=180
            )
            assert done.returncode == 0, done.stderr
        old = _templates.get(key)
        if old is not None:
            shutil.rmtree(old[0].parent, ignore_errors=True)
        _templates[key] = (template, time.monotonic())
    # The backup API copies a consistent database out of WAL mode's files.
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


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
            # Given, as the secret key is: the push sender would otherwise make one in instance/.
            "FORUM_VAPID_PRIVATE_KEY": VAPID_PEM,
            "FORUM_CLASSIFIER": "fallback",
            "FORUM_SEMANTIC": "off",
            # Staff e2e tests are about staff work; the second-factor browser tests set it.
            "FORUM_STAFF_2FA": "optional",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
    )
    env.update(extra_env or {})
    env.pop("FORUM_TEST_DATABASE_URL", None)
    _seeded_copy(tmp_path / "forum.sqlite3", env, extra_env or {})
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
