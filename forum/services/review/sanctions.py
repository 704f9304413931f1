"""Sanctions, fair and visible: warn, mute (no posting or chatting for a time) and suspend (no
login for a time). Each is a strike the member sees with its reason; one appeal within 20 days,
decided by a different moderator. A disclosure of risk or relapse never earns a strike: the
person is reached out to instead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...errors import NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Appeal, ReviewItem, Sanction, User
from ...models.review import RISK_CATEGORIES
from .. import audit, clock, transaction
from ..chat import memo as event_memo
from ..review_queue import can_review
from . import inbox as mod_inbox
from .claims import can_read

log = logging.getLogger("forum.sanctions")
KINDS = {"warn": _l("Warning"), "mute": _l("Mute"), "suspend": _l("Suspension")}
APPEAL_WINDOW = timedelta(days=20)
MAX_DAYS = 365
# Risk to the author (crisis, method, overdose) and relapse describe the person's own struggle,
# never a breach of the guidelines: what they call for is reaching out, not a strike.
NEVER_A_STRIKE = RISK_CATEGORIES | {"relapse"}
# Harm aimed at other members. When a disclosure also attacks someone ("I want to die, and so
# should you"), the team must still be able to protect the person attacked: the strike then
# answers the attack only, and the page puts reaching out first. Sourcing is not here: beside a
# relapse or a crisis it is almost always the author looking for drugs, their own struggle.
HARM_TO_OTHERS = frozenset({"harassment", "hate"})


def active(user_id: int, kind: str | None = None, now: datetime | None = None) -> list[Sanction]:
    """Sanctions still in force (warnings count while not overturned, without an end)."""
    now = now or clock.now()
    query = select(Sanction).where(
        Sanction.user_id == user_id, Sanction.revoked_at.is_(None),
        (Sanction.ends_at.is_(None)) | (Sanction.ends_at > now),
    )
    if kind:
        query = query.where(Sanction.kind == kind)
    return list(db.session.scalars(query))


def is_muted(user: User, now: datetime | None = None) -> bool:
    """Is a mute sanction in force (no posting or chatting)? Inside a chat send's reading
    (event_memo), the mutes loaded with the account answer; elsewhere the database does."""
    now = now or clock.now()
    mutes = event_memo.cached_or_loaded(
        ("unrevoked_mutes", user.id), user, "unrevoked_mutes",
        lambda: active(user.id, "mute", now))
    return any(m.ends_at is not None and m.ends_at > now for m in mutes)


def can_strike_over(item: ReviewItem) -> bool:
    """May a strike be given over this item? Never over a disclosure of risk to the author or a
    relapse, unless the same item also harms another member (harassment, hate)."""
    categories = set(item.categories or ())
    return categories.isdisjoint(NEVER_A_STRIKE) or not categories.isdisjoint(HARM_TO_OTHERS)


def check_sanction(
    member: User, kind: str, reason: str, *, acting_user: User, days: int = 0,
    item: ReviewItem | None = None, now: datetime | None = None,
) -> Sanction:
    """Give a member a strike with a reason; mutes and suspensions last `days` days."""
    now = now or clock.now()
    if not can_review(acting_user):
        raise PermissionDenied()
    if member.id == acting_user.id:
        raise PermissionDenied()
    # A strike over an item is a judgement of its content: only someone allowed to read it (for
    # crisis, method and overdose items, a crisis-trained moderator) may give one.
    if item is not None and not can_read(item, acting_user):
        raise PermissionDenied()
    if kind not in KINDS:
        raise ValidationFailed({"kind": [str(_l("Choose warn, mute or suspend."))]})
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationFailed({"reason": [str(_l("Please give the reason the member will see."))]})
    if item is not None and not can_strike_over(item):
        if NEVER_A_STRIKE.intersection(item.categories) == {"relapse"}:
            raise ValidationFailed({"kind": [str(_l(
                "Talking about a relapse never earns a strike. Consider a caring message"
                " instead."))]})
        raise ValidationFailed({"kind": [str(_l(
            "A strike isn't the tool for a risk disclosure: reach out instead."))]})
    ends_at = None
    if kind != "warn":
        if not 1 <= days <= MAX_DAYS:
            raise ValidationFailed({"days": [str(_l("Choose 1 to %(n)d days.", n=MAX_DAYS))]})
        ends_at = now + timedelta(days=days)
    sanction = Sanction(user_id=member.id, kind=kind, reason=reason, issued_by_id=acting_user.id,
                        item_id=item.id if item else None, created_at=now, ends_at=ends_at)
    db.session.add(sanction)
    if kind == "suspend":
        member.suspended_until = max(filter(None, [member.suspended_until, ends_at]))
    db.session.flush()
    audit.record(f"sanction.{kind}", acting_user=acting_user, target_type="user",
                 target_id=member.id, reason=reason,
                 details={"sanction_id": sanction.id, "days": days or None,
                          "item_id": item.id if item else None})
    mod_inbox.do_send_from_team(member.id, str(_l(
        "The moderators gave you a strike (%(kind)s). The reason: %(reason)s\n\nYou can see it,"
        " and appeal once within 20 days, on your strikes page.", kind=KINDS[kind],
        reason=reason)), acting_user=None)
    transaction.commit()
    log.info("sanction issued sanction_id=%s kind=%s", sanction.id, kind)
    return sanction


def strikes_of(member: User) -> list[Sanction]:
    """Every strike of a member, newest first (shown to the member with reasons)."""
    return list(db.session.scalars(
        select(Sanction).where(Sanction.user_id == member.id).order_by(Sanction.id.desc())
    ))


def can_appeal(sanction: Sanction, now: datetime | None = None) -> bool:
    """One appeal, within 20 days of the strike."""
    now = now or clock.now()
    return sanction.appeal is None and sanction.revoked_at is None and (
        now - sanction.created_at <= APPEAL_WINDOW)


def check_appeal(sanction_id: int, text: str, *, acting_user: User,
                 now: datetime | None = None) -> Appeal:
    """The member appeals their own strike once within 20 days."""
    now = now or clock.now()
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is None or acting_user is None or sanction.user_id != acting_user.id:
        raise NotFound()
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationFailed({"text": [str(_l("Please say why the strike should go."))]})
    if not can_appeal(sanction, now):
        raise ValidationFailed({"text": [str(_l(
            "An appeal is possible once, within 20 days of the strike."))]})
    appeal = Appeal(sanction_id=sanction.id, text=text[:5000], created_at=now)
    db.session.add(appeal)
    transaction.commit()
    return appeal


def pending_appeals(*, acting_user: User) -> list[Appeal]:
    """Appeals waiting for a decision, oldest first."""
    if not can_review(acting_user):
        raise NotFound()
    return list(db.session.scalars(
        select(Appeal).where(Appeal.status == "pending").order_by(Appeal.id)))


def check_decide_appeal(appeal_id: int, overturn: bool, reason: str, *, acting_user: User,
                        now: datetime | None = None) -> Appeal:
    """A moderator other than the one who gave the strike upholds or overturns it; audited."""
    now = now or clock.now()
    if not can_review(acting_user):
        raise NotFound()
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    sanction = appeal.sanction
    if sanction.issued_by_id == acting_user.id or sanction.user_id == acting_user.id:
        raise PermissionDenied()
    if appeal.status != "pending":
        raise ValidationFailed({"reason": [str(_l("This appeal is already decided."))]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [str(_l("Please give a reason; the member sees it."))]})
    appeal.status = "overturned" if overturn else "upheld"
    appeal.decided_by_id = acting_user.id
    appeal.decided_at = now
    appeal.decision_reason = reason
    if overturn:
        sanction.revoked_at = now
        if sanction.kind == "suspend":
            member = db.session.get(User, sanction.user_id)
            others = [s.ends_at for s in active(member.id, "suspend", now) if s.id != sanction.id]
            member.suspended_until = max(others) if others else None
    audit.record(f"appeal.{appeal.status}", acting_user=acting_user, target_type="sanction",
                 target_id=sanction.id, reason=reason, details={"appeal_id": appeal.id})
    transaction.commit()
    return appeal


@dataclass(frozen=True)
class AuthorSummary:
    """What a moderator sees about an author: nothing that identifies them."""

    account_age: str
    earlier_items: int
    outcomes: dict[str, int]
    sanctions: list[str]


def _age_label(days: int) -> str:
    if days < 7:
        return str(_l("less than a week"))
    if days < 31:
        return str(_l("%(n)d weeks", n=days // 7))
    if days < 365:
        return str(_l("%(n)d months", n=days // 30))
    return str(_l("over a year"))


def author_summary(item: ReviewItem, now: datetime | None = None) -> AuthorSummary | None:
    """Account age, earlier items and their outcomes, current sanctions of the item's author."""
    if item.author_id is None:
        return None
    now = now or clock.now()
    author = db.session.get(User, item.author_id)
    if author is None:
        return None
    rows = db.session.execute(
        select(ReviewItem.resolution, func.count(ReviewItem.id))
        .where(ReviewItem.author_id == author.id, ReviewItem.id != item.id)
        .group_by(ReviewItem.resolution)
    ).all()
    outcomes = {(r or "open"): n for r, n in rows}
    current = [str(KINDS[s.kind]) for s in active(author.id, now=now)]
    return AuthorSummary(_age_label((now - author.created_at).days), sum(outcomes.values()),
                         outcomes, current)
