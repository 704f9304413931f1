"""The /chat namespace (DESIGN.md 3.4): only logged-in members may connect.

Handlers are thin: check the payload, call forum/services/chat/messages.py, ack. Every event is
answered through its ack (realtime/acks.py holds the contract). Messages leave through the event
bus after commit (realtime/emitters.py maps each bus event to its Socket.IO event): `message` to
the room, `support` to the sender's own connections only (the per-user room user-<id>): `{"kind":
"crisis" | "gentle", "resources", "message"}`, the full list of lines for a risk to the writer, a
small note for a relapse. A `message` carries `note` ("suicidal-thoughts", "overdose" or null): the
client folds its text behind that content note for everyone but its writer (history and sync leave
it out of the viewer's own messages). It carries `badge` ("admin", "moderator", "facilitator" or
null, never in an anonymous room): the staff role its author spoke in, shown by the client.

Joining: `join {"room"}` acks `{"ok", "room", "history", "presence", "pinned": message|null,
"controls": {"room", "open", "locked", "waiting_room", "slow_mode"}, "facilitator": bool}` plus
`knocks: [{"room", "token", "pseudonym"}]` (facilitators) or `muted_until` (members). With the
waiting room on, a member knocks instead: `{"ok": true, "room", "waiting": true}`, no history.
Locked rooms refuse newcomers (`locked`); a member removed this session is refused
(`removed`). Facilitator connections also join hosts-<slug>.

Who facilitates (room_controls.can_facilitate): moderators and admins anywhere, facilitators
where a host rule lets them (a meeting's host and co-host), never in an anonymous room: there a
facilitator joins, knocks and is muted like any member.

Nothing this namespace sends (event or ack) carries an account id: a message has its own id and
the author's name ("Anonymous member" in anonymous rooms); a knock has an opaque token, new for
each knock, valid in its room until admitted or declined.

Facilitator events (each re-checked in forum/services/chat/facilitation.py: others get
`forbidden`; each audited; every payload names "room"):
- `room_open`, `room_close`, `room_lock`, `room_unlock`, `end_meeting` → `{"ok", "controls"}`
- `waiting_room {"on": bool}`, `slow_mode {"seconds": int}` → `{"ok", "controls"}`
- `admit {"token"}`, `decline {"token"}` → `{"ok", "token"}`; an unknown, used or other room's
  token → `not_found`
- `pin {"message_id"}`, `unpin` → `{"ok", "room", "message": message|null}`
- `mute {"message_id" | "user": id, "minutes": int (0 lifts)}` → `{"ok", "until"}`
- `remove {"message_id" | "user": id}` → `{"ok"}`
  (`user` ids are refused in anonymous rooms: `invalid`; aim at a member by their message)
- `announce {"text", "client_id"?}` → `{"ok", "state", "message"}` (screened; kind "announcement")

Send refusals beside those of DESIGN.md: `slow_mode` (+ `retry_after`, `seconds`), `muted`
(+ `until`), `rate_limited` (+ `retry_after`, CHAT_RATE_LIMIT), `removed`; all with the text back.
Any event the database could not serve (it is restarting) gets `unavailable` with `"retry": true`:
the client sends it again unchanged (a send with the same client_id), and a connection made
meanwhile is refused with `unavailable`.
The text is screened first: a crisis, crisis-method or overdose text refused this way still
brings the writer `support` and the room's hosts a `facilitator_alert`, and is queued for
review; sent again with the same client_id once allowed, it is not screened a second time.

Server → client:
- room `room_state`: the controls above, after open, lock, waiting room and slow mode changes
- room and knocking members `room_closed {"room", "reason": "closed"|"ended"}`; everyone is
  taken out of the room
- room `pinned {"room", "message"}`; `message` carries `"kind": "message"|"announcement"`
- hosts `knock {"room", "token", "pseudonym"}` ("Anonymous member" in anonymous rooms),
  `knock_resolved {"room", "token", "admitted"}`
- the member only: `admitted {"room"}` (join again), `declined {"room"}`, `muted {"room",
  "until"}`, `removed_from_room {"room"}`
- hosts except the sender: `facilitator_alert {"room", "message_id", "author", "categories",
  "priority"}` after a crisis, crisis-method or overdose message; never the text
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room, rooms
from sqlalchemy import select

from ..errors import database_unreachable, note_unavailable
from ..extensions import db, socketio
from ..models import Room
from ..services import presence
from ..services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from . import sign_in_ends
from .acks import NotJoined, handle_event

log = logging.getLogger("forum.realtime")
NAMESPACE = "/chat"


def presence_count(audience: str) -> int:
    """How many connections are in a room, across every process when Redis is configured."""
    return presence.count(audience)


def emit_presence(room_slug: str, audience: str, count: int, *,
                   skip_sid: str | None = None) -> int:
    socketio.emit("presence", {"room": room_slug, "count": max(0, count)}, to=audience,
                  namespace=NAMESPACE, skip_sid=skip_sid)
    return max(0, count)


def _joined_room(payload: dict[str, Any]):
    room = chat.access_room(payload["room"], current_user)
    if chat.room_audience(room) not in rooms():
        raise NotJoined(_("Join the room first."))
    return room


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Refuse connections without a logged-in session (and, while the database cannot be
    reached, every connection: the client connects again)."""
    try:
        authenticated = current_user.is_authenticated
    except Exception as exc:
        if database_unreachable(exc):
            note_unavailable("chat connect")
            raise ConnectionRefusedError("unavailable") from None
        raise
    if not authenticated:
        raise ConnectionRefusedError("login_required")
    join_room(chat.user_audience(current_user.id))
    sign_in_ends.join()
    log.info("chat connect account_id=%s", current_user.id)


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_args):
    """Tell each joined room one fewer person is here."""
    joined = rooms()
    # Counted out first, with no query: when the database is slow or away (a burst of
    # reconnects can wait out the pool), a failure further on must not leave the connection
    # counted for good (this process's heartbeat would keep its entry alive).
    left = {}
    for audience in joined:
        slug = chat.slug_of(audience)
        if slug is not None:
            left[slug] = emit_presence(slug, audience, presence.leave(audience, request.sid),
                                       skip_sid=request.sid)
    # The account from its own room, joined at connect: its sign-in may have ended already.
    account_id = next((user_id for user_id in map(chat.user_of, joined) if user_id is not None),
                      None)
    if account_id is None:
        return
    for slug, count in left.items():
        room = db.session.scalar(select(Room).where(Room.slug == slug))
        if room is not None:
            chat.note_presence(room, account_id, False, max(0, count))


@socketio.on("join", namespace=NAMESPACE)
def on_join(data=None):
    """join {"room"} → {"ok", "history", "presence", "pinned", "controls", ...}, or
    {"ok", "waiting": true} at a waiting room; presence goes to the room."""

    def action(payload):
        room = chat.access_room(payload["room"], current_user)
        chat.check_join(room, acting_user=current_user)
        entry = room_entry.check_enter(room, acting_user=current_user)
        if entry.waiting:
            return {"ok": True, "room": room.slug, "waiting": True}
        audience = chat.room_audience(room)
        join_room(audience)
        if entry.facilitator:
            join_room(room_controls.hosts_audience(room))
        # What the member sees at once, read before counting them in: a join that fails here
        # leaves no count behind.
        snapshot = room_entry.join_snapshot(room, current_user, facilitator=entry.facilitator)
        count = presence.join(audience, request.sid)
        if not socketio.server.manager.is_connected(request.sid, NAMESPACE):
            # The connection closed while it joined and its disconnect handler may have run
            # first: counted in now, it would stay counted (the heartbeat keeps it alive).
            count = presence.leave(audience, request.sid)
        count = emit_presence(room.slug, audience, count)
        chat.note_presence(room, current_user.id, True, count)
        return {"ok": True, "room": room.slug, "presence": count, **snapshot}

    return handle_event(data, ("room",), action)


@socketio.on("leave", namespace=NAMESPACE)
def on_leave(data=None):
    """leave {"room"} → {"ok"}; presence goes to those still there."""

    def action(payload):
        room = _joined_room(payload)
        audience = chat.room_audience(room)
        leave_room(audience)
        leave_room(room_controls.hosts_audience(room))
        count = emit_presence(room.slug, audience, presence.leave(audience, request.sid))
        chat.note_presence(room, current_user.id, False, count)
        return {"ok": True}

    return handle_event(data, ("room",), action)


@socketio.on("send", namespace=NAMESPACE)
def on_send(data=None):
    """send {"room", "client_id", "text"} → {"ok", "state", "message"}."""

    def action(payload):
        room = _joined_room(payload)
        result = chat.check_send(room, payload["text"], payload["client_id"],
                                 acting_user=current_user)
        return {"ok": True, "state": result.state, "message": result.to_dict(room)}

    return handle_event(data, ("room", "client_id", "text"), action)


@socketio.on("sync", namespace=NAMESPACE)
def on_sync(data=None):
    """sync {"room", "after_id"} → {"ok", "messages"}: what was missed while away."""

    def action(payload):
        room = _joined_room(payload)
        return {"ok": True, "room": room.slug,
                "messages": chat.messages_since(room, payload["after_id"], current_user)}

    return handle_event(data, ("room", "after_id"), action)


@socketio.on("delete", namespace=NAMESPACE)
def on_delete(data=None):
    """delete {"id"} → {"ok"}: one's own message disappears from the room."""

    def action(payload):
        chat.check_delete(payload["id"], acting_user=current_user)
        return {"ok": True}

    return handle_event(data, ("id",), action)
