"""Decisions on review items, each with a reason that is kept and audited in the same
transaction: approve, remove, edit-and-approve, escalate, dismiss a report, and for risk items
a follow-up outcome. The author is told about removals and edits through the team inbox.
Closing an item flagged by a rule or the semantic layer also records whether it needed
follow-up, so the team can see which flags are worth a moderator's time."""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ...errors import NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import ReviewDecision, ReviewItem, User
from ...models.review import ESCALATED, OPEN, RISK_CATEGORIES
from .. import audit, clock, content_kinds, events, review_queue, transaction
from . import alerts as review_alerts, content as review_content, inbox as mod_inbox
from .claims import can_handle_risk, ensure_claim

log = logging.getLogger("forum.review")

DECISIONS = ("approve", "remove", "edit", "escalate", "dismiss")
FOLLOWUP_OUTCOMES = {
    "reached-out": _l("Reached out privately"),
    "resources-sent": _l("Resources sent"),
    "crisis-line": _l("Connected to a crisis line"),
    "emergency-by-choice": _l("Emergency services contacted by the member's own choice"),
    "no-response": _l("No response"),
}
REASON_MAX = 2000
# Flags whose precision the team tracks: closing such an item asks whether it needed follow-up.
ASKED_SOURCES = frozenset({"rule", "semantic"})
# Items about risk to the author: the page offers reaching out first and never a strike.
CARE_CATEGORIES = RISK_CATEGORIES | {"relapse"}


def needs_care(item: ReviewItem) -> bool:
    """Crisis, method details, an overdose or a relapse: someone may need support first."""
    return bool(CARE_CATEGORIES.intersection(item.categories or ()))


def decisions_for(item: ReviewItem) -> tuple[str, ...]:
    """The decisions that mean something for this item, in the order the page offers them."""
    if item.status not in (OPEN, ESCALATED):
        return ()
    kind = item.content_kind
    offered = []
    if review_content.can_edit(kind):
        offered.append("edit")
    offered.append("approve")
    if review_queue.can_remove(kind):
        offered.append("remove")
    if item.status == OPEN:
        offered.append("escalate")
    if "report" in (item.sources or []):
        offered.append("dismiss")
    return tuple(offered)


def followup_required(item: ReviewItem, decision: str) -> bool:
    """Closing an item a rule or the semantic layer raised needs the follow-up answer;
    escalating passes the question on to whoever closes it."""
    return decision != "escalate" and any(
        isinstance(r, dict) and r.get("source") in ASKED_SOURCES for r in item.reasons or ())


def _reason(reason: str | None) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationFailed({"reason": [str(_l("Please give a reason; it is kept."))]})
    return reason[:REASON_MAX]


def _checked_input(item: ReviewItem, decision: str, reason: str | None,
                   followup_needed: bool | None) -> str:
    """The kept reason; every missing answer is named at once so the form is fixed in one go."""
    errors: dict[str, list[str]] = {}
    try:
        reason = _reason(reason)
    except ValidationFailed as exc:
        errors.update(exc.reasons)
    if followup_needed is None and followup_required(item, decision):
        errors["followup_needed"] = [str(_l(
            "Please answer whether this needed follow-up: it shows the team which flags are"
            " worth a moderator's time."))]
    if errors:
        raise ValidationFailed(errors)
    return reason


def _record(item: ReviewItem, decision: str, reason: str, acting_user: User, now: datetime,
            details: dict | None = None) -> None:
    db.session.add(ReviewDecision(
        item_id=item.id, actor_id=acting_user.id, decision=decision, reason=reason,
        category=(item.categories or ["report"])[0], priority=item.priority, created_at=now,
    ))
    if item.first_action_at is None:
        item.first_action_at = now
    audit.record(f"review.{decision}", acting_user=acting_user, target_type=item.content_kind,
                 target_id=item.content_id, reason=reason,
                 details={"item_id": item.id, **(details or {})})


def _tell_author(item: ReviewItem, text: str, acting_user: User) -> None:
    if item.author_id is not None and item.content_kind != "report":
        mod_inbox.do_send_from_team(item.author_id, text, acting_user=None, item=item)


def _removal_notice(item: ReviewItem, reason: str) -> str:
    # Each kind is named for what it is, and only a post can be edited and sent again.
    kind = item.content_kind
    if kind == "chat":
        return str(_l("A moderator removed one of your chat messages. The reason: %(reason)s",
                      reason=reason))
    if kind == "meeting":
        return str(_l("A moderator cancelled one of your meetings. The reason: %(reason)s",
                      reason=reason))
    if kind == "support_note":
        return str(_l("A moderator hid your note to the peer supporters. The reason:"
                      " %(reason)s", reason=reason))
    if kind == "pseudonym":
        member = db.session.get(User, item.content_id)
        return str(_l("A moderator replaced your pseudonym with %(name)s. The reason:"
                      " %(reason)s\n\nYou can choose another one on your account page.",
                      name=member.pseudonym if member else "", reason=reason))
    return str(_l(
        "A moderator removed one of your posts. The reason: %(reason)s\n\nYou can edit it"
        " and send it again from your inbox; it will be looked at once more.", reason=reason))


def check_decide(
    item: ReviewItem, decision: str, reason: str, *, acting_user: User,
    new_text: str | None = None, whole_disclosure: bool = False,
    followup_needed: bool | None = None, now: datetime | None = None,
) -> None:
    """Apply one decision to a claimable item; the content, the item, the follow-up answer and
    the audit change together in one transaction."""
    now = now or clock.now()
    if not review_queue.can_review(acting_user):
        raise NotFound()
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": [str(_l("Choose a decision."))]})
    if item.status not in (OPEN, ESCALATED):
        raise ValidationFailed({"decision": [str(_l("This item is already closed."))]})
    if decision not in decisions_for(item):
        raise ValidationFailed({"decision": [str(_l("That decision doesn't apply to this"
                                                    " item."))]})
    reason = _checked_input(item, decision, reason, followup_needed)
    ensure_claim(item, acting_user, now)
    content = content_kinds.get(item.content_kind)
    approve = content.approve if content is not None else None
    remove = content.remove if content is not None else None
    if decision == "approve":
        if approve:
            approve(item.content_id, acting_user)
        review_queue.resolve(item, "approved", reason, acting_user)
    elif decision == "remove":
        if item.is_risk and not whole_disclosure:
            # Method details can be redacted with edit-and-approve; the disclosure stays.
            raise ValidationFailed({"decision": [str(_l(
                "This is a risk item. Use edit-and-approve to take out only the method details,"
                " or confirm that the whole post must go."))]})
        if remove:
            remove(item.content_id, reason, acting_user)
        review_queue.resolve(item, "removed", reason, acting_user)
        _tell_author(item, _removal_notice(item, reason), acting_user)
    elif decision == "edit":
        text = (new_text or "").replace("\x00", "")
        if not text.strip() or not review_content.can_edit(item.content_kind):
            raise ValidationFailed({"new_text": [str(_l("Write the edited text."))]})
        review_content.do_edit_content(item, text, acting_user)
        review_queue.resolve(item, "edited", reason, acting_user)
        _tell_author(item, str(_l(
            "A moderator edited one of your posts before publishing it. The reason:"
            " %(reason)s", reason=reason)), acting_user)
    elif decision == "escalate":
        item.status = ESCALATED
        item.escalated_at = now
        item.claimed_by_id = item.claimed_at = item.claim_touched_at = None
        events.publish(review_alerts.QUEUE_ITEM, review_alerts.payload(item, now),
                       audience=(review_alerts.ROOM_SUPERVISORS, review_alerts.ROOM_ADMINS))
    elif decision == "dismiss":
        if "report" not in (item.sources or []):
            raise ValidationFailed({"decision": [str(_l("Only reports can be dismissed."))]})
        review_queue.resolve(item, "dismissed", reason, acting_user)
    details = None
    if decision != "escalate":
        # Set on every close, so an answer never outlives the resolution it was given for.
        item.followup_needed = followup_needed
        details = {"followup_needed": followup_needed}
    _record(item, decision, reason, acting_user, now, details)
    transaction.commit()
    log.info("review decision item_id=%s decision=%s", item.id, decision)


def check_followup(
    item: ReviewItem, outcome: str, note: str, *, acting_user: User,
    now: datetime | None = None,
) -> None:
    """Record what happened after reaching out about a risk item (item stays as it is)."""
    now = now or clock.now()
    if not review_queue.can_review(acting_user):
        raise NotFound()
    if not needs_care(item) or (item.is_risk and not can_handle_risk(acting_user)):
        raise PermissionDenied()
    if outcome not in FOLLOWUP_OUTCOMES:
        raise ValidationFailed({"outcome": [str(_l("Choose an outcome."))]})
    item.followup = outcome
    if item.claimed_by_id == acting_user.id:
        item.claim_touched_at = now
    _record(item, "followup", (note or "").strip()[:REASON_MAX] or outcome, acting_user, now,
            {"outcome": outcome})
    transaction.commit()


def check_caring_message(
    item: ReviewItem, body: str, *, acting_user: User, now: datetime | None = None
) -> None:
    """Send the item's author a private supportive message from the team; audited."""
    now = now or clock.now()
    if not review_queue.can_review(acting_user):
        raise NotFound()
    if item.is_risk and not can_handle_risk(acting_user):
        raise PermissionDenied()
    if item.author_id is None:
        raise ValidationFailed({"body": [str(_l("This author can't receive messages."))]})
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationFailed({"body": [str(_l("Please write something first."))]})
    mod_inbox.do_send_from_team(item.author_id, body[:mod_inbox.BODY_MAX],
                                acting_user=acting_user, item=item, action="review.message")
    if item.first_action_at is None:
        item.first_action_at = now
    if item.claimed_by_id == acting_user.id:
        item.claim_touched_at = now
    transaction.commit()
