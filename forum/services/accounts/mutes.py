"""Muting: a member collapses another member's posts and messages, for themselves only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...models import Mute, User
from .. import transaction
from .account import find_by_pseudonym


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
        transaction.commit()
    return target


def do_unmute(muter: User, muted_id: int) -> None:
    """Stop muting a member."""
    db.session.execute(delete(Mute).where(Mute.muter_id == muter.id, Mute.muted_id == muted_id))
    transaction.commit()


def check_unmute(muter: User, pseudonym: str) -> None:
    """Stop muting the member with this pseudonym; a name not muted (or unknown) changes nothing.

    The form names the pseudonym the member typed, never an account id, so the mute list is
    no way to map pseudonyms to account ids."""
    target = find_by_pseudonym(pseudonym)
    if target is not None:
        do_unmute(muter, target.id)


def collapses(author_id: int | None, anonymous: bool, muted: frozenset[int], *,
              mine: bool) -> bool:
    """Is this post collapsed for a viewer who muted `muted`?

    Never when it is anonymous: an anonymous author is nobody to every member-facing rule, and a
    collapse would tell the viewer that someone they muted wrote it."""
    return not anonymous and not mine and author_id is not None and author_id in muted


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
