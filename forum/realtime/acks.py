"""The ack contract: every /chat event is answered through its ack (docs/interfaces.md).

Success is `{"ok": true, ...}`; a refusal is `{"ok": false, "error": code, "message": ...,
"text": original}`, the original cut to TEXT_MAX characters with any lone surrogate replaced by
U+FFFD, plus what the refusal adds (`retry_after`, `until`); while the database cannot be
reached it is `unavailable` with `"retry": true`, and the client sends the same text again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask_babel import force_locale, gettext as _

from ..errors import (
    ContentRejected,
    ForumError,
    ValidationFailed,
    database_unreachable,
    locale_without_database,
    note_unavailable,
)
from ..extensions import db
from ..services.chat.messages import TEXT_MAX
from ..text_input import all_encodable, shown_back

log = logging.getLogger("forum.realtime")


class NotJoined(ForumError):
    """An event for a room this connection has not joined."""

    code = "not_joined"


def error(code: str, message: str, text: Any = None) -> dict[str, Any]:
    """A refusal: its code, what the member reads, and their text back."""
    return {"ok": False, "error": code, "message": message, "text": text}


def unavailable(text: Any) -> dict[str, Any]:
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
    return {**error("unavailable", message, text), "retry": True}


def from_exception(exc: ForumError, text: Any) -> dict[str, Any]:
    """A service's refusal as an ack, in the member's words."""
    if isinstance(exc, (ValidationFailed, ContentRejected)):
        message = str(exc)
    elif exc.code == "not_found":
        message = _("There is no such room.")
    elif exc.code == "forbidden":
        message = _("You can't do this right now.")
    else:
        message = str(exc) or _("Something went wrong.")
    ack = error(exc.code, message, text)
    ack.update(getattr(exc, "extra", None) or {})  # e.g. retry_after, until
    return ack


def handle_event(data: Any, keys: tuple[str, ...],
                 action: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Check the payload's shape, run the action, turn every failure into an error ack."""
    # What a refusal sends back: never longer than a message may be, always encodable.
    text = shown_back(data.get("text") if isinstance(data, dict) else None, TEXT_MAX)
    if not isinstance(data, dict) or any(key not in data for key in keys):
        return error("invalid", _("That message was malformed."), text)
    if not all_encodable(data.values()):
        # A lone surrogate no database can store: refused here, before any query.
        return error("invalid", _("This has a character that can't be sent (often part of a"
                                  " broken emoji). Please remove it and try again."), text)
    try:
        return action(data)
    except ForumError as exc:
        db.session.rollback()
        return from_exception(exc, text)
    except Exception as exc:  # a handler must always ack; the error is logged for us
        if database_unreachable(exc):
            return unavailable(text)
        db.session.rollback()
        log.exception("chat event failed")
        return error("server_error", _("Something went wrong. Please try again."), text)
