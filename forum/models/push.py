"""Web Push: the browsers an account asked to be notified on, which kinds it wants, and the
outbox of pushes waiting to go out.

No row holds an address or a user agent. A subscription's endpoint is the push service's URL
for one browser: it identifies a device to that service, so it is never logged (the row id is).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# The kinds of push, each with its own switch in push_preferences.
PUSH_SUPPORT = "support"  # someone asks to talk now (on-duty peer supporters)
PUSH_URGENT = "urgent"  # an urgent review item (on-duty moderators)
PUSH_MEETING = "meeting"  # a circle the member asked reminders for starts in 15 minutes
PUSH_REPLY = "reply"  # a reply to the member's thread
PUSH_TEST = "test"  # the settings page's test button (always allowed)
PUSH_KINDS = (PUSH_SUPPORT, PUSH_URGENT, PUSH_MEETING, PUSH_REPLY, PUSH_TEST)


class PushSubscription(db.Model):
    """One browser's push subscription (RFC 8030): where to send, and its encryption keys."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The sign-in that subscribed ("this device"); it outlives a session that ends by itself
    # (a staff session idles out, a supporter still wants the phone to ring), and goes when
    # its owner logs out on that device.
    sign_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("sign_ins.id", ondelete="SET NULL"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    # The browser's P-256 public key and auth secret (RFC 8291), base64url.
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    device_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the push service last accepted a push for it.
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushPreferences(db.Model):
    """Which kinds of push an account wants (one row, made at its first subscription)."""

    __tablename__ = "push_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Staff kinds reach an account only while it is on duty in that role, so they start on.
    support_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    urgent_items: Mapped[bool] = mapped_column(Boolean, default=True)
    # Only for the meetings the member asked reminders for (MeetingReminder).
    meeting_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    thread_replies: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushMessage(db.Model):
    """One push for one subscription, in the outbox until the push service took it (or the
    forum gave up). A sending process leases the row first, so only one process sends it."""

    __tablename__ = "push_messages"
    __table_args__ = (Index("ix_push_messages_due", "sent_at", "gave_up_at", "next_attempt_at"),
                      Index("ix_push_messages_tag", "tag"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The notification's tag, also the Topic header: a newer push with it replaces a pending one.
    tag: Mapped[str] = mapped_column(String(32))
    # A follow-up that takes the tag's notification away (the request was answered).
    withdraw: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"title", "body", "url", "tag", "withdraw"}: never member text.
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Past this the push means nothing any more (a meeting that started): given up.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a withdrawal was queued for (or cancelled) this push.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
