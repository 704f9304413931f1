"""Sign-up, log-in, recovery codes and account changes for pseudonymous members."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ...errors import ContentRejected, ValidationFailed
from ...extensions import db
from ...models import PseudonymHistory, RecoveryCode, User
from ...models.base import utcnow
from ...moderation import Verdict
from .. import audit, review_queue, screening, transaction
from . import guidelines, login_throttle, remember_tokens, sign_ins, step_up
from .passwords import dummy_hash, hash_secret, password_problems, verify_secret
from .pseudonyms import pseudonym_key, pseudonym_problems, pseudonym_skeleton

log = logging.getLogger("forum.accounts")

RECOVERY_CODE_COUNT = 8
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


@dataclass(frozen=True)
class SignupResult:
    """The new account and the recovery codes, shown to the member exactly once."""

    user: User
    recovery_codes: list[str]


def find_by_id(user_id: object) -> User | None:
    """The account with this id, if any (ids from the session are checked to be ints)."""
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


def find_by_pseudonym(pseudonym: str) -> User | None:
    """The account with this pseudonym, case-insensitively."""
    if "\x00" in pseudonym:  # no account has one, and PostgreSQL refuses NUL in a query
        return None
    return db.session.scalar(select(User).where(User.pseudonym_key == pseudonym_key(pseudonym)))


def _look_alike(pseudonym: str, author: User | None) -> User | None:
    """Another account whose name is this one or looks like it ("rnod_rowan", "mod-rowan"):
    one query on the stored key and skeleton."""
    others = select(User).where(or_(User.pseudonym_key == pseudonym_key(pseudonym),
                                    User.pseudonym_skeleton == pseudonym_skeleton(pseudonym)))
    # A member changing only the case or the look of their own name is not taking anyone's.
    if author is not None:
        others = others.where(User.id != author.id)
    return db.session.scalars(others.limit(1)).first()


def _check_new_pseudonym(pseudonym: str, *, author: User | None = None):
    """Form, uniqueness, then the moderation pipeline; returns the verdict when accepted."""
    problems = pseudonym_problems(pseudonym)
    existing = _look_alike(pseudonym, author) if not problems else None
    if existing is not None:
        problems = [
            str(_l("That pseudonym is taken. Try another, or use the suggestion."))
            if existing.pseudonym_key == pseudonym_key(pseudonym)
            else str(_l("That pseudonym looks too much like another member's, so one could"
                        " be taken for the other. Try another, or use the suggestion."))
        ]
    if problems:
        raise ValidationFailed({"pseudonym": problems})
    verdict = screening.screen_text(pseudonym, scope="pseudonym", author=author)
    # A pseudonym is on every page its owner touches, so what would be held is refused.
    if verdict.action in ("hold", "block"):
        raise ContentRejected(verdict, field="pseudonym")
    return verdict


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_secret(code, "code")))
    return codes


def check_signup(
    pseudonym: str,
    password: str,
    password_confirm: str,
    *,
    agreed_guidelines_version: int | None,
    locale: str | None = None,
    timezone: str | None = None,
) -> SignupResult:
    """Validate and create an account from a pseudonym and a password, nothing else."""
    # One transaction: the default guidelines, if first published on the way, go with the
    # account, and a refused sign-up leaves nothing behind.
    with transaction.atomic():
        pseudonym = pseudonym.strip()
        errors: dict[str, list[str]] = {}
        verdict = None
        try:
            verdict = _check_new_pseudonym(pseudonym)
        except ValidationFailed as exc:
            errors.update(exc.reasons)
        problems = password_problems(password, pseudonym)
        if problems:
            errors["password"] = problems
        elif password != password_confirm:
            errors["password_confirm"] = [str(_l("The two passwords are not the same."))]
        current = guidelines.current_version()
        if agreed_guidelines_version is None or agreed_guidelines_version != current.id:
            errors["agree"] = [
                str(_l("Please read the community guidelines and tick the box to agree."))
            ]
        if timezone is not None and not is_time_zone(timezone):
            errors["timezone"] = [str(_l("Choose a time zone from the list."))]
        if errors:
            raise ValidationFailed(errors)
        now = utcnow()
        user = User(
            pseudonym=pseudonym,
            pseudonym_key=pseudonym_key(pseudonym),
            pseudonym_skeleton=pseudonym_skeleton(pseudonym),
            password_hash=hash_secret(password),
            guidelines_version=current.id,
            guidelines_agreed_at=now,
            locale=locale,
            timezone=timezone or "UTC",
        )
        db.session.add(user)
        db.session.flush()
        codes = _new_recovery_codes(user)
        screening.remember_if_needed(verdict, "pseudonym", user.id, scope="pseudonym")
    # After the commit: reading the id loads the account again, so the caller gets it loaded.
    log.info("account created account_id=%s", user.id)
    return SignupResult(user=user, recovery_codes=codes)


def is_time_zone(name: object) -> bool:
    """Is this the name of a time zone (IANA, e.g. Europe/Madrid) this system knows?"""
    if not isinstance(name, str) or not name or len(name) > 64 or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def is_suspended(user: User, now: datetime | None = None) -> bool:
    """True while a suspension is in force."""
    return user.suspended_until is not None and user.suspended_until > (now or utcnow())


def authenticate(pseudonym: str, password: str, *, throttle_key: str | None = None) -> User | None:
    """The account when pseudonym and password match, else None (in constant-ish time).

    With a throttle_key (one client and this pseudonym, opaque), raises
    login_throttle.TooManyTries while that pair must wait; only failures make it wait.
    """
    if throttle_key is not None:
        login_throttle.check(throttle_key)
    user = find_by_pseudonym(pseudonym.strip())
    if user is None:
        verify_secret(dummy_hash(), password)  # same work whether or not the name exists
        log.info("login failed reason=unknown-account")
    elif not verify_secret(user.password_hash, password):
        log.info("login failed account_id=%s reason=password", user.id)
        user = None
    if throttle_key is not None:
        if user is None:
            login_throttle.record_failure(throttle_key)
        else:
            login_throttle.record_success(throttle_key)
    if user is not None:
        log.info("login ok account_id=%s", user.id)
    return user


def do_log_out(user: User) -> None:
    """End every session and forget every remembered device of the account."""
    user.session_generation += 1
    remember_tokens.do_revoke_all(user)
    sign_ins.end_others(user, None, "logout")
    transaction.commit()
    log.info("logged out account_id=%s", user.id)


def check_change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Change the password after checking the current one, which counts as the step-up the
    change needs (wrong ones are slowed per account); signs out other sessions; audited."""
    method = step_up.check_password(user, current, field="current_password", wrong=str(_l(
        "That is not your current password.")))
    _set_password(user, new, confirm)
    audit.record("account.password_changed", acting_user=user, target_type="user",
                 target_id=user.id, details=step_up.with_method({}, method) or None)
    transaction.commit()
    log.info("password changed account_id=%s", user.id)


def _set_password(user: User, new: str, confirm: str) -> None:
    problems = password_problems(new, user.pseudonym)
    if problems:
        raise ValidationFailed({"password": problems})
    if new != confirm:
        raise ValidationFailed(
            {"password_confirm": [str(_l("The two passwords are not the same."))]}
        )
    user.password_hash = hash_secret(new)
    user.session_generation += 1
    remember_tokens.do_revoke_all(user)
    # Every other browser signs in again; this one (if any) goes on.
    current = getattr(user, "sign_in", None)
    sign_ins.end_others(user, current.id if current is not None else None, "password")


def check_reset_with_recovery_code(
    pseudonym: str, code: str, new: str, confirm: str, *, throttle_key: str | None = None
) -> User:
    """Reset a forgotten password with one unused recovery code, which is then spent.

    With a throttle_key, a wrong code counts against that pair (login_throttle); a refused
    new password does not, and a right code clears the count.
    """
    refused = ValidationFailed(
        {"code": [str(_l("That pseudonym and recovery code don't match an unused code."))]}
    )
    if throttle_key is not None:
        login_throttle.check(throttle_key)
    user = find_by_pseudonym(pseudonym.strip())
    match = None
    if user is None:
        verify_secret(dummy_hash(), code)
    else:
        normalized = code.strip().lower().replace(" ", "")
        unused = db.session.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
        match = next((rc for rc in unused if verify_secret(rc.code_hash, normalized)), None)
        if match is None:
            log.info("recovery failed account_id=%s", user.id)
    if throttle_key is not None:
        if match is None:
            login_throttle.record_failure(throttle_key)
        else:
            login_throttle.record_success(throttle_key)
    if user is None or match is None:
        raise refused
    _set_password(user, new, confirm)
    match.used_at = utcnow()
    transaction.commit()
    log.info("password reset with recovery code account_id=%s", user.id)
    return user


def remaining_recovery_codes(user: User) -> int:
    """How many recovery codes are still unused."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def check_regenerate_recovery_codes(user: User, password: str) -> list[str]:
    """Replace all recovery codes after confirming the password."""
    if not verify_secret(user.password_hash, password):
        raise ValidationFailed({"password": [str(_l("That is not your current password."))]})
    codes = _new_recovery_codes(user)
    transaction.commit()
    log.info("recovery codes regenerated account_id=%s", user.id)
    return codes


def check_change_pseudonym(user: User, new: str, password: str) -> None:
    """Change the pseudonym; the old one is kept where only moderators can see it."""
    new = new.strip()
    if not verify_secret(user.password_hash, password):
        raise ValidationFailed({"password": [str(_l("That is not your current password."))]})
    if new == user.pseudonym:
        raise ValidationFailed({"pseudonym": [str(_l("That is already your pseudonym."))]})
    verdict = _check_new_pseudonym(new, author=user)
    db.session.add(PseudonymHistory(user_id=user.id, pseudonym=user.pseudonym))
    user.pseudonym = new
    user.pseudonym_key = pseudonym_key(new)
    user.pseudonym_skeleton = pseudonym_skeleton(new)
    screening.remember_if_needed(verdict, "pseudonym", user.id, scope="pseudonym")
    transaction.commit()
    log.info("pseudonym changed account_id=%s", user.id)


def set_preferences(user: User, *, locale: str | None, timezone: str) -> None:
    """Save language and time zone preferences."""
    if not is_time_zone(timezone):
        raise ValidationFailed({"timezone": [str(_l("Choose a time zone from the list."))]})
    user.locale = locale or None
    user.timezone = timezone
    transaction.commit()


def rescreen_text(user_id: int) -> str | None:
    user = db.session.get(User, user_id)
    return user.pseudonym if user is not None else None


def rescreen_verdict(user_id: int, verdict: Verdict) -> None:
    # The name is already in use; a moderator decides, the rescreen never renames anyone itself.
    if verdict.action != "allow":
        review_queue.do_enqueue("pseudonym", user_id, verdict=verdict)
