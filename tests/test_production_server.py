"""The production server (gunicorn with forum.gunicorn_conf) serves pages and chat, and on
SIGTERM closes live connections with a proper goodbye instead of letting them time out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures import scaleout as so
from tests.livesrv import ROOT, free_port

pytestmark = [
    pytest.mark.live,
    # See tests/test_scaleout.py: sockets of stopped servers are collected in this module.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_sigterm_closes_chat_connections_cleanly_and_exits(tmp_path: Path):
    env = so.base_env(f"sqlite:///{tmp_path / 'forum.sqlite3'}", tmp_path)
    env.pop("FORUM_REDIS_URL")
    so.flask_cli(env, "db", "upgrade")
    so.flask_cli(env, "seed-demo")
    process = so.Process(env, tmp_path / "server.log")
    try:
        session = so.login(process.url, "steady-heron")
        listener = so.Listener(process.url, session, "/chat")
        gone = threading.Event()
        listener.client.on("disconnect", lambda *a: gone.set(), namespace="/chat")
        assert listener.call("join", {"room": "coffee-room"})["ok"]
        # Scheduled jobs run in the worker (ForumWorker.load_wsgi); the forum's log reaches stderr.
        assert "job scheduler started" in (tmp_path / "server.log").read_text()
        # Once the classifier has loaded, the start-up heap leaves the collector's sight.
        deadline = time.monotonic() + 30
        while ("start-up heap settled" not in (tmp_path / "server.log").read_text()
               and time.monotonic() < deadline):
            time.sleep(0.2)
        assert "start-up heap settled" in (tmp_path / "server.log").read_text()
        started = time.monotonic()
        os.killpg(process.proc.pid, signal.SIGTERM)
        # The socket is closed by the server at once, not after a ping timeout (25 s + 20 s).
        assert gone.wait(timeout=5), "the chat connection was not closed on SIGTERM"
        assert process.proc.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
        log = (tmp_path / "server.log").read_text()
        assert "closing live connections count=1" in log
        listener.close()
    finally:
        so.close_sessions()
        process.stop()


def test_gunicorn_config_keeps_addresses_out_of_the_log(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c",
         "import forum.gunicorn_conf as c; print(c.accesslog, c.worker_class, c.workers)"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
        env=dict(os.environ, PORT=str(free_port())),
    )
    assert done.stdout.split() == ["None", "forum.serving.ForumWorker", "1"], done.stderr


@pytest.fixture(autouse=True)
def _collect():
    """Collect this module's leftover client sockets before the next module's tests run."""
    yield
    import gc

    gc.collect()
