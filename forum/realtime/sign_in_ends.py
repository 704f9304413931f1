"""Ending a sign-in closes its open Socket.IO connections, in every namespace.

Each namespace's connect handler calls join() once it accepted the connection: the connection
enters a room named after the sign-in its session cookie names ("sign_in:<id>"). Nothing is
ever emitted to these rooms; they are this process's index from a sign-in to its connections,
which python-socketio forgets by itself when a connection goes.

When a sign-in ends (its owner ends it, a new password or a removed factor ends the others, an admin
ends them all, it is left idle, the account is deleted), services/accounts/sign_ins.py publishes
`sign_in.ended` after the commit; the process that committed it disconnects its own connections of
those sign-ins at once. Connections held by other processes are closed by sweep(), which every
process's scheduler runs at each tick (JOBS_TICK_S): it disconnects the connections whose sign-in is
gone or past its idle deadline. Until then such a connection can do nothing: the session loader
(auth_loader.py) refuses every event from an ended sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_login import current_user
from flask_socketio import join_room

from ..extensions import socketio
from ..services import clock
from ..services.accounts import sign_ins

log = logging.getLogger("forum.realtime")
ROOM_PREFIX = "sign_in:"
# The namespaces whose connections are signed in ("/chat" also carries support events).
NAMESPACES = ("/chat", "/mod")


def room_of(sign_in_id: int) -> str:
    """The room of one sign-in's connections in this process."""
    return f"{ROOM_PREFIX}{sign_in_id}"


def sign_in_of(room: object) -> int | None:
    """The sign-in id a room is named after, if it is one of these rooms."""
    if not isinstance(room, str) or not room.startswith(ROOM_PREFIX):
        return None
    rest = room[len(ROOM_PREFIX):]
    return int(rest) if rest.isascii() and rest.isdigit() else None


def join() -> None:
    """From a namespace's connect handler, once the connection is accepted: index it under
    the sign-in it came with (the session loader set current_user.sign_in)."""
    sign_in = getattr(current_user, "sign_in", None)
    if sign_in is not None:
        join_room(room_of(sign_in.id))


def _disconnect(targets: list[tuple[str, str]]) -> int:
    """Disconnect these (sid, namespace) connections of this process.

    Each in an app context of its own: the namespace's disconnect handler loads the session's
    user into `g` and uses the database, and must see neither the user nor the session of the
    request or job that ended the sign-in (an admin's, or the one committing right now)."""
    app = current_app._get_current_object()
    server = socketio.server
    done = 0
    for sid, namespace in targets:
        try:
            with app.app_context():
                server.disconnect(sid, namespace=namespace, ignore_queue=True)
        except Exception:  # one connection must not keep the others open
            log.exception("disconnecting an ended sign-in failed namespace=%s", namespace)
            continue
        done += 1
    return done


def _connections(sign_in_ids: Iterable[int]) -> list[tuple[str, str]]:
    manager = socketio.server.manager
    rooms = [room_of(sign_in_id) for sign_in_id in sign_in_ids]
    if not rooms:
        return []
    return [(sid, namespace) for namespace in NAMESPACES
            for sid, _eio_sid in manager.get_participants(namespace, rooms)]


def disconnect_here(sign_in_ids: Iterable[int]) -> int:
    """Close this process's connections of these sign-ins; returns how many."""
    if socketio.server is None:
        return 0
    targets = _connections(sign_in_ids)
    done = _disconnect(targets)
    if done:
        log.info("connections of ended sign-ins closed count=%s", done)
    return done


def sweep(now: datetime | None = None) -> int:
    """Local job: close this process's connections whose sign-in ended elsewhere (another
    process, a job, a deleted account) or went idle; returns how many were closed."""
    if socketio.server is None:
        return 0
    manager = socketio.server.manager
    held: set[int] = set()
    for namespace in NAMESPACES:
        # A copy: connections come and go on other threads while this runs.
        for name in list(manager.rooms.get(namespace, {}).copy()):
            sign_in_id = sign_in_of(name)
            if sign_in_id is not None:
                held.add(sign_in_id)
    if not held:
        return 0
    ended = held - sign_ins.open_among(held, now or clock.now())
    if not ended:
        return 0
    done = _disconnect(_connections(sorted(ended)))
    if done:
        log.info("connections of sign-ins ended elsewhere closed count=%s", done)
    return done

