"""Helpers for the chat tests: rooms and Socket.IO clients logged in as a member."""

from __future__ import annotations

import pytest

from forum.extensions import db, socketio
from forum.models import Room
from tests.conftest import login


def make_room(slug="coffee-room", title="Coffee room", *, anonymous=False, always_open=True):
    """A room, stored directly (rooms are made by the demo seed or an admin)."""
    room = Room(slug=slug, title=title, description="Pull up a chair.", anonymous=anonymous,
                always_open=always_open)
    db.session.add(room)
    db.session.commit()
    return room


@pytest.fixture
def room(app):
    """An always-open room."""
    return make_room()


def connect(app, user=None):
    """A /chat Socket.IO client sharing a logged-in HTTP client's cookie."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    return socketio.test_client(app, namespace="/chat", flask_test_client=client)


def received(sock, name: str) -> list[dict]:
    """The payloads of every event of this name received since the last call (drains all)."""
    # The test client keeps a `message` event's payload unwrapped (it is Socket.IO's send()).
    return [
        r["args"] if isinstance(r["args"], dict) else r["args"][0]
        for r in sock.get_received("/chat") if r["name"] == name
    ]


def emit(sock, event: str, data=None):
    """Emit with an ack and return the ack."""
    return sock.emit(event, data, namespace="/chat", callback=True)
