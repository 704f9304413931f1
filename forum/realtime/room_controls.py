"""Facilitator events on /chat (documented in forum/realtime/chat.py and docs/interfaces.md):
thin handlers over forum/services/chat/facilitation.py and entry.py, which check the
facilitator's right again for every event. What they change reaches the room through the
event bus (realtime/emitters.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user

from ..extensions import socketio
from ..models import Room
from ..services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from .acks import handle_event
from .chat import NAMESPACE

Tool = Callable[[Room, dict[str, Any]], dict[str, Any]]


def _tool(data: Any, keys: tuple[str, ...], action: Tool) -> dict[str, Any]:
    """Check the payload (a room and these keys), find the room, run the tool, ack."""
    return handle_event(data, ("room", *keys), lambda payload: action(
        chat.access_room(payload["room"], current_user), payload))


def _controls(result: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "controls": result}


@socketio.on("room_open", namespace=NAMESPACE)
def on_room_open(data=None):
    """room_open {"room"} → {"ok", "controls"}: open the room now, whatever its schedule."""
    return _tool(data, (), lambda room, _p: _controls(
        room_controls.check_open(room, acting_user=current_user)))


@socketio.on("room_close", namespace=NAMESPACE)
def on_room_close(data=None):
    """room_close {"room"} → {"ok", "controls"}: close it; everyone in it is told and leaves."""
    return _tool(data, (), lambda room, _p: _controls(
        room_controls.check_close(room, acting_user=current_user)))


@socketio.on("room_lock", namespace=NAMESPACE)
def on_room_lock(data=None):
    """room_lock {"room"} → {"ok", "controls"}: those in it stay, newcomers are refused."""
    return _tool(data, (), lambda room, _p: _controls(
        room_controls.check_lock(room, True, acting_user=current_user)))


@socketio.on("room_unlock", namespace=NAMESPACE)
def on_room_unlock(data=None):
    """room_unlock {"room"} → {"ok", "controls"}: newcomers may join again."""
    return _tool(data, (), lambda room, _p: _controls(
        room_controls.check_lock(room, False, acting_user=current_user)))


@socketio.on("waiting_room", namespace=NAMESPACE)
def on_waiting_room(data=None):
    """waiting_room {"room", "on"} → {"ok", "controls"}: members knock and wait to be let in."""
    return _tool(data, ("on",), lambda room, p: _controls(
        room_controls.check_waiting_room(room, p["on"], acting_user=current_user)))


@socketio.on("slow_mode", namespace=NAMESPACE)
def on_slow_mode(data=None):
    """slow_mode {"room", "seconds"} → {"ok", "controls"}: one message per member per interval
    (0 turns it off)."""
    return _tool(data, ("seconds",), lambda room, p: _controls(
        room_controls.check_slow_mode(room, p["seconds"], acting_user=current_user)))


@socketio.on("end_meeting", namespace=NAMESPACE)
def on_end_meeting(data=None):
    """end_meeting {"room"} → {"ok", "controls"}: close the room and end this session."""
    return _tool(data, (), lambda room, _p: _controls(
        room_controls.check_end_session(room, acting_user=current_user)))


@socketio.on("pin", namespace=NAMESPACE)
def on_pin(data=None):
    """pin {"room", "message_id"} → {"ok", "pinned"}: one message shown above the chat."""
    return _tool(data, ("message_id",), lambda room, p: {"ok": True, **room_controls.check_pin(
        room, p["message_id"], acting_user=current_user)})


@socketio.on("unpin", namespace=NAMESPACE)
def on_unpin(data=None):
    """unpin {"room"} → {"ok", "pinned": null}."""
    return _tool(data, (), lambda room, _p: {"ok": True, **room_controls.check_unpin(
        room, acting_user=current_user)})


@socketio.on("admit", namespace=NAMESPACE)
def on_admit(data=None):
    """admit {"room", "token"} → {"ok", "token"}: let in whoever knocked with this token (by
    the knock's token, never an account id)."""
    return _tool(data, ("token",), lambda room, p: {"ok": True, "token": room_entry.check_admit(
        room, p, acting_user=current_user)})


@socketio.on("decline", namespace=NAMESPACE)
def on_decline(data=None):
    """decline {"room", "token"} → {"ok", "token"}: the knock is turned down, kindly."""
    return _tool(data, ("token",), lambda room, p: {"ok": True, "token": room_entry.check_decline(
        room, p, acting_user=current_user)})


def _mute(room: Room, payload: dict[str, Any]) -> dict[str, Any]:
    until = room_entry.check_mute(room, payload, acting_user=current_user)
    return {"ok": True, "until": until.isoformat() if until else None}


@socketio.on("mute", namespace=NAMESPACE)
def on_mute(data=None):
    """mute {"room", "minutes", "message_id" | "user"} → {"ok", "until"}: the member may read
    but not write in this room for a while."""
    return _tool(data, ("minutes",), _mute)


def _remove(room: Room, payload: dict[str, Any]) -> dict[str, Any]:
    # No account id in the ack: someone removed by their message in an anonymous room stays
    # unnamed.
    room_entry.check_remove(room, payload, acting_user=current_user)
    return {"ok": True}


@socketio.on("remove", namespace=NAMESPACE)
def on_remove(data=None):
    """remove {"room", "message_id" | "user"} → {"ok"}: out of the room for this session."""
    return _tool(data, (), _remove)


def _announce(room: Room, payload: dict[str, Any]) -> dict[str, Any]:
    result = room_controls.check_announce(room, payload["text"], payload.get("client_id"),
                                          acting_user=current_user)
    return {"ok": True, "state": result.state, "message": result.to_dict(room)}


@socketio.on("announce", namespace=NAMESPACE)
def on_announce(data=None):
    """announce {"room", "text", "client_id"?} → {"ok", "state", "message"}: screened like any
    message, shown distinctly; a resend with the same client_id is the same announcement."""
    return _tool(data, ("text",), _announce)
