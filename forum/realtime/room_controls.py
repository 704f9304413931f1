"""Facilitator events on /chat (documented in forum/realtime/chat.py): thin handlers over
forum/services/chat/facilitation.py and room_entry.py, which check the facilitator's right again
for every event; and the emitters that carry the committed effects to the room."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from ..extensions import socketio
from ..services import events, presence
from ..services.chat import (
    entry as room_entry,
    facilitation as room_controls,
    guards as room_guards,
    messages as chat,
)
from . import room_exits
from .chat import NAMESPACE, emitter, handle_event


def _room(payload: dict[str, Any]):
    return chat.access_room(payload["room"], current_user)


def _on(event: str, keys: tuple[str, ...], action) -> None:
    def handler(data=None):
        return handle_event(data, ("room", *keys), lambda payload: action(_room(payload), payload))

    handler.__name__ = f"on_{event}"
    handler.__doc__ = f"{event}: a facilitator tool; acks ok or an error."
    socketio.on(event, namespace=NAMESPACE)(handler)


def _controls(result: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "controls": result}


_on("room_open", (), lambda room, p: _controls(
    room_controls.check_open(room, acting_user=current_user)))
_on("room_close", (), lambda room, p: _controls(
    room_controls.check_close(room, acting_user=current_user)))
_on("room_lock", (), lambda room, p: _controls(
    room_controls.check_lock(room, True, acting_user=current_user)))
_on("room_unlock", (), lambda room, p: _controls(
    room_controls.check_lock(room, False, acting_user=current_user)))
_on("waiting_room", ("on",), lambda room, p: _controls(
    room_controls.check_waiting_room(room, p["on"], acting_user=current_user)))
_on("slow_mode", ("seconds",), lambda room, p: _controls(
    room_controls.check_slow_mode(room, p["seconds"], acting_user=current_user)))
_on("end_meeting", (), lambda room, p: _controls(
    room_controls.check_end_session(room, acting_user=current_user)))
_on("pin", ("message_id",), lambda room, p: {"ok": True, **room_controls.check_pin(
    room, p["message_id"], acting_user=current_user)})
_on("unpin", (), lambda room, p: {"ok": True, **room_controls.check_unpin(
    room, acting_user=current_user)})
# By the knock's token, never an account id (forum/services/chat/entry.py).
_on("admit", ("token",), lambda room, p: {"ok": True, "token": room_entry.check_admit(
    room, p, acting_user=current_user)})
_on("decline", ("token",), lambda room, p: {"ok": True, "token": room_entry.check_decline(
    room, p, acting_user=current_user)})


def _mute(room, payload):
    until = room_entry.check_mute(room, payload, acting_user=current_user)
    return {"ok": True, "until": until.isoformat() if until else None}


def _remove(room, payload):
    # No account id in the ack: someone removed by their message in an anonymous room stays
    # unnamed.
    room_entry.check_remove(room, payload, acting_user=current_user)
    return {"ok": True}


def _announce(room, payload):
    result = room_controls.check_announce(room, payload["text"], payload.get("client_id"),
                                          acting_user=current_user)
    return {"ok": True, "state": result.state, "message": result.to_dict(room)}


_on("mute", ("minutes",), _mute)
_on("remove", (), _remove)
_on("announce", ("text",), _announce)


def _sids_of(audience: str) -> list[str]:
    return [sid for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, audience)]


def _emit_closed(event: events.Event) -> None:
    """Tell the room and those knocking, then take every connection out of the room."""
    emitter("room_closed")(event)
    slug = event.payload["room"]
    for audience in (chat.slug_audience(slug), room_controls.hosts_slug_audience(slug)):
        socketio.close_room(audience, namespace=NAMESPACE)
    presence.clear(chat.slug_audience(slug))


def _emit_removed_member(event: events.Event) -> None:
    """Tell the member, take their connections out of the room on every process (the
    presence count follows). Whose they are comes from the audience, never the payload."""
    emitter("removed_from_room")(event)
    for audience in event.audience:
        user_id = chat.user_of(audience)
        if user_id is not None:
            room_exits.take_out(user_id, event.payload["room"])


def _emit_alert(event: events.Event) -> None:
    """facilitator_alert to the hosts in the room, never to the sender's own connections."""
    payload = dict(event.payload)
    skip_user = payload.pop("skip_user", None)
    skip = _sids_of(chat.user_audience(skip_user)) if skip_user is not None else []
    socketio.emit("facilitator_alert", payload, to=list(event.audience), namespace=NAMESPACE,
                  skip_sid=skip or None)


for _name, _handler in (
    (room_controls.STATE, emitter("room_state")),
    (room_controls.PINNED, emitter("pinned")),
    (room_controls.CLOSED, _emit_closed),
    (room_entry.KNOCK, emitter("knock")),
    (room_entry.KNOCK_RESOLVED, emitter("knock_resolved")),
    (room_entry.ADMITTED_EVENT, emitter("admitted")),
    (room_entry.DECLINED_EVENT, emitter("declined")),
    (room_entry.MUTED_EVENT, emitter("muted")),
    (room_entry.REMOVED_EVENT, _emit_removed_member),
    (room_guards.FACILITATOR_ALERT, _emit_alert),
):
    events.subscribe(_name, _handler)
