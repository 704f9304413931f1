"""Socket.IO namespaces. Handlers check the session, call a service, then ack or emit."""

from __future__ import annotations

from flask import Flask

from ..services import jobs, presence

# Imported at package import, i.e. before create_app calls socketio.init_app: Flask-SocketIO
# keeps a decorator's handler for later apps only when no server exists yet at decoration time,
# so importing these inside init_app left every app after the first without its handlers.
from . import (  # noqa: F401 - registers the handlers
    catch_up,
    chat,
    emitters,
    mod,
    room_controls,
    room_exits,
    sign_in_ends,
)


def init_app(app: Flask) -> None:
    """The namespaces' handlers are bound to the shared socketio object at import time;
    presence is counted in Redis when the app has one, so every process sees the same count."""
    presence.configure(app.config.get("REDIS_URL"), jobs.process_holder())
    # Committed events out to the browsers: the one table of bus event -> Socket.IO event.
    emitters.subscribe_all()
    catch_up.init_app(app)
    jobs.register_local("chat.room_exits", room_exits.sweep)
    # Connections of sign-ins ended by another process or a job, or left idle.
    jobs.register_local("accounts.sign_in_ends", sign_in_ends.sweep)
