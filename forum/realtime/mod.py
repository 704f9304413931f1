"""The /mod namespace: moderators and admins only. Rooms follow duty and training, and the
event bus hands committed `queue_item` events to the right rooms (realtime/emitters.py)."""

from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from ..extensions import socketio
from ..services import review_queue
from ..services.review import alerts as review_alerts, duty
from ..services.review.claims import can_handle_risk
from . import sign_in_ends

log = logging.getLogger("forum.realtime")
NAMESPACE = "/mod"


def rooms_for(user) -> list[str]:
    """The rooms a moderator joins: by duty, training and role."""
    trained = can_handle_risk(user)
    on_duty = duty.is_on_duty(user)
    rooms = []
    if on_duty:
        rooms.append(review_alerts.ROOM_DUTY)
        if trained:
            rooms.append(review_alerts.ROOM_DUTY_TRAINED)
    if trained:
        rooms.append(review_alerts.ROOM_TRAINED_ALL)
    if user.has_role("admin"):
        rooms.append(review_alerts.ROOM_ADMINS)
    if review_queue.is_supervisor(user):
        rooms.append(review_alerts.ROOM_SUPERVISORS)
    return rooms


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Refuse everyone but moderators and admins; join rooms by duty and training."""
    if not current_user.is_authenticated or not review_queue.can_review(current_user):
        raise ConnectionRefusedError("not_allowed")
    for room in rooms_for(current_user):
        join_room(room)
    sign_in_ends.join()
    log.info("mod connect account_id=%s", current_user.id)
