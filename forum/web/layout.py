"""Helpers for the frame every page shares: the header's short duty time, the scope that
keeps a member's unsent drafts (static/js/drafts.js) apart from the next person's, and the
staff roles a sign-in without a second factor may not use yet (the banner above each page)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from babel.lists import format_list
from flask import Flask, current_app
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from ..services import clock
from ..services.accounts import people, staff_gate
from .times import local_text

TIME_ONLY = "%H:%M"


def init_app(app: Flask) -> None:
    """The `when_soon` filter and the `draft_scope`, `push_link_mark` and `locked_staff_roles`
    globals."""
    app.jinja_env.filters["when_soon"] = when_soon
    app.jinja_env.globals["draft_scope"] = draft_scope
    app.jinja_env.globals["push_link_mark"] = push_link_mark
    app.jinja_env.globals["locked_staff_roles"] = locked_staff_roles


def when_soon(moment: datetime) -> str:
    """The compact local time, only "18:05" when it falls today in the viewer's zone: the phone's
    one-line duty note has no room for a date it does not need."""
    zone = get_timezone()
    local = moment.astimezone(zone)
    if local.date() == clock.now().astimezone(zone).date():
        return local.strftime(TIME_ONLY)
    return local_text(moment, zone)


def push_link_mark() -> str:
    """A value naming this sign-in without its id: static/js/app.js tells the server once per
    sign-in that this browser's push subscription belongs to it (so logging out here finds
    it). Empty without a sign-in."""
    row = getattr(current_user, "sign_in", None) if current_user.is_authenticated else None
    if row is None:
        return ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    # With its start: SQLite may give a new sign-in the id of one just ended.
    named = f"push:{row.id}:{row.created_at.isoformat()}"
    return hmac.new(key, named.encode(), hashlib.sha256).hexdigest()[:16]


def draft_scope() -> str:
    """A value naming this login without naming the member: a keyed hash of the session id
    (account and session generation), so it changes at every log-out, and drafts kept under
    one login are never shown under another in the same browser tab."""
    if not current_user.is_authenticated:
        return ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"drafts:" + current_user.get_id().encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def locked_staff_roles() -> tuple[int, str]:
    """How many staff roles this sign-in may not use for want of a second factor, and their
    names as one phrase in the reader's language ("moderator and admin"); (0, "") for none."""
    if not current_user.is_authenticated or not staff_gate.is_locked(current_user):
        return 0, ""
    locked = current_user.locked_roles
    names = [people.role_label(role).lower() for role in staff_gate.staff_roles()
             if role in locked]
    return len(names), format_list(names, locale=str(get_locale() or "en"))
