"""Facilitator tools in a live room: who facilitates, open/close, lock, waiting room toggle,
pin, slow mode, announcements and ending a session. Anonymous rooms are hosted by moderators
and admins only; there a facilitator is a member like any other.

The room's settings live in the database (models/room_controls.py), so every process sees the
same room. Each tool checks `can_facilitate` here, writes an audit row in its transaction and
publishes its effect through the event bus (delivered after commit). Member standing in a
session (knocking, admitted, muted, removed) is in room_entry.py; send guards and the crisis
alert for facilitators are in room_guards.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ...errors import NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ChatMessage, Room, RoomControl, RoomParticipant, User
from ...models.chat import CHAT_PUBLISHED, KIND_ANNOUNCEMENT
from ...models.room_controls import WAITING
from .. import audit, clock, events, transaction
from ..accounts.account import is_suspended
from . import memo as event_memo, messages as chat

log = logging.getLogger("forum.room_controls")

SLOW_MODE_MAX = 3600
SLOW_MODE_CHOICES = (0, 10, 30, 60, 120, 300)

# Event bus names; forum/realtime/room_controls.py maps them to Socket.IO events.
STATE = "room.state"          # room: open, locked, waiting room, slow mode
CLOSED = "room.closed"        # room (and those knocking): the room closed; everyone is taken out
PINNED = "room.pinned"        # room: the pinned message (or None)

HostRule = Callable[[Room, User], bool | None]
SessionEndObserver = Callable[[Room], None]
SessionStart = Callable[[Room, datetime], datetime | None]
_HOST_RULES: list[HostRule] = []
_SESSION_END_OBSERVERS: list[SessionEndObserver] = []
_SESSION_STARTS: list[SessionStart] = []


def hosts_audience(room: Room) -> str:
    """The audience of the facilitators' connections in a room (knocks, crisis alerts)."""
    return hosts_slug_audience(room.slug)


def hosts_slug_audience(slug: str) -> str:
    """The facilitators' audience of the room with this slug (event payloads carry it)."""
    return f"hosts-{slug}"


def register_host_rule(rule: HostRule) -> None:
    """Let another service (meetings) say who facilitates a room: True, False or None."""
    if rule not in _HOST_RULES:
        _HOST_RULES.append(rule)


def register_session_end_observer(observer: SessionEndObserver) -> None:
    """Hear (room) when a facilitator ends the session, inside that transaction."""
    if observer not in _SESSION_END_OBSERVERS:
        _SESSION_END_OBSERVERS.append(observer)


def register_session_start(provider: SessionStart) -> None:
    """Let a scheduled room say when its latest session began (at or before a time):
    settings and standings from before then belong to an earlier session and lapse."""
    if provider not in _SESSION_STARTS:
        _SESSION_STARTS.append(provider)


def session_began(room: Room, now: datetime | None = None) -> datetime | None:
    """When the room's current (or latest) scheduled session began; None for rooms without
    a schedule, whose settings last until a facilitator changes them."""
    now = now or clock.now()
    for provider in list(_SESSION_STARTS):
        began = provider(room, now)
        if began is not None:
            return began
    return None


def is_stale(updated_at: datetime | None, room: Room, now: datetime | None = None) -> bool:
    """Was this setting made in an earlier session of a scheduled room?"""
    if updated_at is None:
        return False
    began = session_began(room, now)
    return began is not None and updated_at < began


def can_facilitate(room: Room, user: User | None) -> bool:
    """Moderators and admins anywhere; facilitators unless a host rule says otherwise, and
    never in an anonymous room: who hosts one hears its knocks and crisis alerts, so only
    moderators (whose reveal of an author is audited) and admins do."""
    if user is None or not getattr(user, "is_authenticated", False) or is_suspended(user):
        return False
    if user.has_role("moderator") or user.has_role("admin"):
        return True
    if room.anonymous:
        return False  # before the host rules: a meeting's own host included
    for rule in list(_HOST_RULES):
        answer = rule(room, user)
        if answer is not None:
            return bool(answer)
    return user.has_role("facilitator")


def require_facilitator(room: Room, user: User | None) -> None:
    """PermissionDenied unless this account may facilitate the room."""
    if not can_facilitate(room, user):
        raise PermissionDenied()


def control(room: Room, now: datetime | None = None) -> RoomControl | None:
    """The room's stored settings for its current session, or None while it has its
    defaults (a scheduled meeting's next session starts from the defaults)."""
    # A room without a row (the usual case) would query again on each get().
    row = event_memo.cached_or_loaded(("room_control", room.id), room, "controls",
                                      lambda: db.session.get(RoomControl, room.id))
    if row is not None and is_stale(row.updated_at, room, now):
        return None
    return row


def _control_for_update(room: Room) -> RoomControl:
    now = clock.now()
    row = db.session.get(RoomControl, room.id)
    if row is None:
        row = RoomControl(room_id=room.id, locked=False, slow_mode_seconds=0)
        db.session.add(row)
    elif is_stale(row.updated_at, room, now):
        # Left over from an earlier session: start this one from the defaults.
        row.open_override = None
        row.locked = False
        row.waiting_room = None
        row.slow_mode_seconds = 0
        row.pinned_message_id = None
    row.updated_at = now
    return row


def waiting_room_on(room: Room) -> bool:
    """Is the waiting room on? Default: on for meeting rooms, off for always-open rooms."""
    row = control(room)
    if row is not None and row.waiting_room is not None:
        return bool(row.waiting_room)
    return not room.always_open


def is_locked(room: Room) -> bool:
    """No new joins while locked; those already in this session stay."""
    row = control(room)
    return bool(row is not None and row.locked)


def slow_mode_seconds(room: Room) -> int:
    """Seconds a member waits between messages in this room (0: off)."""
    row = control(room)
    return int(row.slow_mode_seconds or 0) if row is not None else 0


def open_override(room: Room, now: datetime) -> bool | None:
    row = control(room, now)
    return None if row is None else row.open_override


def state(room: Room) -> dict[str, Any]:
    """The room_state event: what everyone's page shows about the room."""
    return {
        "room": room.slug,
        "open": chat.is_open(room),
        "locked": is_locked(room),
        "waiting_room": waiting_room_on(room),
        "slow_mode": slow_mode_seconds(room),
    }


def pinned(room: Room) -> dict[str, Any] | None:
    """The pinned message as a chat message dict, while it is still published."""
    row = control(room)
    if row is None or row.pinned_message_id is None:
        return None
    message = db.session.get(ChatMessage, row.pinned_message_id)
    if message is None or message.status != CHAT_PUBLISHED:
        return None
    return chat.to_dict(message, room)


def audit_room(action: str, room: Room, acting_user: User, **details: Any) -> None:
    """An audit row for a facilitator tool, in the caller's transaction."""
    audit.record(f"room.{action}", acting_user=acting_user, target_type="room",
                 target_id=room.id, details=details or None)


def _publish_state(room: Room) -> None:
    db.session.flush()
    events.publish(STATE, state(room), audience=(chat.room_audience(room),))


def _clear_session(room: Room, row: RoomControl) -> None:
    """A new session starts clean: no one waiting, muted or removed, no slow mode, unlocked."""
    db.session.execute(delete(RoomParticipant).where(RoomParticipant.room_id == room.id))
    row.slow_mode_seconds = 0
    row.locked = False


def _waiting_audiences(room: Room) -> tuple[str, ...]:
    ids = db.session.scalars(select(RoomParticipant.user_id).where(
        RoomParticipant.room_id == room.id, RoomParticipant.status == WAITING))
    return tuple(chat.user_audience(i) for i in ids)


def _close(room: Room, row: RoomControl, reason: str) -> None:
    row.open_override = False
    audience = (chat.room_audience(room), hosts_audience(room), *_waiting_audiences(room))
    events.publish(CLOSED, {"room": room.slug, "reason": reason}, audience=audience)


def check_open(room: Room, *, acting_user: User) -> dict[str, Any]:
    """Open the room now (a manual override); a closed room reopens as a fresh session."""
    require_facilitator(room, acting_user)
    was_open = chat.is_open(room)
    row = _control_for_update(room)
    row.open_override = True
    if not was_open:
        _clear_session(room, row)
    audit_room("open", room, acting_user)
    _publish_state(room)
    transaction.commit()
    log.info("room opened room_id=%s", room.id)
    return state(room)


def check_close(room: Room, *, acting_user: User) -> dict[str, Any]:
    """Close the room now: everyone is told and taken out; it stays closed until opened."""
    require_facilitator(room, acting_user)
    row = _control_for_update(room)
    _close(room, row, "closed")
    audit_room("close", room, acting_user)
    transaction.commit()
    log.info("room closed room_id=%s", room.id)
    return state(room)


def check_lock(room: Room, locked: Any, *, acting_user: User) -> dict[str, Any]:
    """Lock (no new joins; those inside stay) or unlock the room."""
    require_facilitator(room, acting_user)
    if not isinstance(locked, bool):
        raise ValidationFailed({"locked": [str(_l("Say whether the room is locked."))]})
    row = _control_for_update(room)
    row.locked = locked
    audit_room("lock" if locked else "unlock", room, acting_user)
    _publish_state(room)
    transaction.commit()
    return state(room)


def check_waiting_room(room: Room, on: Any, *, acting_user: User) -> dict[str, Any]:
    """Turn the waiting room on or off; turning it off lets nobody in by itself."""
    require_facilitator(room, acting_user)
    if not isinstance(on, bool):
        raise ValidationFailed({"on": [str(_l("Say whether the waiting room is on."))]})
    row = _control_for_update(room)
    row.waiting_room = on
    audit_room("waiting_room", room, acting_user, on=on)
    _publish_state(room)
    transaction.commit()
    return state(room)


def check_slow_mode(room: Room, seconds: Any, *, acting_user: User) -> dict[str, Any]:
    """One message per `seconds` per member (facilitators exempt); 0 turns it off."""
    require_facilitator(room, acting_user)
    if (isinstance(seconds, bool) or not isinstance(seconds, int)
            or not 0 <= seconds <= SLOW_MODE_MAX):
        raise ValidationFailed({"seconds": [str(_l(
            "Choose a wait between 0 and %(n)d seconds.", n=SLOW_MODE_MAX))]})
    row = _control_for_update(room)
    row.slow_mode_seconds = seconds
    audit_room("slow_mode", room, acting_user, seconds=seconds)
    _publish_state(room)
    transaction.commit()
    return state(room)


def check_pin(room: Room, message_id: Any, *, acting_user: User) -> dict[str, Any]:
    """Pin a published message of this room above the log (the topic or the reading)."""
    require_facilitator(room, acting_user)
    message = db.session.get(ChatMessage, message_id) if chat.is_row_id(message_id) else None
    if message is None or message.room_id != room.id or message.status != CHAT_PUBLISHED:
        raise NotFound()
    row = _control_for_update(room)
    row.pinned_message_id = message.id
    audit_room("pin", room, acting_user, message_id=message.id)
    payload = {"room": room.slug, "message": chat.to_dict(message, room)}
    events.publish(PINNED, payload, audience=(chat.room_audience(room),))
    transaction.commit()
    return payload


def check_unpin(room: Room, *, acting_user: User) -> dict[str, Any]:
    """Take the pinned message down."""
    require_facilitator(room, acting_user)
    row = _control_for_update(room)
    row.pinned_message_id = None
    audit_room("unpin", room, acting_user)
    payload = {"room": room.slug, "message": None}
    events.publish(PINNED, payload, audience=(chat.room_audience(room),))
    transaction.commit()
    return payload


def check_announce(room: Room, text: Any, client_id: Any = None, *,
                   acting_user: User) -> chat.SendResult:
    """A facilitator announcement: screened like any message, shown distinctly; one audit
    row per announcement, however often it is resent."""
    require_facilitator(room, acting_user)
    if client_id is None:
        client_id = f"announce-{uuid.uuid4()}"
    # This call owns the transaction: the message and its audit row commit together, once.
    with chat.send_transaction():
        result = chat.do_send(room, text, client_id, acting_user=acting_user,
                              kind=KIND_ANNOUNCEMENT)
        if not result.duplicate:
            audit_room("announce", room, acting_user, message_id=result.message.id)
    return result


def check_end_session(room: Room, *, acting_user: User) -> dict[str, Any]:
    """End the meeting: close the room, tell everyone, clear the session for next time."""
    require_facilitator(room, acting_user)
    row = _control_for_update(room)
    _close(room, row, "ended")
    _clear_session(room, row)
    audit_room("end", room, acting_user)
    for observer in list(_SESSION_END_OBSERVERS):
        observer(room)
    transaction.commit()
    log.info("room session ended room_id=%s", room.id)
    return state(room)


def do_begin_session(room: Room) -> None:
    """Forget a manual close so the room follows its open rules again (a meeting's next
    session); the caller commits."""
    row = control(room)
    if row is not None and row.open_override is False:
        row.open_override = None
        _clear_session(room, row)
