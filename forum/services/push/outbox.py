"""What goes into the push outbox, and when: one row per subscription, written in the same
transaction as the event it tells of (a rolled-back request pushes nothing), then sent by
push_delivery.py within seconds of the commit.

Each payload is `{"title", "body", "url", "tag", "withdraw"}` in the recipient's language and
time zone. None holds member text, a pseudonym, a thread or meeting title: a lock screen shows
it to whoever holds the phone, and the push service carries it (encrypted). The link is a path
on this site; the page behind it checks who may see what, as always.

The services call one hook each: support_requested / support_answered (support_requests.py),
urgent_item / item_claimed (review_alerts.py, review_claims.py), meeting_starting
(meetings_reminders.py) and thread_replied (notifications.py). A push is never worth the event
it tells of: each hook queues inside a savepoint, and a failure there is logged and rolled back
alone, so the talk-now request, the claim, the post or the reminder still commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, or_, select, update

from ...extensions import db
from ...models import MeetingSession, Post, PushMessage, PushPreferences, PushSubscription, User
from ...models.push import PUSH_MEETING, PUSH_REPLY, PUSH_SUPPORT, PUSH_TEST, PUSH_URGENT
from .. import clock, events, transaction
from ..meetings.times import zone

log = logging.getLogger("forum.push")

# After commit, wakes this process's sender (push_delivery.py).
QUEUED = "push.queued"

# The switch each kind obeys (the test push obeys none: its owner just asked for it).
SWITCH = {
    PUSH_SUPPORT: PushPreferences.support_requests,
    PUSH_URGENT: PushPreferences.urgent_items,
    PUSH_MEETING: PushPreferences.meeting_reminders,
    PUSH_REPLY: PushPreferences.thread_replies,
}

Content = Callable[[User], tuple[str, str, str]]


def support_tag(request_id: int) -> str:
    """The tag of a support request's pushes (and of their withdrawal)."""
    return f"support-{request_id}"


def urgent_tag(item_id: int) -> str:
    """The tag of an urgent review item's pushes."""
    return f"urgent-{item_id}"


def _locale_of(user: User) -> str:
    languages = current_app.config.get("LANGUAGES", ("en",))
    if user.locale in languages:
        return user.locale
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def _payload(title: str, body: str, url: str, tag: str, withdraw: bool = False) -> dict:
    return {"title": str(title), "body": str(body), "url": url, "tag": tag,
            "withdraw": withdraw}


def _targets(user_ids: Iterable[int], kind: str) -> list[tuple[PushSubscription, User]]:
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return []
    query = (select(PushSubscription, User).join(User, User.id == PushSubscription.user_id)
             .where(PushSubscription.user_id.in_(ids)).order_by(PushSubscription.id))
    switch = SWITCH.get(kind)
    if switch is not None:
        query = query.join(PushPreferences, PushPreferences.user_id == User.id).where(
            switch.is_(True))
    return [(sub, user) for sub, user in db.session.execute(query).all()]


def _live_for(tag: str) -> set[int]:
    """Subscriptions that already have this tag's push, not withdrawn."""
    return set(db.session.scalars(select(PushMessage.subscription_id).where(
        PushMessage.tag == tag, PushMessage.withdraw.is_(False),
        PushMessage.withdrawn_at.is_(None))))


def _add(subscription_id: int, kind: str, tag: str, payload: dict, now: datetime,
         expires_at: datetime | None = None, withdraw: bool = False) -> None:
    db.session.add(PushMessage(
        subscription_id=subscription_id, kind=kind, tag=tag, withdraw=withdraw,
        payload=payload, created_at=now, next_attempt_at=now, attempts=0,
        expires_at=expires_at))


def _apart(what: str, tag: str, queue: Callable[[], int]) -> int:
    """Run `queue` in a savepoint of the caller's transaction: when it fails, its own rows are
    rolled back and logged (ids only), and the caller's work goes on to commit; 0 then."""
    db.session.flush()  # the caller's own rows first: their errors stay the caller's
    try:
        with db.session.begin_nested():
            return queue()
    except Exception:
        log.exception("push %s failed tag=%s", what, tag)
        return 0


def enqueue(user_ids: Iterable[int], kind: str, tag: str, content: Content, *,
            expires_at: datetime | None = None, once: bool = True) -> int:
    """Queue one push per subscription of these accounts that wants this kind (joins the
    caller's transaction, in a savepoint: a failure queues nothing and is only logged);
    `content(user)` gives (title, body, url) and runs in the recipient's language. With once,
    a subscription that has this tag's push already (not withdrawn) gets no second one.
    Returns how many were queued."""
    return _apart("queueing", tag, lambda: _enqueue(user_ids, kind, tag, content,
                                                    expires_at=expires_at, once=once))


def _enqueue(user_ids: Iterable[int], kind: str, tag: str, content: Content, *,
             expires_at: datetime | None, once: bool) -> int:
    now = clock.now()
    skip = _live_for(tag) if once else set()
    queued = 0
    for subscription, user in _targets(user_ids, kind):
        if subscription.id in skip:
            continue
        with force_locale(_locale_of(user)):
            title, body, url = content(user)
            payload = _payload(title, body, url, tag)
        _add(subscription.id, kind, tag, payload, now, expires_at)
        queued += 1
    if queued:
        db.session.flush()
        events.publish(QUEUED, {"count": queued})
        log.info("push queued kind=%s tag=%s count=%s", kind, tag, queued)
    return queued


def _withdrawn_text(kind: str) -> tuple[str, str]:
    if kind == PUSH_SUPPORT:
        return _("Someone is with them now"), _("Thank you for being there.")
    return _("Someone is on it"), _("Another moderator took this item.")


def withdraw(tag: str) -> int:
    """Take this tag's notifications back (joins the caller's transaction, in a savepoint like
    enqueue): a push not sent yet is cancelled; one sent (or being sent) gets a follow-up with
    the same tag, which the service worker turns into closing it. Once per push. Returns how
    many follow-ups."""
    return _apart("withdrawal", tag, lambda: _withdraw(tag))


def _cancel(message_id: int, now: datetime) -> bool:
    """Cancel a push that has not gone and that nobody is sending, in one conditional UPDATE:
    a sender claiming it meanwhile either finds it withdrawn or already has it (then it is
    not cancelled, and gets the follow-up)."""
    free = or_(PushMessage.lease_until.is_(None), PushMessage.lease_until < now)
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == message_id, PushMessage.sent_at.is_(None),
                                  PushMessage.withdrawn_at.is_(None), free)
        # Never shown: nothing to take back.
        .values(withdrawn_at=now, gave_up_at=func.coalesce(PushMessage.gave_up_at, now))
        .execution_options(synchronize_session="fetch"))
    return result.rowcount == 1


def _mark_withdrawn(message_id: int, now: datetime) -> bool:
    """Note the follow-up on a push that went or is going; False when another withdrawal did."""
    result = db.session.execute(
        update(PushMessage).where(PushMessage.id == message_id,
                                  PushMessage.withdrawn_at.is_(None))
        .values(withdrawn_at=now).execution_options(synchronize_session="fetch"))
    return result.rowcount == 1


def _withdraw(tag: str) -> int:
    now = clock.now()
    rows = db.session.execute(
        select(PushMessage.id, PushMessage.subscription_id, PushMessage.kind,
               PushMessage.payload, User)
        .join(PushSubscription, PushSubscription.id == PushMessage.subscription_id)
        .join(User, User.id == PushSubscription.user_id)
        .where(PushMessage.tag == tag, PushMessage.withdraw.is_(False),
               PushMessage.withdrawn_at.is_(None))
        .order_by(PushMessage.id)).all()
    queued = 0
    for message_id, subscription_id, kind, original, user in rows:
        if _cancel(message_id, now) or not _mark_withdrawn(message_id, now):
            continue
        with force_locale(_locale_of(user)):
            title, body = _withdrawn_text(kind)
            payload = _payload(title, body, (original or {}).get("url", "/"), tag, True)
        _add(subscription_id, kind, tag, payload, now, withdraw=True)
        queued += 1
    if queued:
        db.session.flush()
        events.publish(QUEUED, {"count": queued})
        log.info("push withdrawn tag=%s count=%s", tag, queued)
    return queued


# --- the hooks the services call -------------------------------------------------------------


def support_requested(request_id: int, supporter_ids: Iterable[int]) -> int:
    """"Talk to someone now": each on-duty supporter's devices that want it."""
    return enqueue(supporter_ids, PUSH_SUPPORT, support_tag(request_id), lambda _user: (
        _("Someone is asking to talk now"), _("Open the forum to answer."), "/support/requests"))


def support_answered(request_id: int) -> int:
    """A supporter accepted, or the member stopped waiting: the alerts go away."""
    return withdraw(support_tag(request_id))


def urgent_item(item_id: int, moderator_ids: Iterable[int]) -> int:
    """An urgent review item: on-duty moderators who want it, each device once; once it has
    waited unclaimed 5 minutes (review_alerts.run_escalation), also every crisis-trained
    moderator and admin, on duty or not, as the in-forum alert widens."""
    return enqueue(moderator_ids, PUSH_URGENT, urgent_tag(item_id), lambda _user: (
        _("An urgent item is waiting"), _("Open the review queue."), f"/review/{item_id}"))


def item_claimed(item_id: int) -> int:
    """A moderator claimed the item: the others' alerts go away."""
    return withdraw(urgent_tag(item_id))


def meeting_starting(session: MeetingSession, member_ids: Iterable[int]) -> int:
    """"Your circle starts in 15 minutes", at the time in each member's own zone. Only for the
    members who asked reminders for this meeting (the caller's list); pointless once it began."""

    def content(user: User) -> tuple[str, str, str]:
        local = session.starts_at.astimezone(zone(user.timezone))
        return (_("Your circle starts in 15 minutes"),
                _("It starts at %(time)s (%(zone)s).", time=local.strftime("%H:%M"),
                  zone=str(local.tzinfo)),
                f"/meetings/{session.meeting_id}")

    return enqueue(member_ids, PUSH_MEETING, f"meeting-{session.id}", content,
                   expires_at=session.starts_at)


def thread_replied(user_id: int, post: Post) -> int:
    """A reply to the member's thread (when they turned replies on). One tag per thread, so a
    newer reply replaces the notification of the last."""
    return enqueue([user_id], PUSH_REPLY, f"reply-{post.thread_id}", lambda _user: (
        _("Someone replied to your thread"), _("Open the forum to read it."), f"/p/{post.id}"),
        once=False)


def send_test(user: User) -> int:
    """The settings page's test: one push to each of the account's devices (committed)."""
    queued = enqueue([user.id], PUSH_TEST, "test", lambda _user: (
        _("Notifications work"), _("This is how the forum will reach this device."),
        "/account/push"), once=False)
    transaction.commit()
    return queued
