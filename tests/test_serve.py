"""What `make run` does, end to end: migrate, seed, serve; /healthz answers and chat connects."""

from __future__ import annotations

import urllib.request

import pytest

from tests.livesrv import live_forum


@pytest.fixture
def served(tmp_path):
    """The forum started as `make run` does, on a SQLite file migrated and seeded by the same
    commands."""
    with live_forum(tmp_path) as base:
        yield base
    # What the server printed must not hold client addresses (no access log).
    log = (tmp_path / "server.log").read_text()
    assert "127.0.0.1 - -" not in log and "GET /healthz" not in log


# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_served_forum_answers_healthz_and_shows_demo_community(served):
    import json

    with urllib.request.urlopen(served + "/healthz") as response:
        body = json.loads(response.read())
    assert body["status"] == "ok" and body["database"] == "ok"
    with urllib.request.urlopen(served + "/") as response:
        page = response.read().decode()
    assert "Daily check-ins" in page and "Coffee room" in page
    with urllib.request.urlopen(served + "/static/css/forum.css") as response:
        assert response.status == 200


def test_served_socketio_refuses_anonymous_chat(served):
    import socketio

    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(served, namespaces=["/chat"], transports=["websocket"], wait_timeout=5)
    client.disconnect()


def test_served_forum_says_in_its_log_which_classifier_is_active(tmp_path):
    import time

    with live_forum(tmp_path):
        log_path = tmp_path / "server.log"
        deadline = time.monotonic() + 30
        while "start-up heap settled" not in log_path.read_text() and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        log = log_path.read_text()
    assert "classifier active: alt-profanity-check" in log
    assert "job scheduler started" in log and "start-up heap settled" in log
