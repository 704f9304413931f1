"""What stands between a member and the room when they send: removal, a room mute, slow mode
and the chat rate limit; and, after a crisis disclosure, a private alert to the facilitators
in that room.

The rate limit is a moving window over the HTTP limiter's storage: Redis (the `limits` library)
when FORUM_REDIS_URL is set, else this process's own (local_window.py); keyed by a
daily-rotating HMAC of the account id, so nothing about it reaches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select

from ...errors import ForumError
from ...extensions import db
from ...models import ChatMessage, Room, User
from ...models.chat import CHAT_UNSENT, KIND_MESSAGE
from .. import clock, events
from ..local_window import LocalMovingWindow
from ..shared_store import WithFallback
from . import entry as room_entry, facilitation as room_controls, messages as chat

DEFAULT_CHAT_RATE_LIMIT = "12 per 10 seconds"
ALERT_CATEGORIES = frozenset({"crisis", "crisis-method", "overdose"})
FACILITATOR_ALERT = "room.facilitator_alert"
_LIMITER_KEY = "forum_chat_rate_limiter"


class GuardError(ForumError):
    """A refused send; `extra` goes into the error ack beside code and message."""

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.extra = extra


class SlowMode(GuardError):
    """Too soon after this member's last message in a slow-mode room."""

    code = "slow_mode"


class MutedInRoom(GuardError):
    """A facilitator muted this member in this room for a while."""

    code = "muted"


class RateLimited(GuardError):
    """Too many messages in a short time."""

    code = "rate_limited"


def _limiter() -> tuple[WithFallback | LocalMovingWindow, Any]:
    """One limiter per app: in this process (local_window.py) when the HTTP limiter's storage
    is memory, else a `limits` moving window over that storage (Redis, shared by processes),
    counted in this process while Redis is away (shared_store.py)."""
    cached = current_app.extensions.get(_LIMITER_KEY)
    if cached is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        item = parse(current_app.config.get("CHAT_RATE_LIMIT") or DEFAULT_CHAT_RATE_LIMIT)
        limiter = (LocalMovingWindow() if uri.startswith("memory://")
                   else WithFallback("chat rate limit",
                                     MovingWindowRateLimiter(storage_from_string(
                                         uri, **current_app.config.get(
                                             "RATELIMIT_STORAGE_OPTIONS", {}))),
                                     LocalMovingWindow()))
        cached = (limiter, item)
        current_app.extensions[_LIMITER_KEY] = cached
    return cached


def _bucket(user: User) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    secret = f"{current_app.config['SECRET_KEY']}:chat:{day}".encode()
    return hmac.new(secret, str(user.id).encode(), hashlib.sha256).hexdigest()[:24]


def check_rate_limit(user: User) -> None:
    """Count one send; refuse it past CHAT_RATE_LIMIT."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter, item = _limiter()
    bucket = _bucket(user)
    if limiter.hit(item, "chat-send", bucket):
        return
    reset_at, _remaining = limiter.get_window_stats(item, "chat-send", bucket)
    retry_after = max(1, math.ceil(reset_at - datetime.now(UTC).timestamp()))
    raise RateLimited(str(_l("You're sending messages very fast. Take a breath and try again "
                             "in a moment.")), retry_after=retry_after)


def _last_sent(room: Room, user: User) -> datetime | None:
    # A refused message kept for review was not said: it does not restart the wait.
    return db.session.scalar(select(func.max(ChatMessage.created_at)).where(
        ChatMessage.room_id == room.id, ChatMessage.author_id == user.id,
        ChatMessage.kind == KIND_MESSAGE, ChatMessage.status != CHAT_UNSENT))


def check_slow_mode(room: Room, user: User) -> None:
    """One message per N seconds per member while slow mode is on."""
    seconds = room_controls.slow_mode_seconds(room)
    if not seconds:
        return
    last = _last_sent(room, user)
    if last is None:
        return
    wait = seconds - (clock.now() - last).total_seconds()
    if wait > 0:
        raise SlowMode(str(_l("Slow mode is on: one message every %(n)d seconds.", n=seconds)),
                       retry_after=math.ceil(wait), seconds=seconds)


def guard_send(room: Room, user: User, kind: str) -> None:
    """The send guard chat.do_send runs after screening (a refused risk disclosure is still
    heard)."""
    if room_controls.can_facilitate(room, user):
        # Exempt from room mutes and slow mode; the rate limit is per member, whatever the role.
        check_rate_limit(user)
        return
    if room_entry.is_removed(room, user.id):
        raise room_entry.RemovedFromRoom(str(_l(
            "A facilitator has asked you to leave this session.")))
    until = room_entry.muted_until(room, user.id)
    if until is not None:
        raise MutedInRoom(str(_l("A facilitator has muted you in this room for a little while.")),
                          until=until.isoformat())
    check_slow_mode(room, user)
    check_rate_limit(user)


def alert_payload(room: Room, message: ChatMessage, verdict: Any) -> dict[str, Any]:
    """The private facilitator_alert: who and what kind, never the text."""
    return {
        "room": room.slug,
        "message_id": message.id,
        "author": chat.author_name(message, room),
        "categories": sorted(verdict.categories),
        "priority": verdict.priority,
    }


def alert_facilitators(room: Room, message: ChatMessage, verdict: Any, user: User) -> None:
    """A crisis, method or overdose disclosure: tell the facilitators in the room (not the
    sender) so someone can reach out; the sender gets `support`, the queue an urgent item.
    Also when the send itself was refused (slow mode, a mute): the message id then names a
    message kept for review, never shown in the room."""
    if verdict is None or ALERT_CATEGORIES.isdisjoint(verdict.categories):
        return
    payload = alert_payload(room, message, verdict)
    payload["skip_user"] = user.id
    events.publish(FACILITATOR_ALERT, payload, audience=(room_controls.hosts_audience(room),))
