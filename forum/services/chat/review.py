"""Chat messages beside the room: the review queue (approve, remove, locate) and a member's
export and erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from ...extensions import db
from ...models import ChatMessage, ReviewItem, Room, User
from ...models.chat import CHAT_DELETED, CHAT_HELD, CHAT_PUBLISHED, CHAT_REMOVED
from .messages import KIND, hide_message, publish_message

# The review queue: moderators approve (publish to the room) or remove chat messages.

def review_approve(message_id: int, acting_user: User) -> None:
    message = db.session.get(ChatMessage, message_id)
    if message is None or message.status == CHAT_DELETED:
        return
    if message.status in (CHAT_HELD, CHAT_REMOVED):
        message.status = CHAT_PUBLISHED
        publish_message(message, db.session.get(Room, message.room_id))


def review_remove(message_id: int, reason: str, acting_user: User) -> None:
    message = db.session.get(ChatMessage, message_id)
    if message is None or message.status in (CHAT_DELETED, CHAT_REMOVED):
        return
    hide_message(message, CHAT_REMOVED)


def review_locate(message_id: int) -> tuple[int | None, int | None, int | None]:
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        return None, None, None
    return message.author_id, None, message.room_id


def load_text(message_id: int) -> str | None:
    """The text of a chat message (for the review page)."""
    message = db.session.get(ChatMessage, message_id)
    return message.text if message is not None else None


def member_export(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ChatMessage, Room.slug).join(Room, Room.id == ChatMessage.room_id)
        .where(ChatMessage.author_id == user.id).order_by(ChatMessage.id)
    ).all()
    return [{"room": slug, "text": m.text, "status": m.status,
             "created_at": m.created_at.isoformat()} for m, slug in rows]


def member_erase(user: User, keep: bool) -> None:
    """keep: messages stay, unattributed; otherwise they (and their queue items) are erased."""
    if keep:
        db.session.execute(update(ChatMessage).where(ChatMessage.author_id == user.id).values(
            author_id=None))
        return
    ids = list(db.session.scalars(select(ChatMessage.id).where(ChatMessage.author_id == user.id)))
    if ids:
        db.session.execute(delete(ReviewItem).where(
            ReviewItem.content_kind == KIND, ReviewItem.content_id.in_(ids)))
        db.session.execute(delete(ChatMessage).where(ChatMessage.id.in_(ids)))
