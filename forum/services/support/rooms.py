"""How support requests plug into the rest of the forum: chat's seams (who may see a private
support room, that it is never listed, that it closes with the conversation), the review
queue for held notes, export and erasure with the account, and the fallback job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from ...extensions import db
from ...models import ChatMessage, ReviewItem, Room, SupportRequest, User
from ...models.support import SUPPORT_ACCEPTED, SUPPORT_CLOSED
from ...moderation.resources import Resource, load_resources, resources_for
from .. import clock
from ..chat import messages as chat
from .requests import NOTE_KIND, ROOM_PREFIX

FALLBACK_KINDS = ("crisis", "overdose")


def _is_support_room(room: Room) -> bool:
    return room.slug.startswith(ROOM_PREFIX)


def _request_of(room: Room) -> SupportRequest | None:
    return db.session.scalar(select(SupportRequest).where(SupportRequest.room_id == room.id))


def access_rule(room: Room, viewer: User | None) -> bool | None:
    """Only the member and their supporter may see a support room (fails closed)."""
    if not _is_support_room(room):
        return None
    request = _request_of(room)
    if request is None or viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.id in (request.requester_id, request.accepted_by_id)


def listed_rule(room: Room) -> bool | None:
    """Support rooms never appear on /rooms."""
    return False if _is_support_room(room) else None


def open_rule(room: Room, _now: datetime) -> bool | None:
    """A support room is open while its conversation goes on, closed once it ends."""
    if not _is_support_room(room):
        return None
    request = _request_of(room)
    return request is not None and request.status == SUPPORT_ACCEPTED


def fallback_resources() -> list[Resource]:
    """The crisis and overdose lines of the rule set in force, crisis first."""
    pipeline = current_app.extensions.get("moderation")
    every = pipeline.ruleset.resources if pipeline is not None else load_resources()
    return sorted((r for r in every.values() if r.kind in FALLBACK_KINDS),
                  key=lambda r: FALLBACK_KINDS.index(r.kind))


def note_resources(request: SupportRequest) -> list[Resource]:
    """The resources a crisis verdict on the note named."""
    return resources_for(request.resource_ids or [])


# Held notes in the review queue: approving shows the note to supporters, removing hides it.

def review_approve_note(request_id: int, _acting_user: User) -> None:
    request = db.session.get(SupportRequest, request_id)
    if request is not None:
        request.note_visible = True


def review_remove_note(request_id: int, _reason: str, _acting_user: User) -> None:
    request = db.session.get(SupportRequest, request_id)
    if request is not None:
        request.note_visible = False


def review_locate_note(request_id: int) -> tuple[int | None, int | None, int | None]:
    request = db.session.get(SupportRequest, request_id)
    return (request.requester_id if request else None), None, None


def member_export(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(SupportRequest).where(SupportRequest.requester_id == user.id)
        .order_by(SupportRequest.id)
    )

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return [{"id": r.id, "status": r.status, "note": r.note, "urgent": r.urgent,
             "created_at": iso(r.created_at), "accepted_at": iso(r.accepted_at),
             "ended_at": iso(r.ended_at)} for r in rows]


def member_erase(user: User, _keep: bool) -> None:
    """A member's requests and their private rooms go, whatever happens to their posts; a
    supporter leaving ends their conversations."""
    requests = list(db.session.scalars(
        select(SupportRequest).where(SupportRequest.requester_id == user.id)))
    ids = [r.id for r in requests]
    room_ids = [r.room_id for r in requests if r.room_id is not None]
    if room_ids:
        message_ids = select(ChatMessage.id).where(ChatMessage.room_id.in_(room_ids))
        db.session.execute(delete(ReviewItem).where(
            ReviewItem.content_kind == chat.KIND, ReviewItem.content_id.in_(message_ids)))
        db.session.execute(delete(ChatMessage).where(ChatMessage.room_id.in_(room_ids)))
    if ids:
        db.session.execute(delete(ReviewItem).where(
            ReviewItem.content_kind == NOTE_KIND, ReviewItem.content_id.in_(ids)))
        db.session.execute(delete(SupportRequest).where(SupportRequest.id.in_(ids)))
    if room_ids:
        db.session.execute(delete(Room).where(Room.id.in_(room_ids)))
    db.session.execute(
        update(SupportRequest)
        .where(SupportRequest.accepted_by_id == user.id, SupportRequest.status == SUPPORT_ACCEPTED)
        .values(status=SUPPORT_CLOSED, active_for_id=None, ended_at=clock.now())
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(SupportRequest).where(SupportRequest.accepted_by_id == user.id)
        .values(accepted_by_id=None).execution_options(synchronize_session=False))


def request_rows(start, end) -> list[tuple]:
    """(created, accepted, requester) of the requests made in [start, end), for measures."""
    return list(db.session.execute(
        select(SupportRequest.created_at, SupportRequest.accepted_at, SupportRequest.requester_id)
        .where(SupportRequest.created_at >= start, SupportRequest.created_at < end)
        .order_by(SupportRequest.created_at)
    ).all())
