"""Talk to someone now, live on the /chat namespace: committed support events reach the
`user-<id>` rooms every /chat connection of an account joins at connect (realtime/chat.py).

support_request {id, age_s, urgent, pseudonym} → on-duty supporters; support_taken {id} →
supporters whose alert is no longer needed; support_accepted {id, room} and support_fallback
{id} → the member; support_closed {id, room} → both people.
"""

from __future__ import annotations

from ..extensions import socketio
from ..services import events
from ..services.support import requests as support

NAMESPACE = "/chat"


def _emit(name: str):
    def handler(event: events.Event) -> None:
        if not event.audience:
            return  # an empty audience would mean everyone: never broadcast
        socketio.emit(name, event.payload, to=list(event.audience), namespace=NAMESPACE)

    handler.__name__ = f"emit_{name}"
    return handler


_EVENTS = {
    support.REQUESTED: "support_request",
    support.TAKEN: "support_taken",
    support.ACCEPTED: "support_accepted",
    support.FALLBACK: "support_fallback",
    support.CLOSED: "support_closed",
}
_HANDLERS = {bus_name: _emit(name) for bus_name, name in _EVENTS.items()}
for _bus_name, _handler in _HANDLERS.items():
    events.subscribe(_bus_name, _handler)
