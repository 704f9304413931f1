"""Talk to someone now: a member asks, on-duty peer supporters are alerted, the first to accept
opens a private two-person room with them, and either of them closes it afterwards.

Peer supporters are facilitators, moderators and admins who are on duty (duty.py). Alerts
carry the request's id, age, urgency and the requester's pseudonym, never their history. All
events leave through the event bus (events.py) to the `user-<id>` audiences that every /chat
connection joins; forum/realtime/emitters.py turns them into Socket.IO events.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...errors import ContentRejected, ForumError, NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Room, SupportRequest, User
from ...models.support import SUPPORT_ACCEPTED, SUPPORT_CLOSED, SUPPORT_OPEN, SUPPORT_WITHDRAWN
from .. import audit, clock, events, review_queue, screening, transaction
from ..accounts import staff_gate, two_factor
from ..accounts.account import is_suspended
from ..chat.messages import user_audience
from ..push import outbox as push_outbox
from ..review import duty

log = logging.getLogger("forum.support")

NOTE_MAX = 500
ANSWER_WITHIN = timedelta(minutes=3)
NOTE_KIND = "support_note"
ROOM_PREFIX = "support-"
SUPPORTER_ROLES = ("facilitator", "moderator", "admin")

# Event bus names; forum/realtime/emitters.py maps them to the Socket.IO events.
REQUESTED = "support.request"
ACCEPTED = "support.accepted"
TAKEN = "support.taken"
FALLBACK = "support.fallback"
CLOSED = "support.closed"


class AlreadyTaken(ForumError):
    """Another supporter accepted first (or the member stopped waiting)."""

    code = "taken"


def _is_member(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def can_support(user: User | None) -> bool:
    """Facilitators, moderators and admins who are not suspended may be peer supporters."""
    return (
        _is_member(user)
        and any(user.has_role(role) for role in SUPPORTER_ROLES)
        and not is_suspended(user)
    )


def is_supporter_on_duty(user: User | None) -> bool:
    """A peer supporter who is on duty right now receives alerts and may accept."""
    return can_support(user) and duty.is_on_duty(user)


def can_request(user: User | None) -> bool:
    """Any logged-in member who is not suspended may ask to talk to someone."""
    return _is_member(user) and not is_suspended(user)


def supporter_ids_on_duty(*, exclude: tuple[int | None, ...] = ()) -> list[int]:
    """The account ids of every peer supporter on duty now, less the excluded ones."""
    return [
        u.id for u in duty.on_duty_users(moderators_only=False)
        if can_support(u) and u.id not in exclude and _supports_in_any_sign_in(u)
    ]


def _supports_in_any_sign_in(user: User) -> bool:
    """A staff account that must sign in with a second factor and has none uses its staff roles
    in no sign-in (staff_gate): on duty from before, it hears no alert and counts for no one,
    unless a role the gate leaves open (a facilitator's, by default) makes it a supporter."""
    if not staff_gate.second_factor_required(user) or two_factor.has_second_factor(user):
        return True
    locked = staff_gate.lock_for(user, None)
    return any(user.holds_role(role) and role not in locked for role in SUPPORTER_ROLES)


def _audiences(user_ids: list[int]) -> tuple[str, ...]:
    return tuple(user_audience(i) for i in user_ids)


def active_request(user: User | None) -> SupportRequest | None:
    """The member's open or accepted request, if any."""
    if not _is_member(user):
        return None
    return db.session.scalar(select(SupportRequest).where(SupportRequest.active_for_id == user.id))


def alert_payload(request: SupportRequest, now: datetime | None = None) -> dict[str, Any]:
    """The `support_request` alert: id, waiting time, urgency and the pseudonym only."""
    now = now or clock.now()
    requester = db.session.get(User, request.requester_id)
    return {
        "id": request.id,
        "age_s": max(0, int((now - request.created_at).total_seconds())),
        "urgent": bool(request.urgent),
        "pseudonym": requester.pseudonym if requester is not None else "",
    }


def _clean_note(note: Any) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise ValidationFailed({"note": [str(_l("The note must be text."))]})
    note = note.replace("\x00", "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            {"note": [str(_l("Please keep the note under %(n)d characters.", n=NOTE_MAX))]}
        )
    return note or None


@dataclass(frozen=True)
class OpenResult:
    """The member's request; created is False when an active one already existed."""

    request: SupportRequest
    created: bool


def check_open(note: Any = None, *, acting_user: User) -> OpenResult:
    """Ask to talk to someone now: one active request per member, the note screened once.

    A blocked note raises ContentRejected (nothing saved); a crisis verdict marks the request
    urgent and keeps the resources the pipeline named, for the member's page.
    """
    if not can_request(acting_user):
        raise PermissionDenied()
    existing = active_request(acting_user)
    if existing is not None:
        return OpenResult(existing, False)
    note = _clean_note(note)
    verdict = screening.screen_text(note, scope="post", author=acting_user) if note else None
    if verdict is not None and verdict.action == "block":
        raise ContentRejected(verdict, field="note")
    risk = verdict is not None and verdict.is_risk_to_author
    request = SupportRequest(
        requester_id=acting_user.id, active_for_id=acting_user.id, status=SUPPORT_OPEN,
        note=note, note_visible=verdict is None or verdict.action != "hold",
        urgent=risk or (verdict is not None and verdict.priority == "urgent"),
        resource_ids=list(verdict.resources) if risk else [], created_at=clock.now(),
    )
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:
        # A second press raced the first: the first request stands.
        db.session.rollback()
        existing = active_request(acting_user)
        if existing is None:
            raise
        return OpenResult(existing, False)
    if verdict is not None and verdict.needs_review:
        review_queue.do_enqueue(NOTE_KIND, request.id, verdict=verdict)
    supporters = supporter_ids_on_duty(exclude=(acting_user.id,))
    events.publish(REQUESTED, alert_payload(request), audience=_audiences(supporters))
    # Their phones too, when they turned pushes on: the same people, nothing about the member.
    push_outbox.support_requested(request.id, supporters)
    transaction.commit()
    log.info("support requested request_id=%s urgent=%s", request.id, request.urgent)
    return OpenResult(request, True)


def access_request(request_id: Any, *, viewer: User | None) -> SupportRequest:
    """A request its requester, its supporter, or (while open) an on-duty supporter may see;
    the same NotFound for anything else."""
    request = (db.session.get(SupportRequest, request_id)
               if isinstance(request_id, int) and not isinstance(request_id, bool) else None)
    if request is None or not _is_member(viewer):
        raise NotFound()
    if viewer.id in (request.requester_id, request.accepted_by_id):
        return request
    if request.status == SUPPORT_OPEN and is_supporter_on_duty(viewer):
        return request
    raise NotFound()


def _new_room() -> Room:
    room = Room(
        slug=ROOM_PREFIX + secrets.token_urlsafe(24), always_open=True, anonymous=False,
        title=str(_l("Private conversation")),
        description=str(_l(
            "Only the two of you can see this room. Either of you can end the conversation "
            "from the support page.")),
        created_at=clock.now(),
    )
    db.session.add(room)
    db.session.flush()
    return room


def check_accept(request_id: Any, *, acting_user: User) -> SupportRequest:
    """The first on-duty supporter to accept wins (a conditional UPDATE); a private room opens
    for the two of them; audited in the same transaction. Later accepts raise AlreadyTaken."""
    if not is_supporter_on_duty(acting_user):
        raise PermissionDenied()
    request = (db.session.get(SupportRequest, request_id)
               if isinstance(request_id, int) and not isinstance(request_id, bool) else None)
    if request is None:
        raise NotFound()
    if request.requester_id == acting_user.id:
        raise PermissionDenied()
    taken = AlreadyTaken(str(_l("Someone else is already with them. Thank you for offering.")))
    if request.status == SUPPORT_WITHDRAWN:
        raise AlreadyTaken(str(_l("They are no longer waiting. Thank you for offering.")))
    if request.status != SUPPORT_OPEN:
        raise taken
    now = clock.now()
    won = db.session.execute(
        update(SupportRequest)
        .where(SupportRequest.id == request.id, SupportRequest.status == SUPPORT_OPEN)
        .values(status=SUPPORT_ACCEPTED, accepted_by_id=acting_user.id, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        db.session.rollback()
        raise taken
    room = _new_room()
    db.session.execute(update(SupportRequest).where(SupportRequest.id == request.id)
                       .values(room_id=room.id).execution_options(synchronize_session=False))
    db.session.expire(request)
    audit.record("support.accept", acting_user=acting_user, target_type="support_request",
                 target_id=request.id, details={"room_id": room.id})
    events.publish(ACCEPTED, {"id": request.id, "room": room.slug},
                   audience=(user_audience(request.requester_id),))
    events.publish(TAKEN, {"id": request.id}, audience=_audiences(
        supporter_ids_on_duty(exclude=(acting_user.id, request.requester_id))))
    push_outbox.support_answered(request.id)
    transaction.commit()
    log.info("support accepted request_id=%s supporter_id=%s room_id=%s", request.id,
             acting_user.id, room.id)
    return request


def _own(request_id: Any, acting_user: User) -> SupportRequest:
    request = access_request(request_id, viewer=acting_user)
    if acting_user.id not in (request.requester_id, request.accepted_by_id):
        raise NotFound()
    return request


def _end(request: SupportRequest, from_status: str, to_status: str) -> bool:
    return db.session.execute(
        update(SupportRequest)
        .where(SupportRequest.id == request.id, SupportRequest.status == from_status)
        .values(status=to_status, active_for_id=None, ended_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def check_withdraw(request_id: Any, *, acting_user: User) -> SupportRequest:
    """The member stops waiting; alerted supporters' alerts go away."""
    request = _own(request_id, acting_user)
    if request.requester_id != acting_user.id:
        raise NotFound()
    if not _end(request, SUPPORT_OPEN, SUPPORT_WITHDRAWN):
        db.session.rollback()
        raise ValidationFailed({"": [str(_l(
            "Someone is already with you. You can end the conversation instead."))]})
    db.session.expire(request)
    events.publish(TAKEN, {"id": request.id},
                   audience=_audiences(supporter_ids_on_duty(exclude=(acting_user.id,))))
    push_outbox.support_answered(request.id)
    transaction.commit()
    log.info("support withdrawn request_id=%s", request.id)
    return request


def check_close(request_id: Any, *, acting_user: User) -> SupportRequest:
    """Either person ends the conversation; the private room then takes no new messages.
    A supporter's close is audited."""
    request = _own(request_id, acting_user)
    if not _end(request, SUPPORT_ACCEPTED, SUPPORT_CLOSED):
        db.session.rollback()
        raise ValidationFailed({"": [str(_l("This conversation is not going on."))]})
    db.session.expire(request)
    if acting_user.id == request.accepted_by_id or can_support(acting_user):
        audit.record("support.close", acting_user=acting_user, target_type="support_request",
                     target_id=request.id)
    room = db.session.get(Room, request.room_id) if request.room_id else None
    people = [i for i in (request.requester_id, request.accepted_by_id) if i is not None]
    events.publish(CLOSED, {"id": request.id, "room": room.slug if room else None},
                   audience=_audiences(people))
    transaction.commit()
    log.info("support closed request_id=%s by_id=%s", request.id, acting_user.id)
    return request


@dataclass(frozen=True)
class RequestView:
    """An open request as an on-duty supporter sees it: no history, posts or strikes."""

    id: int
    pseudonym: str
    age_s: int
    urgent: bool
    note: str | None


def open_requests(*, acting_user: User, now: datetime | None = None) -> list[RequestView]:
    """Open requests (urgent first, then oldest) for on-duty supporters, less their own."""
    if not is_supporter_on_duty(acting_user):
        raise PermissionDenied()
    now = now or clock.now()
    rows = db.session.execute(
        select(SupportRequest, User.pseudonym)
        .join(User, User.id == SupportRequest.requester_id)
        .where(SupportRequest.status == SUPPORT_OPEN,
               SupportRequest.requester_id != acting_user.id)
        .order_by(SupportRequest.urgent.desc(), SupportRequest.created_at, SupportRequest.id)
    ).all()
    return [
        RequestView(r.id, name, max(0, int((now - r.created_at).total_seconds())),
                    bool(r.urgent), r.note if r.note_visible else None)
        for r, name in rows
    ]


def conversations_of(user: User) -> list[SupportRequest]:
    """The accepted conversations a supporter is in now, oldest first."""
    if not _is_member(user):
        return []
    return list(db.session.scalars(
        select(SupportRequest)
        .where(SupportRequest.accepted_by_id == user.id,
               SupportRequest.status == SUPPORT_ACCEPTED)
        .order_by(SupportRequest.accepted_at)
    ))


def person_name(user_id: int | None) -> str:
    """A pseudonym for the support pages (nothing else about the person)."""
    user = db.session.get(User, user_id) if user_id else None
    return user.pseudonym if user is not None else str(_l("a former member"))


def room_of(request: SupportRequest) -> Room | None:
    """The private room of an accepted or closed request."""
    return db.session.get(Room, request.room_id) if request.room_id else None


def past_deadline(request: SupportRequest, now: datetime | None = None) -> bool:
    """Has an open request waited 3 minutes or more without an answer?"""
    now = now or clock.now()
    return request.status == SUPPORT_OPEN and now - request.created_at >= ANSWER_WITHIN


def seconds_left(request: SupportRequest, now: datetime | None = None) -> int:
    """Seconds until the 3 minutes pass (0 once they have)."""
    now = now or clock.now()
    return max(0, int((request.created_at + ANSWER_WITHIN - now).total_seconds()))


def run_fallback(now: datetime | None = None) -> int:
    """Tell each member still waiting after 3 minutes, once, where help is right now."""
    now = now or clock.now()
    due = list(db.session.scalars(
        select(SupportRequest).where(
            SupportRequest.status == SUPPORT_OPEN,
            SupportRequest.fallback_sent_at.is_(None),
            SupportRequest.created_at <= now - ANSWER_WITHIN,
        )
    ))
    for request in due:
        request.fallback_sent_at = now
        events.publish(FALLBACK, {"id": request.id},
                       audience=(user_audience(request.requester_id),))
        log.info("support fallback sent request_id=%s", request.id)
    transaction.commit()
    return len(due)
