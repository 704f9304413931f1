"""Helpers for the room controls tests: a meeting-like room, a bus recorder, tool callers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import RoomParticipant
from forum.services import events
from forum.services.chat import (
    entry as room_entry,
    facilitation as room_controls,
    guards as room_guards,
    messages as chat,
)
from tests.chat_support import make_room

ROOM_EVENTS = (
    room_controls.STATE, room_controls.CLOSED, room_controls.PINNED,
    room_entry.KNOCK, room_entry.KNOCK_RESOLVED, room_entry.ADMITTED_EVENT,
    room_entry.DECLINED_EVENT, room_entry.MUTED_EVENT, room_entry.REMOVED_EVENT,
    room_guards.FACILITATOR_ALERT, chat.MESSAGE, chat.SUPPORT,
)


@pytest.fixture
def meeting_room(app):
    """A room that is not always open (meetings host theirs in one), opened by hand in tests."""
    return make_room("tuesday-circle", "Tuesday circle", always_open=False)


@pytest.fixture
def bus():
    """Every committed room or chat event, in order, as (name, payload, audience)."""
    got: list[tuple[str, dict, tuple[str, ...]]] = []

    def record(event):
        got.append((event.name, event.payload, event.audience))

    with events.subscribed(ROOM_EVENTS, record):
        yield got


def names(got) -> list[str]:
    """The event names recorded, in order."""
    return [name for name, _payload, _audience in got]


def knock_token(room, user) -> str | None:
    """The token of this member's knock at the room (tests only: hosts never learn whose
    token is whose)."""
    return db.session.scalar(select(RoomParticipant.knock_token).where(
        RoomParticipant.room_id == room.id, RoomParticipant.user_id == user.id))
