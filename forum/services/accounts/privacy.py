"""A member's own data: export all of it, or delete the account.

Both need the member to have confirmed it is them within the last minutes
(services/accounts/step_up.py; the password the deletion form asks for counts) and are audited
with how they confirmed."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from ...extensions import db
from ...models import (
    BackupCode,
    Mute,
    PasskeyCredential,
    PendingRescreen,
    PseudonymHistory,
    RecoveryCode,
    SignIn,
    TotpFactor,
    User,
)
from ...models.base import utcnow
from .. import audit, content_kinds, transaction
from . import sign_ins, step_up
from .mutes import muted_members
from .roles import training_of

log = logging.getLogger("forum.privacy")


def check_export_account(user: User) -> dict[str, Any]:
    """The member's own download of export_account, once they confirmed it is them (audited
    with how)."""
    method = step_up.require(user)
    data = export_account(user)
    audit.record("account.exported", acting_user=user, target_type="user", target_id=user.id,
                 details=step_up.with_method({}, method) or None)
    transaction.commit()
    log.info("account exported account_id=%s step_up=%s", user.id, method)
    return data


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
    data.update(_signing_in(user))
    for kind in sorted(content_kinds.exported(), key=lambda kind: kind.export_as):
        data[kind.export_as] = kind.export(user)
    return data


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _signing_in(user: User) -> dict[str, Any]:
    """The account's sign-ins and a summary of its second factors: never a secret, a hash or a
    credential id."""
    totp = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id,
                                                      TotpFactor.confirmed_at.is_not(None)))
    passkeys = db.session.scalars(select(PasskeyCredential).where(
        PasskeyCredential.user_id == user.id).order_by(PasskeyCredential.created_at,
                                                        PasskeyCredential.id))
    return {
        "sign_ins": [
            {"created_at": _iso(row.created_at), "last_seen_at": _iso(row.last_seen_at),
             "device_name": row.device_name, "second_factor": row.second_factor}
            for row in db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)
                                          .order_by(SignIn.created_at, SignIn.id))
        ],
        "second_factors": {
            "authenticator_app": totp is not None,
            "authenticator_app_added_at": _iso(totp.confirmed_at) if totp else None,
            "passkeys": [{"name": key.name, "created_at": _iso(key.created_at),
                          "last_used_at": _iso(key.last_used_at)} for key in passkeys],
            "backup_codes_left": db.session.scalar(select(db.func.count(BackupCode.id)).where(
                BackupCode.user_id == user.id, BackupCode.used_at.is_(None))) or 0,
        },
    }


def check_delete_account(user: User, password: str, *, keep_posts: bool) -> None:
    """Delete the account after confirming the password (which counts as the step-up, and is
    slowed per account when wrong); posts are erased or kept unattributed. The audit row keeps
    the account's id and how the deletion was confirmed, never the pseudonym."""
    method = step_up.check_password(user, password, wrong=str(_l(
        "That is not your current password.")))
    audit.record("account.deleted", acting_user=user, target_type="user", target_id=user.id,
                 details=step_up.with_method({"keep_posts": keep_posts}, method))
    do_delete_account(user, keep_posts=keep_posts)


def do_delete_account(user: User, *, keep_posts: bool) -> None:
    """Erase the account, its pseudonym history, codes and mutes; handle content as chosen."""
    user_id = user.id
    for kind in content_kinds.exported():
        kind.erase(user, keep_posts)
    db.session.execute(delete(PseudonymHistory).where(PseudonymHistory.user_id == user_id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(delete(Mute).where(or_(Mute.muter_id == user_id, Mute.muted_id == user_id)))
    db.session.execute(
        delete(PendingRescreen).where(
            PendingRescreen.content_kind == "pseudonym", PendingRescreen.content_id == user_id
        )
    )
    # Its sign-ins would go with the account anyway (foreign keys); ending them first closes
    # its open chat connections at once (realtime/sign_in_ends.py).
    sign_ins.end_others(user, None, "deleted")
    db.session.delete(user)
    transaction.commit()
    log.info("account deleted account_id=%s keep_posts=%s", user_id, keep_posts)
