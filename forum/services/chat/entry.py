"""A member's standing in a room's session: entering (past the lock and the waiting room),
knocking, being admitted or declined, muted for some minutes, or removed until the session ends.

Facilitators skip the waiting room and the lock. Every facilitator action re-checks
room_controls.can_facilitate, is audited in its transaction and published after commit.

Hosts never see an account id: each knock carries a fresh random token, stored on the
member's standing, by which the host admits or declines it; in an anonymous room a member is
aimed at only through one of their messages. The audit rows (moderators' reveal) keep the id.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ...errors import ForumError, NotFound, ValidationFailed
from ...extensions import db
from ...models import ChatMessage, Room, RoomParticipant, User
from ...models.room_controls import ADMITTED, DECLINED, REMOVED, WAITING
from .. import clock, events, transaction
from . import facilitation as room_controls, memo as event_memo, messages as chat
from .facilitation import audit_room, can_facilitate, hosts_audience, require_facilitator

log = logging.getLogger("forum.room_entry")

MUTE_MAX_MINUTES = 24 * 60
KNOCK_TOKEN_BYTES = 16  # 22 characters of urlsafe base64; the column holds 32
KNOCK_TOKEN_MAX = 32

# Event bus names; forum/realtime/room_controls.py maps them to Socket.IO events.
KNOCK = "room.knock"                  # hosts: a member is waiting to be let in
KNOCK_RESOLVED = "room.knock_resolved"  # hosts: that member was admitted or declined
ADMITTED_EVENT = "room.admitted"      # the member: come in
DECLINED_EVENT = "room.declined"      # the member: not this time
MUTED_EVENT = "room.muted"            # the member: muted until
REMOVED_EVENT = "room.removed"        # the member: taken out of the room for this session


class RoomLocked(ForumError):
    """The room takes no new joins right now."""

    code = "locked"


class RoomFull(ForumError):
    """The session has as many people as its capacity allows."""

    code = "full"


# Room capacity providers (a meeting's capacity); None: no limit for this room.
_CAPACITIES: list = []


def register_capacity(provider) -> None:
    """Let a feature give a room a capacity: provider(room) -> int | None."""
    if provider not in _CAPACITIES:
        _CAPACITIES.append(provider)


def capacity(room: Room) -> int | None:
    """How many members a session of this room may let in, or None."""
    for provider in list(_CAPACITIES):
        answer = provider(room)
        if answer is not None:
            return int(answer)
    return None


def admitted_count(room: Room) -> int:
    """Members let in during the room's current session (facilitators not counted)."""
    query = select(func.count(RoomParticipant.id)).where(
        RoomParticipant.room_id == room.id, RoomParticipant.status == ADMITTED)
    began = room_controls.session_began(room)
    if began is not None:
        query = query.where(RoomParticipant.updated_at >= began)
    return int(db.session.scalar(query) or 0)


class RemovedFromRoom(ForumError):
    """A facilitator took this member out of the room for the rest of the session."""

    code = "removed"


@dataclass(frozen=True)
class Entry:
    """How a join went: in the room (facilitator or not) or waiting to be let in."""

    waiting: bool
    facilitator: bool


def _stored_participant(room: Room, user_id: int) -> RoomParticipant | None:
    return event_memo.cached(("participant", room.id, user_id), lambda: db.session.scalar(
        select(RoomParticipant).where(RoomParticipant.room_id == room.id,
                                      RoomParticipant.user_id == user_id)))


def participant(room: Room, user_id: int) -> RoomParticipant | None:
    """This member's standing in the room's current session, if any (a standing from an
    earlier session of a scheduled meeting has lapsed)."""
    row = _stored_participant(room, user_id)
    if row is not None and room_controls.is_stale(row.updated_at, room):
        return None
    return row


def _participant_for_update(room: Room, user_id: int) -> RoomParticipant:
    row = _stored_participant(room, user_id)
    if row is None:
        row = RoomParticipant(room_id=room.id, user_id=user_id)
        db.session.add(row)
    elif room_controls.is_stale(row.updated_at, room):
        row.status = None
        row.muted_until = None
    row.updated_at = clock.now()
    return row


def display_name(room: Room, user: User) -> str:
    """The name facilitators see: the pseudonym, or Anonymous member in anonymous rooms."""
    return chat.ANONYMOUS_AUTHOR if room.anonymous else user.pseudonym


def _knock_payload(room: Room, user: User, token: str) -> dict[str, Any]:
    return {"room": room.slug, "token": token, "pseudonym": display_name(room, user)}


def check_enter(room: Room, *, acting_user: User) -> Entry:
    """After chat.check_join: refuse the removed, hold the lock, or knock at the waiting room."""
    if can_facilitate(room, acting_user):
        return Entry(waiting=False, facilitator=True)
    row = participant(room, acting_user.id)
    status = row.status if row is not None else None
    if status == REMOVED:
        raise RemovedFromRoom(str(_l("A facilitator has asked you to leave this session.")))
    if status == ADMITTED:
        return Entry(waiting=False, facilitator=False)
    if room_controls.is_locked(room):
        raise RoomLocked(str(_l("This room is locked: no one new can join right now.")))
    limit = capacity(room)
    if limit is not None and status != WAITING and admitted_count(room) >= limit:
        raise RoomFull(str(_l(
            "This session is full (%(n)d people). Other meetings are listed on the meetings "
            "page, and “Talk to someone now” reaches a person at any time.", n=limit)))
    row = _participant_for_update(room, acting_user.id)
    if room_controls.waiting_room_on(room):
        if row.status != WAITING or not row.knock_token:
            # One token per knock: a new tab while waiting knocks with the same one.
            row.knock_token = secrets.token_urlsafe(KNOCK_TOKEN_BYTES)
        row.status = WAITING
        events.publish(KNOCK, _knock_payload(room, acting_user, row.knock_token),
                       audience=(hosts_audience(room),))
        transaction.commit()
        return Entry(waiting=True, facilitator=False)
    row.status = ADMITTED  # remembered, so a lock later still lets them back after a drop
    transaction.commit()
    return Entry(waiting=False, facilitator=False)


def may_see_inside(room: Room, user: User) -> bool:
    """May this account see what is said in the room (e.g. the pinned message) right now?
    Not while knocking at the waiting room, nor after being removed."""
    if can_facilitate(room, user):
        return True
    row = participant(room, user.id)
    status = row.status if row is not None else None
    if status == REMOVED:
        return False
    return status == ADMITTED or not room_controls.waiting_room_on(room)


def knocks(room: Room) -> list[dict[str, Any]]:
    """Everyone waiting to be let in, first come first, each named by their knock's token."""
    query = (
        select(User, RoomParticipant.knock_token)
        .join(RoomParticipant, RoomParticipant.user_id == User.id)
        .where(RoomParticipant.room_id == room.id, RoomParticipant.status == WAITING,
               RoomParticipant.knock_token.is_not(None))
        .order_by(RoomParticipant.updated_at, RoomParticipant.id)
    )
    began = room_controls.session_began(room)
    if began is not None:
        query = query.where(RoomParticipant.updated_at >= began)
    return [_knock_payload(room, user, token) for user, token in db.session.execute(query)]


def _knock(room: Room, token: Any) -> RoomParticipant:
    """The waiting standing this token names in this room's current session; the same
    NotFound for a malformed, unknown, resolved or other room's token."""
    if not isinstance(token, str) or not token or len(token) > KNOCK_TOKEN_MAX:
        raise NotFound()
    row = db.session.scalar(select(RoomParticipant).where(
        RoomParticipant.room_id == room.id, RoomParticipant.knock_token == token,
        RoomParticipant.status == WAITING))
    if row is None or room_controls.is_stale(row.updated_at, room):
        raise NotFound()
    return row


def _target(room: Room, payload: dict[str, Any]) -> User:
    """The member a tool is aimed at: as the author of a message here, or by account id
    outside anonymous rooms (where an id would tie the messages to an account)."""
    user_id = payload.get("user")
    message_id = payload.get("message_id")
    if user_id is not None and room.anonymous:
        raise ValidationFailed({"user": [str(_l(
            "In an anonymous room, choose the member by one of their messages."))]})
    if user_id is None and message_id is None:
        raise ValidationFailed({"user": [str(_l("Say which member."))]})
    if user_id is None and chat.is_row_id(message_id):
        message = db.session.get(ChatMessage, message_id)
        if message is not None and message.room_id == room.id:
            user_id = message.author_id
    if not chat.is_row_id(user_id):
        raise NotFound()
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _resolve_knock(room: Room, payload: dict[str, Any], acting_user: User, admit: bool) -> str:
    require_facilitator(room, acting_user)
    row = _knock(room, payload.get("token"))
    token = row.knock_token
    user = db.session.get(User, row.user_id)
    if user is None:
        raise NotFound()
    limit = capacity(room) if admit else None
    if limit is not None and admitted_count(room) >= limit:
        raise RoomFull(str(_l("The session is full (%(n)d people): raise the meeting's capacity"
                              " to let more in.", n=limit)))
    row.status = ADMITTED if admit else DECLINED
    row.knock_token = None  # used once: the next knock gets a new one
    row.updated_at = clock.now()
    audit_room("admit" if admit else "decline", room, acting_user, user_id=user.id)
    events.publish(ADMITTED_EVENT if admit else DECLINED_EVENT, {"room": room.slug},
                   audience=(chat.user_audience(user.id),))
    events.publish(KNOCK_RESOLVED, {"room": room.slug, "token": token, "admitted": admit},
                   audience=(hosts_audience(room),))
    transaction.commit()
    return token


def check_admit(room: Room, payload: dict[str, Any], *, acting_user: User) -> str:
    """Let in the member whose knock has payload["token"]; they are told and may join with
    the history. Returns the token."""
    return _resolve_knock(room, payload, acting_user, True)


def check_decline(room: Room, payload: dict[str, Any], *, acting_user: User) -> str:
    """Turn away the knock with payload["token"] for now; the member is told and may knock
    again. Returns the token."""
    return _resolve_knock(room, payload, acting_user, False)


def _member_target(room: Room, payload: dict[str, Any], acting_user: User) -> User:
    require_facilitator(room, acting_user)
    user = _target(room, payload)
    if user.id == acting_user.id or can_facilitate(room, user):
        raise ValidationFailed({"user": [str(_l(
            "Facilitators and moderators can't be muted or removed here."))]})
    return user


def check_mute(room: Room, payload: dict[str, Any], *, acting_user: User) -> datetime | None:
    """Mute a member in this room for some minutes (0 lifts it); returns until when."""
    minutes = payload.get("minutes")
    if (isinstance(minutes, bool) or not isinstance(minutes, int)
            or not 0 <= minutes <= MUTE_MAX_MINUTES):
        require_facilitator(room, acting_user)
        raise ValidationFailed({"minutes": [str(_l(
            "Choose between 0 and %(n)d minutes.", n=MUTE_MAX_MINUTES))]})
    user = _member_target(room, payload, acting_user)
    row = _participant_for_update(room, user.id)
    row.muted_until = clock.now() + timedelta(minutes=minutes) if minutes else None
    audit_room("mute", room, acting_user, user_id=user.id, minutes=minutes)
    until = row.muted_until.isoformat() if row.muted_until else None
    events.publish(MUTED_EVENT, {"room": room.slug, "until": until},
                   audience=(chat.user_audience(user.id),))
    transaction.commit()
    log.info("room mute room_id=%s user_id=%s minutes=%s", room.id, user.id, minutes)
    return row.muted_until


def check_remove(room: Room, payload: dict[str, Any], *, acting_user: User) -> User:
    """Take a member out of the room; they can't rejoin until the session ends."""
    user = _member_target(room, payload, acting_user)
    row = _participant_for_update(room, user.id)
    row.status = REMOVED
    audit_room("remove", room, acting_user, user_id=user.id)
    # Only the room in the payload: the realtime layer reads whose connections to take out
    # from the audience.
    events.publish(REMOVED_EVENT, {"room": room.slug}, audience=(chat.user_audience(user.id),))
    transaction.commit()
    log.info("room remove room_id=%s user_id=%s", room.id, user.id)
    return user


def muted_until(room: Room, user_id: int) -> datetime | None:
    """Until when this member is muted in the room, or None."""
    row = participant(room, user_id)
    if row is None or row.muted_until is None or row.muted_until <= clock.now():
        return None
    return row.muted_until


def join_snapshot(room: Room, user: User, *, facilitator: bool) -> dict[str, Any]:
    """What a member entering the room sees at once: the recent history, the pinned message,
    the room's controls and, for a facilitator, who is knocking (for a member, until when they
    are muted here)."""
    snapshot: dict[str, Any] = {
        "history": chat.history(room, user), "pinned": room_controls.pinned(room),
        "controls": room_controls.state(room), "facilitator": facilitator}
    if facilitator:
        snapshot["knocks"] = knocks(room)
    else:
        until = muted_until(room, user.id)
        snapshot["muted_until"] = until.isoformat() if until else None
    return snapshot


def is_removed(room: Room, user_id: int) -> bool:
    """Taken out of the room for this session?"""
    row = participant(room, user_id)
    return row is not None and row.status == REMOVED


def removed_among(present: dict[str, set[int]]) -> list[tuple[Room, int]]:
    """Of these members in these rooms (slug → user ids), the ones removed for the room's
    current session and not facilitating it (who may come back in), as (room, user id)."""
    users = {uid for ids in present.values() for uid in ids}
    if not present or not users:
        return []
    rows = db.session.execute(
        select(Room, User, RoomParticipant.updated_at)
        .join(RoomParticipant, RoomParticipant.room_id == Room.id)
        .join(User, User.id == RoomParticipant.user_id)
        .where(Room.slug.in_(present), RoomParticipant.user_id.in_(users),
               RoomParticipant.status == REMOVED)
    ).all()
    found = [(room, user.id) for room, user, updated_at in rows
             if user.id in present[room.slug]
             and not room_controls.is_stale(updated_at, room)
             and not can_facilitate(room, user)]
    return sorted(found, key=lambda pair: (pair[0].slug, pair[1]))


def member_export(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(RoomParticipant, Room.slug).join(Room, Room.id == RoomParticipant.room_id)
        .where(RoomParticipant.user_id == user.id).order_by(RoomParticipant.id)
    ).all()
    return [{"room": slug, "status": p.status,
             "muted_until": p.muted_until.isoformat() if p.muted_until else None}
            for p, slug in rows]


def member_erase(user: User, keep: bool) -> None:
    # A session standing is about the account, not content others read: always erased.
    db.session.execute(delete(RoomParticipant).where(RoomParticipant.user_id == user.id))
