"""Helpers for the frame every page shares: the header's short duty time and the scope that
keeps a member's unsent drafts (static/js/drafts.js) apart from the next person's."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import Flask, current_app
from flask_babel import get_timezone
from flask_login import current_user

from ..services import clock
from .times import local_text

TIME_ONLY = "%H:%M"


def init_app(app: Flask) -> None:
    """The `when_soon` filter and the `draft_scope` global."""
    app.jinja_env.filters["when_soon"] = when_soon
    app.jinja_env.globals["draft_scope"] = draft_scope


def when_soon(moment: datetime) -> str:
    """The compact local time, only "18:05" when it falls today in the viewer's zone: the phone's
    one-line duty note has no room for a date it does not need."""
    zone = get_timezone()
    local = moment.astimezone(zone)
    if local.date() == clock.now().astimezone(zone).date():
        return local.strftime(TIME_ONLY)
    return local_text(moment, zone)


def draft_scope() -> str:
    """A value naming this login without naming the member: a keyed hash of the session id
    (account and session generation), so it changes at every log-out, and drafts kept under
    one login are never shown under another in the same browser tab."""
    if not current_user.is_authenticated:
        return ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"drafts:" + current_user.get_id().encode(), hashlib.sha256)
    return digest.hexdigest()[:16]
