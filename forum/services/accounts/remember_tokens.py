""""Keep me logged in": one random token per device, replaced at each use, revoked at log-out.

The cookie holds "<row id>.<secret>"; only a SHA-256 of the secret is stored (the secret is 256
random bits, so a slow hash adds nothing). Each use replaces the secret, so a copied cookie works
at most until the owner's browser next uses it. The secret it replaced is still accepted for
GRACE_S, for the requests a browser sends at once when it starts; after that, the old secret
coming back means two browsers hold the token, and the token is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, update

from ...extensions import db
from ...models import RememberToken, User
from ...row_ids import parse_row_id
from .. import clock, transaction

log = logging.getLogger("forum.accounts")

GRACE_S = 60
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Redeemed:
    """The account a token names, and the token that replaces it (None: keep the cookie)."""

    user: User
    new_token: str | None
    # The sign-in the token belongs to; None for a token older than sign-ins.
    sign_in_id: int | None = None


def lifetime() -> timedelta:
    """How long an unused token lasts (FORUM_REMEMBER_DAYS)."""
    return timedelta(days=int(current_app.config.get("REMEMBER_DAYS") or DEFAULT_DAYS))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def do_issue(user: User, sign_in_id: int | None = None) -> str:
    """A new token for one device of this account; returns the cookie value."""
    secret, now = secrets.token_urlsafe(32), clock.now()
    # Devices that never came back leave their rows; each new one sweeps the account's.
    db.session.execute(delete(RememberToken).where(RememberToken.user_id == user.id,
                                                   RememberToken.expires_at <= now))
    row = RememberToken(user_id=user.id, secret_hash=_hash(secret), expires_at=now + lifetime(),
                        sign_in_id=sign_in_id)
    db.session.add(row)
    transaction.commit()
    return f"{row.id}.{secret}"


def redeem(token: str) -> Redeemed | None:
    """The account a cookie's token names, with its replacement; None when it names none."""
    row_text, _dot, secret = token.partition(".")
    row_id = parse_row_id(row_text)
    if row_id is None or not secret:
        return None
    row = db.session.get(RememberToken, row_id)
    now = clock.now()
    if row is None:
        return None
    if row.expires_at <= now:
        db.session.delete(row)
        transaction.commit()
        return None
    given = _hash(secret)
    user_id, new_token = row.user_id, None
    sign_in_id = row.sign_in_id
    if hmac.compare_digest(given, row.secret_hash):
        new_secret = secrets.token_urlsafe(32)
        # Only if no parallel request replaced it first; the loser keeps the browser's cookie.
        replaced = db.session.execute(
            update(RememberToken)
            .where(RememberToken.id == row_id, RememberToken.secret_hash == given)
            .values(secret_hash=_hash(new_secret), previous_hash=given, rotated_at=now,
                    expires_at=now + lifetime()))
        if replaced.rowcount == 1:
            new_token = f"{row_id}.{new_secret}"
        transaction.commit()
    elif not (row.previous_hash and hmac.compare_digest(given, row.previous_hash)
              and row.rotated_at is not None and now - row.rotated_at < timedelta(seconds=GRACE_S)):
        db.session.delete(row)
        transaction.commit()
        log.info("remember token reused after rotation, revoked account_id=%s", user_id)
        return None
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return Redeemed(user, new_token, sign_in_id)


def do_revoke_all(user: User) -> int:
    """Forget every device of the account (joins the caller's transaction); how many."""
    result = db.session.execute(delete(RememberToken).where(RememberToken.user_id == user.id))
    return result.rowcount or 0
