"""A member's own data: export all of it, or delete the account."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Mute, PendingRescreen, PseudonymHistory, RecoveryCode, User
from ..models.base import utcnow
from .mutes import muted_members
from .passwords import verify_secret
from .roles import training_of

log = logging.getLogger("forum.privacy")


@dataclass(frozen=True)
class ContentKind:
    """Content a member authored: how to export it and how to erase or detach it."""

    name: str
    export: Callable[[User], list[dict[str, Any]]]
    # keep=True detaches the content ("deleted member"); keep=False erases it.
    erase: Callable[[User, bool], None]


_KINDS: dict[str, ContentKind] = {}


def register_content_kind(kind: ContentKind) -> None:
    """Let a feature (threads, chat, ...) take part in export and deletion."""
    _KINDS[kind.name] = kind


def export_account(user: User) -> dict[str, Any]:
    """Everything the forum keeps about this member, as JSON-ready data."""
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "pseudonym": user.pseudonym,
            "created_at": user.created_at.isoformat(),
            "locale": user.locale,
            "timezone": user.timezone,
            "support_notifications": user.support_notifications,
            "welcome_dismissed_at": (
                user.welcome_dismissed_at.isoformat() if user.welcome_dismissed_at else None
            ),
            "roles": user.role_names,
            "guidelines_version_agreed": user.guidelines_version,
            "guidelines_agreed_at": (
                user.guidelines_agreed_at.isoformat() if user.guidelines_agreed_at else None
            ),
            "suspended_until": user.suspended_until.isoformat() if user.suspended_until else None,
        },
        "earlier_pseudonyms": [
            {"pseudonym": h.pseudonym, "changed_at": h.changed_at.isoformat()}
            for h in db.session.scalars(
                select(PseudonymHistory)
                .where(PseudonymHistory.user_id == user.id)
                .order_by(PseudonymHistory.changed_at)
            )
        ],
        "training": [
            {
                "module": t.module,
                "completed_on": t.completed_on.isoformat(),
                "expires_on": t.expires_on.isoformat() if t.expires_on else None,
            }
            for t in training_of(user)
        ],
        "muted_members": [m.pseudonym for m in muted_members(user)],
        "recovery_codes_unused": db.session.scalar(
            select(db.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ),
    }
    for name, kind in sorted(_KINDS.items()):
        data[name] = kind.export(user)
    return data


def check_delete_account(user: User, password: str, *, keep_posts: bool) -> None:
    """Delete the account after confirming the password; posts are erased or kept unattributed."""
    if not verify_secret(user.password_hash, password):
        raise ValidationFailed({"password": [str(_l("That is not your current password."))]})
    do_delete_account(user, keep_posts=keep_posts)


def do_delete_account(user: User, *, keep_posts: bool) -> None:
    """Erase the account, its pseudonym history, codes and mutes; handle content as chosen."""
    user_id = user.id
    for kind in _KINDS.values():
        kind.erase(user, keep_posts)
    db.session.execute(delete(PseudonymHistory).where(PseudonymHistory.user_id == user_id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(delete(Mute).where(or_(Mute.muter_id == user_id, Mute.muted_id == user_id)))
    db.session.execute(
        delete(PendingRescreen).where(
            PendingRescreen.content_kind == "pseudonym", PendingRescreen.content_id == user_id
        )
    )
    db.session.delete(user)
    db.session.commit()
    log.info("account deleted account_id=%s keep_posts=%s", user_id, keep_posts)
