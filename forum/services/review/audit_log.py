"""Browsing the append-only audit trail (admins and supervisors), filtered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...errors import NotFound
from ...extensions import db
from ...models import AuditEvent, User
from ...row_ids import parse_row_id

PAGE_SIZE = 50


def can_browse(user: User | None) -> bool:
    """Admins and supervisors read the audit log."""
    return user is not None and getattr(user, "is_authenticated", False) and (
        user.has_role("admin") or user.has_role("supervisor"))


@dataclass(frozen=True)
class AuditFilter:
    """Filters: action (prefix), actor pseudonym, target type and id."""

    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: int | None = None

    @classmethod
    def parse(cls, args) -> AuditFilter:
        """From query arguments; blanks ignored."""
        tid = args.get("target_id", "")
        return cls((args.get("action") or "").strip()[:64] or None,
                   (args.get("actor") or "").strip()[:64] or None,
                   (args.get("target_type") or "").strip()[:32] or None,
                   parse_row_id(tid))


def browse(flt: AuditFilter, *, page: int = 1, acting_user: User) -> tuple[list, int]:
    """Audit rows newest first with the actor's pseudonym, and the total."""
    if not can_browse(acting_user):
        raise NotFound()
    query = select(AuditEvent, User.pseudonym).outerjoin(User, User.id == AuditEvent.actor_id)
    count = select(func.count(AuditEvent.id)).outerjoin(User, User.id == AuditEvent.actor_id)
    conds = []
    if flt.action:
        conds.append(AuditEvent.action.like(f"{flt.action}%"))
    if flt.actor:
        conds.append(func.lower(User.pseudonym) == flt.actor.lower())
    if flt.target_type:
        conds.append(AuditEvent.target_type == flt.target_type)
    if flt.target_id is not None:
        conds.append(AuditEvent.target_id == flt.target_id)
    query = query.where(*conds).order_by(AuditEvent.id.desc())
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((max(1, page) - 1) * PAGE_SIZE))
    return [(event, name) for event, name in rows], db.session.scalar(count.where(*conds)) or 0
