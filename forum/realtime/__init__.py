"""Socket.IO namespaces. Handlers check the session, call a service, then ack or emit."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the namespaces (their handlers are bound to the shared socketio object)."""
    from . import chat  # noqa: F401 - importing registers the handlers
