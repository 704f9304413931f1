"""Muting: a member collapses another member's posts and messages, for themselves only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Mute, User
from .accounts import find_by_pseudonym


def check_mute(muter: User, pseudonym: str) -> User:
    """Mute the member with this pseudonym; idempotent."""
    target = find_by_pseudonym(pseudonym)
    if target is None:
        raise NotFound()
    if target.id == muter.id:
        raise ValidationFailed({"pseudonym": [str(_l("You can't mute yourself."))]})
    exists = db.session.scalar(
        select(Mute.id).where(Mute.muter_id == muter.id, Mute.muted_id == target.id)
    )
    if exists is None:
        db.session.add(Mute(muter_id=muter.id, muted_id=target.id))
        db.session.commit()
    return target


def do_unmute(muter: User, muted_id: int) -> None:
    """Stop muting a member."""
    db.session.execute(delete(Mute).where(Mute.muter_id == muter.id, Mute.muted_id == muted_id))
    db.session.commit()


def muted_ids(user: User | None) -> frozenset[int]:
    """Ids of the members this member has muted (empty for visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(db.session.scalars(select(Mute.muted_id).where(Mute.muter_id == user.id)))


def muted_members(user: User) -> list[User]:
    """The members this member has muted, by pseudonym."""
    return list(
        db.session.scalars(
            select(User)
            .join(Mute, Mute.muted_id == User.id)
            .where(Mute.muter_id == user.id)
            .order_by(User.pseudonym_key)
        )
    )
