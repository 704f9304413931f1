"""Supportive reactions only: one of each kind per member per post, counts shown, no down-votes."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ...errors import PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Post, Reaction, User
from .. import transaction
from ..accounts.standing import can_write
from . import notifications
from .reading import access_post

KINDS = {
    "heart": _l("Heart"),
    "hug": _l("Hug"),
    "strength": _l("Strength"),
    "me-too": _l("Me too"),
}
# Each kind's picture, drawn for this site (no emoji font needed): one file of four views,
# fetched once for a page however many buttons show it.
ICON_FILE = "icons/reactions.svg"


def check_toggle(post_id: int, kind: str, *, acting_user: User) -> bool:
    """Add the reaction, or take it back when already given; returns True when now given."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": [str(_l("Unknown reaction."))]})
    if not can_write(acting_user):
        raise PermissionDenied()
    post = access_post(post_id, acting_user)
    if not post.visible:
        # Held and deleted posts can't be reacted to, even by their authors.
        raise ValidationFailed({"kind": [str(_l("This post can't receive reactions yet."))]})
    existing = db.session.scalar(
        select(Reaction.id).where(
            Reaction.post_id == post.id, Reaction.user_id == acting_user.id, Reaction.kind == kind
        )
    )
    if existing is not None:
        db.session.execute(delete(Reaction).where(Reaction.id == existing))
        notifications.do_withdraw_support(post)
        transaction.commit()
        return False
    try:
        db.session.add(Reaction(post_id=post.id, user_id=acting_user.id, kind=kind))
        db.session.flush()
    except IntegrityError:
        # A double click raced us: the one reaction exists, which is what was asked.
        db.session.rollback()
        return True
    try:
        with db.session.begin_nested():
            notifications.do_notify_support(post, acting_user.id)
    except IntegrityError:
        pass  # another reaction made the post's one notification at the same moment: it counts us
    transaction.commit()
    return True


def count_of(post_id: int, kind: str) -> int:
    """How many members gave this reaction to this post."""
    return db.session.scalar(
        select(func.count(Reaction.id)).where(Reaction.post_id == post_id, Reaction.kind == kind)
    ) or 0


def summary(posts: list[Post], viewer: User | None) -> dict[int, dict[str, tuple[int, bool]]]:
    """For each post: kind -> (count, given by the viewer)."""
    ids = [p.id for p in posts]
    result: dict[int, dict[str, tuple[int, bool]]] = defaultdict(dict)
    if not ids:
        return result
    counts = db.session.execute(
        select(Reaction.post_id, Reaction.kind, func.count(Reaction.id))
        .where(Reaction.post_id.in_(ids))
        .group_by(Reaction.post_id, Reaction.kind)
    ).all()
    mine: set[tuple[int, str]] = set()
    if viewer is not None and getattr(viewer, "is_authenticated", False) and counts:
        mine = set(
            db.session.execute(
                select(Reaction.post_id, Reaction.kind).where(
                    Reaction.post_id.in_(ids), Reaction.user_id == viewer.id
                )
            ).all()
        )
    for post_id, kind, count in counts:
        result[post_id][kind] = (count, (post_id, kind) in mine)
    return result
