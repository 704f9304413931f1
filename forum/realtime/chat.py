"""The /chat namespace (DESIGN.md 3.4): only logged-in members may connect.

Handlers are thin: check the payload, call forum/services/chat/messages.py, ack. Every event is
answered through its ack; errors are {"ok": false, "error": code, "message": ..., "text": original},
the original cut to TEXT_MAX characters with any lone surrogate replaced by U+FFFD (a payload string
holding one is refused as `invalid` before any query). Messages leave through the event bus after
commit: `message` to the room, `support` to the sender's own connections only (the per-user room
user-<id>): `{"kind": "crisis" | "gentle", "resources", "message"}`, the full list of lines for a
risk to the writer, a small note for a relapse. A `message` carries `note` ("suicidal-thoughts",
"overdose" or null): the client folds its text behind that content note for everyone but its writer
(history and sync leave it out of the viewer's own messages). It carries `badge` ("admin",
"moderator", "facilitator" or null, never in an anonymous room): the staff role its author spoke in,
shown by the client.

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
from flask_babel import force_locale, gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room, rooms
from sqlalchemy import select

from ..errors import (
    ContentRejected,
    ForumError,
    ValidationFailed,
    database_unreachable,
    locale_without_database,
    note_unavailable,
)
from ..extensions import db, socketio
from ..models import Room
from ..services import events, presence
from ..services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from ..text_input import all_encodable, shown_back
from . import sign_in_ends

log = logging.getLogger("forum.realtime")
NAMESPACE = "/chat"


def _error(code: str, message: str, text: Any = None) -> dict[str, Any]:
    return {"ok": False, "error": code, "message": message, "text": text}


def _unavailable(text: Any) -> dict[str, Any]:
    """The database could not be reached: the client keeps the text and sends it again with
    the same client_id (nothing was stored, or the first one stands)."""
    locale = locale_without_database()  # before the rollback forgets the account's values
    note_unavailable("chat")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
        pass
    with force_locale(locale):
        message = _("The forum is briefly unavailable, so this was not sent yet. Your text is"
                    " kept: please send it again in a moment.")
    return {**_error("unavailable", message, text), "retry": True}


def _from_exception(exc: ForumError, text: Any) -> dict[str, Any]:
    if isinstance(exc, ValidationFailed):
        message = str(exc)
    elif isinstance(exc, ContentRejected):
        message = str(exc)
    elif exc.code == "not_found":
        message = _("There is no such room.")
    elif exc.code == "forbidden":
        message = _("You can't do this right now.")
    else:
        message = str(exc) or _("Something went wrong.")
    ack = _error(exc.code, message, text)
    ack.update(getattr(exc, "extra", None) or {})  # e.g. retry_after, until
    return ack


def presence_count(audience: str) -> int:
    """How many connections are in a room, across every process when Redis is configured."""
    return presence.count(audience)


def emit_presence(room_slug: str, audience: str, count: int, *,
                   skip_sid: str | None = None) -> int:
    socketio.emit("presence", {"room": room_slug, "count": max(0, count)}, to=audience,
                  namespace=NAMESPACE, skip_sid=skip_sid)
    return max(0, count)


def _payload(data: Any, *keys: str) -> dict[str, Any] | None:
    if not isinstance(data, dict) or any(k not in data for k in keys):
        return None
    return data


def handle_event(data: Any, keys: tuple[str, ...], action) -> dict[str, Any]:
    """Validate the payload's shape, run the action, turn every failure into an error ack."""
    # What a refusal sends back: never longer than a message may be, always encodable.
    text = shown_back(data.get("text") if isinstance(data, dict) else None, chat.TEXT_MAX)
    payload = _payload(data, *keys)
    if payload is None:
        return _error("invalid", _("That message was malformed."), text)
    if not all_encodable(payload.values()):
        # A lone surrogate no database can store: refused here, before any query.
        return _error("invalid", _("This has a character that can't be sent (often part of a"
                                   " broken emoji). Please remove it and try again."), text)
    try:
        return action(payload)
    except ForumError as exc:
        db.session.rollback()
        return _from_exception(exc, text)
    except Exception as exc:  # a handler must always ack; the error is logged for us
        if database_unreachable(exc):
            return _unavailable(text)
        db.session.rollback()
        log.exception("chat event failed")
        return _error("server_error", _("Something went wrong. Please try again."), text)


class NotJoined(ForumError):
    """An event for a room this connection has not joined."""

    code = "not_joined"


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
    # A connection closed because its sign-in ended has no user any more: its own room names
    # the account, so attendance still counts it out.
    account_id = current_user.id if current_user.is_authenticated else next(
        (user_id for user_id in map(chat.user_of, joined) if user_id is not None), None)
    for audience in joined:
        slug = chat.slug_of(audience)
        if slug is not None:
            count = emit_presence(slug, audience, presence.leave(audience, request.sid),
                                   skip_sid=request.sid)
            if account_id is not None:
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
        count = presence.join(audience, request.sid)
        if not socketio.server.manager.is_connected(request.sid, NAMESPACE):
            # The connection closed while it joined and its disconnect handler may have run
            # first: counted in now, it would stay counted (the heartbeat keeps it alive).
            count = presence.leave(audience, request.sid)
        count = emit_presence(room.slug, audience, count)
        chat.note_presence(room, current_user.id, True, count)
        ack = {"ok": True, "room": room.slug, "history": chat.history(room, current_user),
               "presence": count, "pinned": room_controls.pinned(room),
               "controls": room_controls.state(room), "facilitator": entry.facilitator}
        if entry.facilitator:
            ack["knocks"] = room_entry.knocks(room)
        else:
            until = room_entry.muted_until(room, current_user.id)
            ack["muted_until"] = until.isoformat() if until else None
        return ack

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


def emitter(name: str):
    def handler(event: events.Event) -> None:
        if not event.audience:
            return  # an empty audience would mean everyone: never broadcast
        socketio.emit(name, event.payload, to=list(event.audience), namespace=NAMESPACE)

    handler.__name__ = f"emit_{name}"
    return handler


_emit_message = emitter("message")
_emit_removed = emitter("message_removed")
_emit_support = emitter("support")
events.subscribe(chat.MESSAGE, _emit_message)
events.subscribe(chat.REMOVED, _emit_removed)
events.subscribe(chat.SUPPORT, _emit_support)
