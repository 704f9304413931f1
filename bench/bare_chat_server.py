"""A bare python-socketio server that only broadcasts: the stack's own limit for chat_bench.

Same stack as the forum (python-socketio in threading mode, WebSockets through simple-websocket,
served by gunicorn gthread), same /chat events and payload shapes, none of the forum's work: no
session, database, screening or rendering. `join {room}` enters the room; `send {room,
client_id, text}` emits `message` to the room and acks.

Served as `gunicorn -k gthread -w 1 --threads N bench.bare_chat_server:app`.
"""

from __future__ import annotations

import html
import itertools
import os
import threading
from datetime import UTC, datetime

import socketio

NAMESPACE = "/chat"

# BARE_REDIS_URL joins several such processes through Redis, as FORUM_REDIS_URL joins the
# forum's: an emit is published to Redis and each process delivers to its own members.
_queue = os.environ.get("BARE_REDIS_URL")
sio = socketio.Server(async_mode="threading", logger=False, engineio_logger=False,
                      client_manager=socketio.RedisManager(_queue) if _queue else None)
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _next_id() -> int:
    with _ids_lock:
        return next(_ids)


@sio.on("connect", namespace=NAMESPACE)
def on_connect(sid, environ, auth=None):
    """Everyone may connect."""
    return True


@sio.on("join", namespace=NAMESPACE)
def on_join(sid, data):
    """Enter the room."""
    sio.enter_room(sid, f"room-{data['room']}", namespace=NAMESPACE)
    return {"ok": True, "room": data["room"], "history": [], "presence": 0}


@sio.on("send", namespace=NAMESPACE)
def on_send(sid, data):
    """Broadcast to the room (the sender included, as the forum does), then ack."""
    message = {
        "id": _next_id(), "room": data["room"], "author": "member",
        "text_html": f"<p>{html.escape(data['text'])}</p>",
        "created_at": datetime.now(UTC).isoformat(), "client_id": data["client_id"],
    }
    sio.emit("message", message, to=f"room-{data['room']}", namespace=NAMESPACE)
    return {"ok": True, "state": "published", "message": dict(message, state="published")}


def _healthz(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"ready": true}']


app = socketio.WSGIApp(sio, _healthz)
