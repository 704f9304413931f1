"""Where members gather: boards for threads and rooms for live chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Board(db.Model):
    """A board (category) of threads."""

    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Room(db.Model):
    """A live chat room: always open, or a meeting room opened in its window."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    always_open: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Read together with the room where chat loads it (chat.access_room), so that a send
    # asks for neither on its own; written only through their own models.
    meeting = relationship("Meeting", primaryjoin="Room.id == foreign(Meeting.room_id)",
                           uselist=False, viewonly=True)
    controls = relationship("RoomControl", uselist=False, viewonly=True,
                            primaryjoin="Room.id == foreign(RoomControl.room_id)")
