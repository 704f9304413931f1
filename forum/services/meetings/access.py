"""Who may schedule and run meetings, and finding a meeting (by id or by its room)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import NotFound
from ...extensions import db
from ...models import Meeting, Room, User
from ..accounts import staff_gate
from ..accounts.account import is_suspended
from ..chat import memo as event_memo
from ..review.sanctions import is_muted

HOST_ROLES = ("facilitator", "moderator", "admin")


def _is_member(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def can_schedule(user: User | None) -> bool:
    """Facilitators, moderators and admins schedule meetings (not while suspended, nor while
    muted: a meeting's title and description are published writing)."""
    return (
        _is_member(user)
        and not is_suspended(user)
        and any(user.has_role(role) for role in HOST_ROLES)
        and not is_muted(user)
    )


def _host_roles_locked(user: User) -> bool:
    """Whether this sign-in holds host roles and may use none of them, for want of a second
    factor (staff_gate): running a meeting, even one's own, then waits until it signs in with
    one. (A moderator who is also a facilitator still hosts while only moderating is locked.)"""
    if not staff_gate.is_locked(user):
        return False
    held = [role for role in HOST_ROLES if user.holds_role(role)]
    return bool(held) and all(role in user.locked_roles for role in held)


def is_host(meeting: Meeting, user: User | None) -> bool:
    """Is this account the meeting's host or co-host (and may it act as one in this sign-in)?"""
    return (_is_member(user) and user.id in {meeting.host_id, meeting.cohost_id}
            and not _host_roles_locked(user))


def can_manage(meeting: Meeting, user: User | None) -> bool:
    """Host, co-host, moderators and admins edit, cancel, extend and end a meeting."""
    if not _is_member(user) or is_suspended(user):
        return False
    return is_host(meeting, user) or user.has_role("moderator") or user.has_role("admin")


def can_edit(meeting: Meeting, user: User | None) -> bool:
    """Changing a meeting's texts is writing: those who manage it, unless muted."""
    return can_manage(meeting, user) and not is_muted(user)


def can_see_attendance(user: User | None) -> bool:
    """The aggregate attendance view across meetings is for admins."""
    return _is_member(user) and user.has_role("admin")


def access_meeting(meeting_id: Any) -> Meeting:
    """A meeting by id (cancelled ones too: their page says so); NotFound otherwise."""
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int):
        raise NotFound()
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def meeting_for_room(room: Room) -> Meeting | None:
    """The meeting that owns this room, None for ordinary chat rooms."""
    if room is None or room.id is None:
        return None
    return event_memo.cached_or_loaded(
        ("meeting_for_room", room.id), room, "meeting",
        lambda: db.session.scalar(select(Meeting).where(Meeting.room_id == room.id)))


def hosts_of_room(room: Room) -> set[int] | None:
    """Host and co-host ids for a meeting room; None for rooms that are not meetings."""
    meeting = meeting_for_room(room)
    if meeting is None:
        return None
    return {uid for uid in (meeting.host_id, meeting.cohost_id) if uid is not None}


def host_rule(room: Room, user: User) -> bool | None:
    """Facilitator tools in a meeting's room: its host and co-host (moderators and admins
    are let in before this rule); other facilitators join it as members. None elsewhere."""
    hosts = hosts_of_room(room)
    if hosts is None:
        return None
    return user.id in hosts and not _host_roles_locked(user)


def room_capacity(room: Room) -> int | None:
    """A meeting room lets in at most the meeting's capacity per session; None elsewhere."""
    meeting = meeting_for_room(room)
    return meeting.capacity if meeting is not None else None
