"""Chat rooms: the list and a room's page (the live part is static/js/chat.js over /chat)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..services.accounts import standing
from ..services.chat import entry as room_entry, facilitation as room_controls, messages as chat

bp = Blueprint("rooms", __name__)


@bp.get("/rooms")
def index():
    """Every chat room."""
    return render_template(
        "rooms/index.html", rooms=chat.list_rooms(current_user), is_open=chat.is_open
    )


@bp.get("/rooms/<slug>")
@login_required
def room(slug: str):
    """A room's page: the message log and the form; messages arrive over Socket.IO."""
    the_room = chat.access_room(slug, current_user)
    return render_template(
        "rooms/room.html", room=the_room, open=chat.is_open(the_room),
        can_send=standing.can_write(current_user), text_max=chat.TEXT_MAX,
        facilitator=room_controls.can_facilitate(the_room, current_user),
        controls=room_controls.state(the_room),
        pinned=(room_controls.pinned(the_room)
                if room_entry.may_see_inside(the_room, current_user) else None),
        slow_mode_choices=room_controls.SLOW_MODE_CHOICES,
    )
