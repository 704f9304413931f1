"""Every committed bus event that reaches browsers, and what it becomes on Socket.IO, in one
table (`TABLE`). Services publish events after commit (services/events.py) with an audience of
Socket.IO rooms; nothing here reads the database or decides who may hear what.

An empty audience is never a broadcast: such an event is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from ..extensions import socketio
from ..services import events, presence
from ..services.accounts import sign_ins
from ..services.chat import (
    entry as room_entry,
    facilitation as room_controls,
    guards as room_guards,
    messages as chat,
)
from ..services.review import alerts as review_alerts
from ..services.support import requests as support
from . import room_exits, sign_in_ends

CHAT = "/chat"
MOD = "/mod"
Handler = Callable[[events.Event], None]


def emitter(name: str, namespace: str = CHAT) -> Handler:
    """The event's payload, as Socket.IO event `name`, to the event's audience."""

    def handler(event: events.Event) -> None:
        if not event.audience:
            return
        # One emit to the list of rooms: someone in two of them hears it once.
        socketio.emit(name, event.payload, to=list(event.audience), namespace=namespace)

    handler.__name__ = f"emit_{name}"
    return handler


def _sids_of(audience: str) -> list[str]:
    return [sid for sid, _eio in socketio.server.manager.get_participants(CHAT, audience)]


def room_closed(event: events.Event) -> None:
    """Tell the room and those knocking, then take every connection out of the room."""
    emitter("room_closed")(event)
    slug = event.payload["room"]
    for audience in (chat.slug_audience(slug), room_controls.hosts_slug_audience(slug)):
        socketio.close_room(audience, namespace=CHAT)
    presence.clear(chat.slug_audience(slug))


def removed_from_room(event: events.Event) -> None:
    """Tell the member, take their connections out of the room on every process (the
    presence count follows). Whose they are comes from the audience, never the payload."""
    emitter("removed_from_room")(event)
    for audience in event.audience:
        user_id = chat.user_of(audience)
        if user_id is not None:
            room_exits.take_out(user_id, event.payload["room"])


def facilitator_alert(event: events.Event) -> None:
    """To the hosts in the room, never to the sender's own connections."""
    if not event.audience:
        return
    payload = dict(event.payload)
    skip_user = payload.pop("skip_user", None)
    skip = _sids_of(chat.user_audience(skip_user)) if skip_user is not None else []
    socketio.emit("facilitator_alert", payload, to=list(event.audience), namespace=CHAT,
                  skip_sid=skip or None)


def sign_in_ended(event: events.Event) -> None:
    """Not an emit: this process closes its own connections of the ended sign-ins."""
    sign_in_ends.disconnect_here(
        [i for i in event.payload.get("sign_in_ids", ()) if isinstance(i, int)])


# bus event -> what happens on Socket.IO (docs/interfaces.md lists the payloads).
TABLE: tuple[tuple[str, Handler], ...] = (
    # Chat in a room.
    (chat.MESSAGE, emitter("message")),
    (chat.REMOVED, emitter("message_removed")),
    (chat.SUPPORT, emitter("support")),
    # The facilitator's tools and the waiting room.
    (room_controls.STATE, emitter("room_state")),
    (room_controls.PINNED, emitter("pinned")),
    (room_controls.CLOSED, room_closed),
    (room_entry.KNOCK, emitter("knock")),
    (room_entry.KNOCK_RESOLVED, emitter("knock_resolved")),
    (room_entry.ADMITTED_EVENT, emitter("admitted")),
    (room_entry.DECLINED_EVENT, emitter("declined")),
    (room_entry.MUTED_EVENT, emitter("muted")),
    (room_entry.REMOVED_EVENT, removed_from_room),
    (room_guards.FACILITATOR_ALERT, facilitator_alert),
    # Talk to someone now.
    (support.REQUESTED, emitter("support_request")),
    (support.TAKEN, emitter("support_taken")),
    (support.ACCEPTED, emitter("support_accepted")),
    (support.FALLBACK, emitter("support_fallback")),
    (support.CLOSED, emitter("support_closed")),
    # The review queue, to moderators on /mod.
    (review_alerts.QUEUE_ITEM, emitter("queue_item", MOD)),
    # Sign-ins ended here: their connections close.
    (sign_ins.ENDED, sign_in_ended),
)


def subscribe_all() -> None:
    """Subscribe every handler of the table (idempotent)."""
    for name, handler in TABLE:
        events.subscribe(name, handler)
