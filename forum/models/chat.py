"""Live chat: messages said in a room."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# ChatMessage.status values; only published messages are shown to everyone in the room.
CHAT_PUBLISHED, CHAT_HELD, CHAT_REMOVED, CHAT_DELETED = "published", "held", "removed", "deleted"
# A risk disclosure whose send was refused (slow mode, a room mute, the rate limit): kept for
# the review queue only; its writer still has the text and may send it again.
CHAT_UNSENT = "unsent"
CHAT_STATUSES = (CHAT_PUBLISHED, CHAT_HELD, CHAT_REMOVED, CHAT_DELETED, CHAT_UNSENT)
# ChatMessage.kind: what members say, or a facilitator's announcement (shown distinctly).
KIND_MESSAGE, KIND_ANNOUNCEMENT = "message", "announcement"


class ChatMessage(db.Model):
    """One message in a chat room; client_id makes a resend store nothing new."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        # History and catch-up: a room's messages in order, keyset on id.
        Index("ix_chat_messages_room_listing", "room_id", "id"),
        UniqueConstraint("author_id", "client_id", name="uq_chat_messages_author_client"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    # NULL once the account is deleted; the message stays, anonymised.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CHAT_PUBLISHED)
    kind: Mapped[str] = mapped_column(String(16), default=KIND_MESSAGE, server_default=KIND_MESSAGE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The staff role the author spoke in (staff_badges), as it was then; NULL for members and
    # in anonymous rooms.
    author_badge: Mapped[str | None] = mapped_column(String(16))
    # The pipeline's note (Verdict.auto_note): others see the message folded behind it.
    auto_note: Mapped[str | None] = mapped_column(String(32))
