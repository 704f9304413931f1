"""Admins manage roles and training from the browser.

Every change needs the admin's password again (a left-open admin session must not be enough to hand
out moderator powers): it counts as confirming it is them (services/accounts/step_up.py), so the
audit row says "password". Then each change goes through the same functions in roles.py as the
`flask grant` and `flask train` commands, which check, audit and commit it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ...errors import PermissionDenied
from ...extensions import db
from ...models import RoleGrant, TrainingRecord, User
from .. import clock
from . import roles, step_up
from .account import find_by_pseudonym

# Training that runs out within this many days is marked, so it can be renewed in time.
EXPIRING_DAYS = 30

ROLE_LABELS = {
    "facilitator": _l("Facilitator"),
    "moderator": _l("Moderator"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Admin"),
}
MODULE_LABELS = {
    "crisis-response": _l("Crisis response"),
    "boundaries-and-ethics": _l("Boundaries and ethics"),
    "privacy": _l("Privacy"),
    "facilitation": _l("Facilitation"),
    "peer-support": _l("Peer support"),
}


@dataclass(frozen=True)
class TrainingStatus:
    """The record in force for one module: the latest expiry, no expiry counting as latest."""

    module: str
    completed_on: date
    expires_on: date | None
    state: str  # "current", "expiring" (within EXPIRING_DAYS) or "expired"

    @property
    def label(self) -> str:
        """The module's name in the reader's language."""
        return str(MODULE_LABELS.get(self.module, self.module))

    @property
    def renew_period(self) -> timedelta | None:
        """How long the record ran: a renewal suggests the same again."""
        return self.expires_on - self.completed_on if self.expires_on else None


@dataclass
class Holder:
    """An account with a role beyond member or any training."""

    user: User
    roles: list[str] = field(default_factory=list)
    training: list[TrainingStatus] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        """Some training has run out or runs out soon."""
        return any(t.state != "current" for t in self.training)


def can_manage_people(user: User | None) -> bool:
    """Only a logged-in admin manages people in the browser."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role("admin")


def _require_admin(acting_user: User | None) -> None:
    if not can_manage_people(acting_user):
        raise PermissionDenied()


def _confirm_password(acting_user: User, password: str | None) -> None:
    """The admin's own password, checked with argon2 before anything changes (wrong ones are
    slowed per account); it counts as the step-up the change needs."""
    step_up.check_password(acting_user, password, wrong=str(_l(
        "That is not your password. Nothing was changed.")))


def role_label(role: str) -> str:
    """A role's name in the reader's language."""
    return str(ROLE_LABELS.get(role, role))


def _state(expires_on: date | None, today: date) -> str:
    if expires_on is None:
        return "current"
    if expires_on < today:  # has_current_training counts the expiry day itself as current
        return "expired"
    return "expiring" if expires_on <= today + timedelta(days=EXPIRING_DAYS) else "current"


def _in_force(records: list[TrainingRecord], today: date) -> list[TrainingStatus]:
    best: dict[str, TrainingRecord] = {}
    for rec in records:
        key = (rec.expires_on or date.max, rec.completed_on)
        held = best.get(rec.module)
        if held is None or key > (held.expires_on or date.max, held.completed_on):
            best[rec.module] = rec
    return [TrainingStatus(r.module, r.completed_on, r.expires_on, _state(r.expires_on, today))
            for r in sorted(best.values(), key=lambda r: r.module)]


def access_people(*, acting_user: User | None) -> None:
    """Raise PermissionDenied unless the acting user may manage people."""
    _require_admin(acting_user)


def find_member(name: str, *, acting_user: User | None) -> User | None:
    """The account with this pseudonym (case-insensitive), for an admin."""
    _require_admin(acting_user)
    name = (name or "").strip()
    return find_by_pseudonym(name) if name else None


def training_status(user: User, *, acting_user: User | None,
                    today: date | None = None) -> list[TrainingStatus]:
    """The record in force for each module one account was trained in."""
    _require_admin(acting_user)
    return _in_force(roles.training_of(user), today or clock.now().date())


def holders(*, acting_user: User | None, today: date | None = None) -> list[Holder]:
    """Everyone who holds a role beyond member or any training, by pseudonym."""
    _require_admin(acting_user)
    today = today or clock.now().date()
    users = db.session.scalars(
        select(User)
        .where(exists().where(RoleGrant.user_id == User.id)
               | exists().where(TrainingRecord.user_id == User.id))
        .order_by(User.pseudonym_key)
    ).all()
    records: dict[int, list[TrainingRecord]] = {}
    for rec in db.session.scalars(
            select(TrainingRecord).where(TrainingRecord.user_id.in_([u.id for u in users]))):
        records.setdefault(rec.user_id, []).append(rec)
    return [Holder(u, sorted(g.role for g in u.roles), _in_force(records.get(u.id, []), today))
            for u in users]


def check_change_role(target: User, role: str, *, grant: bool, password: str | None,
                      acting_user: User | None) -> bool:
    """Grant or revoke a role once the admin's password is confirmed; False when nothing
    needed changing (already held, or not held)."""
    _require_admin(acting_user)
    _confirm_password(acting_user, password)
    if grant:
        return roles.check_grant_role(target, role, acting_user=acting_user) is not None
    return roles.check_revoke_role(target, role, acting_user=acting_user)


def check_record_training(target: User, module: str, *, completed_on: date,
                          expires_on: date | None, password: str | None,
                          acting_user: User | None) -> TrainingRecord:
    """Record or renew training once the admin's password is confirmed."""
    _require_admin(acting_user)
    _confirm_password(acting_user, password)
    return roles.check_record_training(target, module, completed_on=completed_on,
                                       expires_on=expires_on, acting_user=acting_user)
