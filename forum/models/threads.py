"""Threads, posts, their history, reactions, reports, read markers, notifications, milestones."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .meetings import MeetingSession

# Post.status values; a post is shown to everyone only when published and not deleted.
PUBLISHED, HELD, REMOVED = "published", "held", "removed"
POST_STATUSES = (PUBLISHED, HELD, REMOVED)


class Thread(db.Model):
    """A conversation on a board; its opening post holds the body."""

    __tablename__ = "threads"
    __table_args__ = (
        # The board page: visible threads by last activity, keyset-paginated on (time, id).
        Index("ix_threads_board_listing", "board_id", "visible", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    # Only the service layer may reveal this for anonymous threads (moderators, audited).
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    # Denormalized from the opening post: shown to everyone (published and not deleted).
    visible: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counts and the last post only ever describe visible posts, so nothing hidden leaks.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_post_id: Mapped[int] = mapped_column(Integer, default=0)

    board = relationship("Board", lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")


class Post(db.Model):
    """One piece of writing in a thread: the opening post or a reply."""

    __tablename__ = "posts"
    __table_args__ = (
        # The thread page: posts in order, keyset-paginated on id.
        Index("ix_posts_thread_listing", "thread_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    renderer_version: Mapped[int] = mapped_column(Integer, default=0)
    content_note: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PUBLISHED)
    visible: Mapped[bool] = mapped_column(Boolean, default=False)
    # The rule's supportive message for a held post, shown to its author only.
    hold_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_reason: Mapped[str | None] = mapped_column(Text)
    quote_of_id: Mapped[int | None] = mapped_column(Integer)
    # The staff role the author wrote in (staff_badges), kept as it was then: a post written
    # as a member is not moderator guidance later. NULL for members and anonymous posts.
    author_badge: Mapped[str | None] = mapped_column(String(16))
    # The note the pipeline chose (Verdict.auto_note) for a crisis or overdose disclosure:
    # other members see the post behind it unless the writer chose a note of their own.
    auto_note: Mapped[str | None] = mapped_column(String(32))

    thread: Mapped[Thread] = relationship(lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")


class PostRevision(db.Model):
    """The text of a post before an edit; moderators see the history."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    content_note: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reaction(db.Model):
    """A supportive reaction; one of each kind per member per post."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(db.Model):
    """A member's report of a post; the reporter is shown to moderators only."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadRead(db.Model):
    """How far a member has read a thread, for unread markers."""

    __tablename__ = "thread_reads"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)


class Notification(db.Model):
    """A reply, quote or mention (about a post), or a meeting reminder (about a session).
    No actor is stored: it is derived from the post."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        UniqueConstraint("user_id", "post_id", "kind"),
        # One reminder per member per session, however often the reminder job runs.
        UniqueConstraint("user_id", "meeting_session_id", name="uq_notifications_user_session"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # reply | quote | mention | meeting
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    meeting_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post | None] = relationship(lazy="joined")
    meeting_session: Mapped[MeetingSession | None] = relationship(lazy="joined")


class Milestone(db.Model):
    """A member's recovery start date; a reset after a relapse keeps the history."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    recovery_start: Mapped[date | None] = mapped_column(Date)
    show_days: Mapped[bool] = mapped_column(Boolean, default=False)
    came_back_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
