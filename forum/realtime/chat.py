"""The /chat namespace: only logged-in members may connect."""

from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import ConnectionRefusedError

from ..extensions import socketio

log = logging.getLogger("forum.realtime")


@socketio.on("connect", namespace="/chat")
def on_connect(auth=None):
    """Refuse connections without a logged-in session."""
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("login_required")
    log.info("chat connect account_id=%s", current_user.id)
