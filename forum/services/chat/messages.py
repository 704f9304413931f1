"""Live chat in rooms: join, history, send (screened once, the verdict applied), delete.

Nothing here knows about Socket.IO: committed messages leave through the event bus
(events.py) to audiences named room-<slug> (everyone in the room) and user-<id> (one member's
connections). The /chat namespace (forum/realtime/chat.py) emits them.

allow → published; flag → published and queued; hold → shown to its sender (and moderators in
the queue) until approved; block → ContentRejected, nothing saved. A risk to the writer also
sends the writer alone a private `support` event with resources (a relapse: a small, gentle
one), and a crisis or overdose message carries a content note others read before its text.

Every text is screened before the send guards (slow mode, room mutes, the rate limit) may
refuse it: a risk disclosure (crisis, crisis-method, overdose) whose send is refused is kept
as an `unsent` message for the review queue, the facilitators are alerted and the writer gets
`support`; the refusal still hands the text back. Sent again with the same client_id once the
guards allow, it is published without a second screening.

The outermost service call owns the transaction: check_send (or an announcement) opens
send_transaction(), do_send joins it and never commits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import get_locale, get_timezone, gettext, lazy_gettext as _l, ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from ...errors import ContentRejected, ForumError, NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ChatMessage, Room, User
from ...models.base import utcnow
from ...models.chat import (
    CHAT_DELETED,
    CHAT_HELD,
    CHAT_PUBLISHED,
    CHAT_REMOVED,
    CHAT_UNSENT,
    KIND_MESSAGE,
)
from ...models.review import OPEN as REVIEW_OPEN
from ...moderation.render import render_markdown
from ...moderation.resources import resources_for
from ...row_ids import ID_MAX, is_row_id
from .. import clock, events, review_queue, screening, transaction
from ..accounts import avatars
from ..accounts.account import is_suspended
from ..accounts.standing import can_write
from ..review import duty
from . import badges as staff_badges, memo as event_memo

log = logging.getLogger("forum.chat")

TEXT_MAX = 2000
CLIENT_ID_MAX = 64
HISTORY_SIZE = 50
# A disclosure told over several messages ("i bought rope" … "tonight") is read as one.
CONTEXT_WINDOW = timedelta(minutes=5)
CONTEXT_MESSAGES = 5
SYNC_MAX = 200
ANONYMOUS_AUTHOR = "Anonymous member"
KIND = "chat"

# Event bus names (the namespace maps them to Socket.IO events of DESIGN.md 3.4).
MESSAGE = "chat.message"
REMOVED = "chat.removed"
SUPPORT = "chat.support"


_ROOM_PREFIX, _USER_PREFIX = "room-", "user-"


def room_audience(room: Room) -> str:
    """The audience name of everyone in a room."""
    return slug_audience(room.slug)


def slug_audience(slug: str) -> str:
    """The audience name of everyone in the room with this slug (event payloads carry it)."""
    return _ROOM_PREFIX + slug


def user_audience(user_id: int) -> str:
    """The audience name of one member's own connections."""
    return f"{_USER_PREFIX}{user_id}"


def slug_of(audience: str) -> str | None:
    """The room's slug, when this audience is everyone in a room."""
    return audience[len(_ROOM_PREFIX):] if audience.startswith(_ROOM_PREFIX) else None


def user_of(audience: str) -> int | None:
    """The member's account id, when this audience is one member's own connections."""
    rest = audience[len(_USER_PREFIX):] if audience.startswith(_USER_PREFIX) else ""
    return int(rest) if rest.isascii() and rest.isdigit() else None


@dataclass(frozen=True)
class SendResult:
    """The stored message, the verdict that decided its state (None for a resend), and the
    message as the sender's ack shows it (to_dict), built before the commit expired the rows:
    acking from it costs no re-reads."""

    message: ChatMessage
    verdict: Any
    duplicate: bool = False
    payload: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        """published or held (a resend reports the stored state)."""
        return self.payload["state"] if self.payload is not None else self.message.status

    def to_dict(self, room: Room) -> dict[str, Any]:
        """The message for the sender's ack."""
        return dict(self.payload) if self.payload is not None else to_dict(self.message, room)


# Seams for features that live beside chat (meetings, private support rooms). Each rule
# answers None when it has no opinion about a room; the first definite answer wins.
OpenRule = Callable[[Room, datetime], bool | None]
AccessRule = Callable[[Room, User | None], bool | None]
PresenceObserver = Callable[[Room, int, bool, int], None]
# A guard may refuse a send (raise a ForumError) after it is screened; an observer sees each
# stored message (also a refused risk disclosure kept unsent) and its verdict inside the
# send's transaction.
SendGuard = Callable[[Room, User, str], None]
SentObserver = Callable[[Room, ChatMessage, Any, User], None]
_OPEN_OVERRIDES: list[OpenRule] = []
_SEND_GUARDS: list[SendGuard] = []
_SENT_OBSERVERS: list[SentObserver] = []
_OPEN_RULES: list[OpenRule] = []
_ACCESS_RULES: list[AccessRule] = []
_LISTED_RULES: list[Callable[[Room], bool | None]] = []
_PRESENCE_OBSERVERS: list[PresenceObserver] = []


def register_open_rule(rule: OpenRule) -> None:
    """Let another service say whether a room is open at a time (e.g. a meeting window)."""
    if rule not in _OPEN_RULES:
        _OPEN_RULES.append(rule)


def register_open_override(rule: OpenRule) -> None:
    """A facilitator's manual open/close, asked before any open rule."""
    if rule not in _OPEN_OVERRIDES:
        _OPEN_OVERRIDES.append(rule)


def register_send_guard(guard: SendGuard) -> None:
    """Refuse sends (slow mode, room mutes, rate limit) by raising a ForumError."""
    if guard not in _SEND_GUARDS:
        _SEND_GUARDS.append(guard)


def register_sent_observer(observer: SentObserver) -> None:
    """See every newly stored message and its verdict before the send commits."""
    if observer not in _SENT_OBSERVERS:
        _SENT_OBSERVERS.append(observer)


def register_access_rule(rule: AccessRule) -> None:
    """Let another service say who may see a room at all; False reads as NotFound."""
    if rule not in _ACCESS_RULES:
        _ACCESS_RULES.append(rule)


def register_listed_rule(rule: Callable[[Room], bool | None]) -> None:
    """Let another service keep rooms (e.g. private ones) off the /rooms list."""
    if rule not in _LISTED_RULES:
        _LISTED_RULES.append(rule)


def register_presence_observer(observer: PresenceObserver) -> None:
    """Hear (room, account id, joined?, connections now) when someone joins or leaves."""
    if observer not in _PRESENCE_OBSERVERS:
        _PRESENCE_OBSERVERS.append(observer)


def _first_answer(rules: list, *args: Any) -> bool | None:
    for rule in rules:
        answer = rule(*args)
        if answer is not None:
            return bool(answer)
    return None


def note_presence(room: Room, user_id: int, joined: bool, count: int) -> None:
    """Called by the realtime layer after a join or a leave; observers count attendance."""
    for observer in list(_PRESENCE_OBSERVERS):
        try:
            observer(room, user_id, joined, count)
        except Exception:  # attendance must never break chat
            db.session.rollback()
            log.exception("presence observer failed room_id=%s", room.id)


def list_rooms(viewer: User | None = None) -> list[Room]:
    """Every listed room this viewer may see, by title."""
    rooms_ = db.session.scalars(select(Room).order_by(Room.title, Room.id))
    return [
        r for r in rooms_
        if _first_answer(_LISTED_RULES, r) is not False
        and _first_answer(_ACCESS_RULES, r, viewer) is not False
    ]


def access_room(slug: Any, viewer: User | None = None) -> Room:
    """A room by slug; the same NotFound for missing and for a room this viewer may not see."""
    # No room has a NUL in its slug, and PostgreSQL refuses one in a query.
    if not isinstance(slug, str) or not slug or len(slug) > 64 or "\x00" in slug:
        raise NotFound()
    # Its meeting and settings come in the same query: a send asks for both (chat rules,
    # host rules, slow mode), and reads them from here (event_memo.cached_or_loaded).
    room = db.session.scalar(select(Room).where(Room.slug == slug).options(
        joinedload(Room.meeting), joinedload(Room.controls)))
    if room is None or _first_answer(_ACCESS_RULES, room, viewer) is False:
        raise NotFound()
    return room


def is_open(room: Room, now: datetime | None = None) -> bool:
    """Open now? The first rule with an answer decides; otherwise always-open rooms are."""
    now = now or clock.now()
    answer = _first_answer(_OPEN_OVERRIDES, room, now)
    if answer is None:
        answer = _first_answer(_OPEN_RULES, room, now)
    if answer is not None:
        return answer
    return bool(room.always_open)


def _is_member(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def check_join(room: Room, *, acting_user: User | None) -> None:
    """May this account enter the room? Open rooms, logged-in members not suspended."""
    if not _is_member(acting_user):
        raise PermissionDenied()
    if not is_open(room):
        raise ValidationFailed({"room": [str(_l("This room is closed right now."))]})
    if is_suspended(acting_user):
        raise PermissionDenied()


def author_name(message: ChatMessage, room: Room) -> str:
    """The name shown: the pseudonym, or Anonymous member in anonymous rooms."""
    if room.anonymous or message.author_id is None:
        return ANONYMOUS_AUTHOR
    author = db.session.get(User, message.author_id)
    return author.pseudonym if author is not None else ANONYMOUS_AUTHOR


def to_dict(message: ChatMessage, room: Room) -> dict[str, Any]:
    """The `message` event of DESIGN.md 3.4 (plus its state, for the sender's own view)."""
    return {
        "id": message.id,
        "room": room.slug,
        "author": author_name(message, room),
        # The generated avatar's URL; the one neutral image wherever the author is anonymous.
        "avatar": avatars.path(avatars.chat_token(message, room)),
        "text_html": message.text_html,
        "created_at": message.created_at.isoformat(),
        "client_id": message.client_id,
        "state": message.status,
        "kind": message.kind or KIND_MESSAGE,
        # The staff role it was said in (staff_badges); never in an anonymous room.
        "badge": None if room.anonymous or message.author_id is None else message.author_badge,
        # The pipeline's content note (Verdict.auto_note): clients fold the text behind it
        # for everyone but the writer.
        "note": message.auto_note,
    }


def _visible_to(viewer: User | None) -> Any:
    published = ChatMessage.status == CHAT_PUBLISHED
    if not _is_member(viewer):
        return published
    own_held = (ChatMessage.status == CHAT_HELD) & (ChatMessage.author_id == viewer.id)
    return published | own_held


def _payloads(
    rows: list[ChatMessage], room: Room, viewer: User | None = None
) -> list[dict[str, Any]]:
    """The rows as `message` payloads, their authors read in one query first: the session
    keeps rows only while they are referenced, so `authors` is held while the payloads are
    built and each author_name finds its account there (history read up to 50 singly)."""
    ids = {m.author_id for m in rows if m.author_id is not None}
    authors = (list(db.session.scalars(select(User).where(User.id.in_(ids))
                                       .options(lazyload(User.roles))))
               if ids and not room.anonymous else [])
    payloads = [to_dict(m, room) for m in rows]
    authors.clear()
    viewer_id = viewer.id if _is_member(viewer) else None
    for message, payload in zip(rows, payloads, strict=True):
        if viewer_id is not None and message.author_id == viewer_id:
            payload["note"] = None  # the writer reads their own words plainly
    return payloads


def history(room: Room, viewer: User | None, limit: int = HISTORY_SIZE) -> list[dict[str, Any]]:
    """The last messages this viewer may see, oldest first: published, and their own held."""
    rows = list(db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.room_id == room.id, _visible_to(viewer))
        .order_by(ChatMessage.id.desc())
        .limit(limit)
    ))
    return _payloads(rows[::-1], room, viewer)


def messages_since(room: Room, after_id: Any, viewer: User | None) -> list[dict[str, Any]]:
    """What this viewer missed after a message id (reconnect catch-up), oldest first."""
    if isinstance(after_id, bool) or not isinstance(after_id, int) or after_id < 0:
        raise ValidationFailed({"after_id": [str(_l("Give the id of the last message seen."))]})
    after_id = min(after_id, ID_MAX)  # nothing comes after the largest id
    rows = list(db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.room_id == room.id, ChatMessage.id > after_id, _visible_to(viewer))
        .order_by(ChatMessage.id)
        .limit(SYNC_MAX)
    ))
    return _payloads(rows, room, viewer)


def published_since(since: datetime, slugs: list[str] | None = None, *,
                    skip: frozenset[int] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """What rooms heard at or after `since`, oldest first, as the room hears it (the broadcast
    `message` payloads), leaving out the ids in `skip`: for server processes catching their
    connections up after their message queue was away. `slugs` None: every room. At most
    SYNC_MAX per room, so a caller that skips what it has delivered reads on from there."""
    query = (select(ChatMessage)
             .where(ChatMessage.status == CHAT_PUBLISHED, ChatMessage.created_at >= since)
             .order_by(ChatMessage.room_id, ChatMessage.id))
    if skip:
        query = query.where(ChatMessage.id.not_in(skip))
    rooms = select(Room) if slugs is None else select(Room).where(Room.slug.in_(slugs))
    found: dict[str, list[dict[str, Any]]] = {}
    for room in db.session.scalars(rooms):
        rows = list(db.session.scalars(query.where(ChatMessage.room_id == room.id)
                                       .limit(SYNC_MAX)))
        if rows:
            found[room.slug] = _payloads(rows, room)
    return found


def unpublished_among(ids: list[int]) -> list[tuple[int, str]]:
    """(id, room slug) of those messages no longer published (removed, deleted, held): what a
    process that delivered them must take back after its queue missed the removal."""
    if not ids:
        return []
    return [(message_id, slug) for message_id, slug in db.session.execute(
        select(ChatMessage.id, Room.slug).join(Room, Room.id == ChatMessage.room_id)
        .where(ChatMessage.id.in_(ids), ChatMessage.status != CHAT_PUBLISHED))]


def clean_text(text: Any) -> str:
    """The text as stored: a string without NUL characters, validated for length."""
    if not isinstance(text, str):
        raise ValidationFailed({"text": [str(_l("Please write something first."))]})
    text = text.replace("\x00", "")
    if not text.strip():
        raise ValidationFailed({"text": [str(_l("Please write something first."))]})
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            {"text": [str(_l("Please keep a message under %(n)d characters.", n=TEXT_MAX))]}
        )
    return text


def _clean_client_id(client_id: Any) -> str:
    if (
        not isinstance(client_id, str)
        or not client_id.strip()
        or len(client_id) > CLIENT_ID_MAX
        or "\x00" in client_id
    ):
        raise ValidationFailed({"client_id": [str(_l("Missing message id."))]})
    return client_id.strip()


def _existing(author: User, client_id: str) -> ChatMessage | None:
    return db.session.scalar(
        select(ChatMessage).where(
            ChatMessage.author_id == author.id, ChatMessage.client_id == client_id
        )
    )


def _resent(previous: ChatMessage, room: Room) -> SendResult:
    """A resend: nothing is stored; a published message goes to the room again. Its first
    broadcast may never have left (a process killed between the commit and the broadcast,
    the ack lost with it); members who have it already keep one copy, since clients show
    each message id once. The caller's commit sends it."""
    payload = to_dict(previous, room)
    if previous.status == CHAT_PUBLISHED:
        events.publish(MESSAGE, payload, audience=(room_audience(room),))
    return SendResult(previous, None, duplicate=True, payload=payload)


def publish_message(message: ChatMessage, room: Room) -> None:
    events.publish(MESSAGE, to_dict(message, room), audience=(room_audience(room),))


def support_payload(verdict: Any, now: datetime | None = None) -> dict[str, Any]:
    """The private `support` event: resources, a caring message and, for a risk to the
    writer, what is true right now about the people who may read it."""
    # The same language as the caring message below (Flask-Babel's choice for this session).
    language = get_locale().language if get_locale() else None
    kind = verdict.support_kind or "crisis"
    people = None
    if kind == "crisis":
        message = verdict.message or str(_l(
            "It sounds like you are going through a lot. You don't have to face this alone: "
            "these people can help right now."))
        people = people_now(now)
    elif "relapse" in verdict.categories:
        message = " ".join((str(_l("Thank you for being honest.")), str(_l(
            "A relapse doesn’t erase your progress, and many people here have been where you"
            " are. A peer may check in with you."))))
    else:
        message = str(_l("If you want help with drugs or alcohol, these services are free and"
                         " confidential."))
    return {
        # "crisis": the full list of lines; "gentle": a small note (a relapse, say).
        "kind": kind,
        "resources": [r.localized(language).to_dict() for r in resources_for(verdict.resources)],
        "message": message,
        "people": people,
    }


def people_now(now: datetime | None = None) -> str:
    """One true sentence about who may read a crisis disclosure now: trained moderators on
    duty, else the next shift in the writer's time zone, else nobody scheduled."""
    cover = duty.moderator_cover(now)
    if cover.on_duty:
        return ngettext("%(num)d trained moderator is on duty now and has been told.",
                        "%(num)d trained moderators are on duty now and have been told.",
                        cover.on_duty)
    if cover.next_shift is not None:
        zone = get_timezone()
        return gettext(
            "No trained moderator is on duty right now. The next moderator shift starts"
            " %(when)s (%(zone)s). Please don’t wait for it: the lines below answer now.",
            when=cover.next_shift.astimezone(zone).strftime("%Y-%m-%d %H:%M"), zone=str(zone))
    return gettext("No trained moderator is on duty right now, and no shift is scheduled."
                   " Please reach one of the lines below now.")


_TURN_KEY = "forum_chat_write_turn"


class _WriteTurn:
    """One send transaction's SQLite write turn: taken at its first write, given back after
    its commit."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._taken = False

    def take(self) -> None:
        if not self._taken:
            self._stack.enter_context(_sqlite_write_turn())
            self._taken = True

    def give_back(self) -> None:
        self._stack.close()


@contextmanager
def send_transaction() -> Iterator[None]:
    """The transaction of a send, owned by the outermost service call (check_send, an
    announcement): do_send joins it and never commits. It commits when the block ends, and
    also when a refused send kept a risk disclosure for review (the refusal then goes on to
    the caller, who rolls back nothing of it). The SQLite write turn do_send takes at its
    INSERT is given back once the commit is done."""
    session = db.session()
    turn = _WriteTurn()
    session.info[_TURN_KEY] = turn
    try:
        try:
            yield
        except ForumError as refusal:
            if getattr(refusal, "kept_for_review", False):
                transaction.commit()
            raise
        transaction.commit()
    finally:
        session.info.pop(_TURN_KEY, None)
        turn.give_back()


def _take_write_turn() -> None:
    turn = db.session().info.get(_TURN_KEY)
    if turn is not None:
        turn.take()


def _store(message: ChatMessage) -> ChatMessage | None:
    """Store a new row in this send's write turn. When the same client_id raced in from
    another connection, the transaction is rolled back and the first row is returned: it
    stands."""
    db.session.add(message)
    _take_write_turn()
    try:
        db.session.flush()
    except IntegrityError:
        author_id, client_id = message.author_id, message.client_id
        db.session.rollback()
        first = db.session.scalar(select(ChatMessage).where(
            ChatMessage.author_id == author_id, ChatMessage.client_id == client_id))
        if first is None:
            raise
        return first
    return None


def _new_message(room: Room, author: User, client_id: str, text: str, kind: str,
                 status: str) -> ChatMessage:
    return ChatMessage(room_id=room.id, author_id=author.id, client_id=client_id, text=text,
                       text_html=str(render_markdown(text)), status=status, kind=kind,
                       created_at=utcnow(), author_badge=staff_badges.chat_badge(room, author))


def _refusal(room: Room, user: User, kind: str) -> ForumError | None:
    """The first send guard's refusal (slow mode, a room mute, removal, the rate limit)."""
    try:
        for guard in list(_SEND_GUARDS):
            guard(room, user, kind)
    except ForumError as refusal:
        return refusal
    return None


def check_send(
    room: Room, text: Any, client_id: Any, *, acting_user: User, kind: str = KIND_MESSAGE
) -> SendResult:
    """Say something in a room (do_send) in a transaction of its own."""
    with send_transaction():
        return do_send(room, text, client_id, acting_user=acting_user, kind=kind)


def _said_just_before(room: Room, author: User) -> list[str]:
    """The writer's own messages in this room of the last few minutes, oldest first."""
    if not screening.reads_context():
        return []
    rows = db.session.scalars(
        select(ChatMessage.text)
        .where(ChatMessage.room_id == room.id, ChatMessage.author_id == author.id,
               ChatMessage.created_at >= utcnow() - CONTEXT_WINDOW,
               ChatMessage.status.in_((CHAT_PUBLISHED, CHAT_HELD, CHAT_UNSENT)))
        .order_by(ChatMessage.id.desc())
        .limit(CONTEXT_MESSAGES)
    ).all()
    return list(reversed(rows))


def do_send(
    room: Room, text: Any, client_id: Any, *, acting_user: User, kind: str = KIND_MESSAGE
) -> SendResult:
    """Validate, screen once, then apply the send guards and the verdict, inside the caller's
    send_transaction. Idempotent by (author, client_id): a resend returns the first message
    and stores nothing. The text is screened before any guard refuses it: a risk disclosure
    is heard (queued, the facilitators alerted, the writer answered with support) even when
    slow mode, a room mute or the rate limit refuses the send itself."""
    # Only reads until the INSERT: the open rules, host rules and guards share their lookups.
    with event_memo.reading():
        if not can_write(acting_user):
            raise PermissionDenied()
        if not is_open(room):
            raise ValidationFailed({"room": [str(_l("This room is closed right now."))]})
        client_id = _clean_client_id(client_id)
        previous = _existing(acting_user, client_id)
        if previous is not None:
            if previous.room_id != room.id:
                raise ValidationFailed({"client_id": [str(_l("Missing message id."))]})
            if previous.status != CHAT_UNSENT:
                return _resent(previous, room)
            refusal = _refusal(room, acting_user, kind)
            if refusal is not None:
                raise refusal  # heard the first time: nothing new to queue or tell
        else:
            text = clean_text(text)
            verdict = screening.screen_text(text, scope="chat", author=acting_user,
                                            context=_said_just_before(room, acting_user))
            refusal = _refusal(room, acting_user, kind)
    if previous is not None:
        return _send_unsent(previous, room)
    if refusal is not None:
        if verdict.is_risk_to_author:
            refusal.kept_for_review = _keep_unsent(
                room, _new_message(room, acting_user, client_id, text, kind, CHAT_UNSENT),
                verdict, acting_user)
        raise refusal
    if verdict.action == "block":
        raise ContentRejected(verdict, field="text")
    status = CHAT_HELD if verdict.action == "hold" else CHAT_PUBLISHED
    message = _new_message(room, acting_user, client_id, text, kind, status)
    message.auto_note = verdict.auto_note
    first = _store(message)
    if first is not None:
        return _resent(first, room)
    if verdict.needs_review:
        review_queue.do_enqueue(KIND, message.id, verdict=verdict)
    screening.remember_if_needed(verdict, KIND, message.id, scope="chat")
    payload = to_dict(message, room)
    if message.status == CHAT_PUBLISHED:
        events.publish(MESSAGE, payload, audience=(room_audience(room),))
    _hear(room, message, verdict, acting_user)
    log.info("chat message room_id=%s message_id=%s action=%s", room.id, message.id,
             verdict.action)
    return SendResult(message, verdict, payload=payload)


def _hear(room: Room, message: ChatMessage, verdict: Any, author: User) -> None:
    """A risk to the writer: `support` to the writer alone; then the sent observers (the
    facilitators' alert)."""
    if verdict.support_kind:
        events.publish(SUPPORT, support_payload(verdict), audience=(user_audience(author.id),))
    for observer in list(_SENT_OBSERVERS):
        observer(room, message, verdict, author)


def _keep_unsent(room: Room, message: ChatMessage, verdict: Any, author: User) -> bool:
    """A risk disclosure a guard refused: stored unpublished so a moderator can read it in
    the queue, queued, and heard (_hear). False when the same client_id raced in."""
    message.auto_note = verdict.auto_note
    if _store(message) is not None:
        return False
    review_queue.do_enqueue(KIND, message.id, verdict=verdict)
    _hear(room, message, verdict, author)
    log.info("chat risk message kept after a refused send room_id=%s message_id=%s",
             room.id, message.id)
    return True


def _send_unsent(message: ChatMessage, room: Room) -> SendResult:
    """A refused risk disclosure sent again with its client_id once the guards let it
    through: no second screening; published, or held while its open queue item says hold."""
    item = review_queue.item_for(KIND, message.id)
    held = item is not None and item.status == REVIEW_OPEN and item.action == "hold"
    message.status = CHAT_HELD if held else CHAT_PUBLISHED
    message.created_at = utcnow()  # slow mode counts from when it was said
    _take_write_turn()
    db.session.flush()
    payload = to_dict(message, room)
    if message.status == CHAT_PUBLISHED:
        events.publish(MESSAGE, payload, audience=(room_audience(room),))
    log.info("chat message sent after a refusal room_id=%s message_id=%s", room.id, message.id)
    return SendResult(message, None, payload=payload)


# SQLite lets one writer in at a time and makes the others poll (sleeping 1, 2, 5, 10 ms...),
# so concurrent senders in one process lost most of their time waiting at the INSERT. They
# queue on this lock instead, from the INSERT to the commit, and each goes in as soon as the
# previous one is done. Other databases lock rows, not the file: no lock there. Re-entrant, so
# an after-commit subscriber that sends again in the same thread cannot deadlock.
_SQLITE_WRITE_LOCK = threading.RLock()


@contextmanager
def _sqlite_write_turn() -> Iterator[None]:
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITE_LOCK:
        yield


def check_delete(message_id: Any, *, acting_user: User) -> ChatMessage:
    """Delete one's own message: hidden from everyone; NotFound for anything else."""
    message = db.session.get(ChatMessage, message_id) if is_row_id(message_id) else None
    if (
        message is None
        or not _is_member(acting_user)
        or message.author_id != acting_user.id
        or message.status in (CHAT_DELETED, CHAT_REMOVED)
    ):
        raise NotFound()
    hide_message(message, CHAT_DELETED)
    transaction.commit()
    log.info("chat message deleted by author message_id=%s", message.id)
    return message


def hide_message(message: ChatMessage, status: str) -> None:
    """Take a message out of the room; readers who saw it are told to drop it."""
    was_published = message.status == CHAT_PUBLISHED
    message.status = status
    if was_published:
        room = db.session.get(Room, message.room_id)
        events.publish(REMOVED, {"id": message.id, "room": room.slug},
                       audience=(room_audience(room),))



def rescreen_text(message_id: int) -> str | None:
    message = db.session.get(ChatMessage, message_id)
    if message is None or message.status not in (CHAT_PUBLISHED, CHAT_HELD):
        return None
    return message.text


def rescreen_verdict(message_id: int, verdict: Any) -> None:
    """A late verdict (a layer back): what the rules alone let through goes to a person."""
    if verdict.needs_review:
        review_queue.do_enqueue(KIND, message_id, verdict=verdict)
