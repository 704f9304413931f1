"""Second factors: an authenticator app (TOTP), passkeys (services/accounts/passkeys.py) and
backup codes.

TOTP secrets are sealed with a key derived from the app's secret key, so a copy of the database
alone does not give the codes. A code is accepted once: the step it belongs to is remembered, and
a code of that step or an earlier one is refused afterwards. Wrong codes count per account
(login_throttle), since whoever types them already has the password.

Backup codes (ten, shown once, stored as argon2 hashes) stand in for a lost phone or key, each
once. Enrolling, removing and new backup codes are audited; removing a factor ends the account's
other sign-ins.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ...errors import ValidationFailed
from ...extensions import db
from ...models import BackupCode, PasskeyCredential, TotpFactor, User
from .. import audit, clock, transaction
from . import login_throttle, sign_ins, staff_gate, step_up
from .passwords import hash_secret, verify_secret

log = logging.getLogger("forum.accounts")

ISSUER = "Recovery forum"
BACKUP_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# One step either side: a phone clock a little off still works.
VALID_WINDOW = 1


@dataclass(frozen=True)
class Factors:
    """What second factors an account has."""

    totp: bool
    passkeys: int
    backup_codes_left: int

    @property
    def any(self) -> bool:
        """Whether a second factor (not counting backup codes) is enrolled."""
        return self.totp or self.passkeys > 0


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"forum-totp-seal",
               info=b"totp secrets").derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _unseal(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        # The secret key changed: the app's codes can no longer be checked; the member uses a
        # backup code or another factor, then enrols again.
        return None


def factors_of(user: User) -> Factors:
    """The account's second factors."""
    totp = db.session.scalar(select(TotpFactor.id).where(
        TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_not(None))) is not None
    passkeys = db.session.scalar(select(func.count(PasskeyCredential.id)).where(
        PasskeyCredential.user_id == user.id)) or 0
    left = db.session.scalar(select(func.count(BackupCode.id)).where(
        BackupCode.user_id == user.id, BackupCode.used_at.is_(None))) or 0
    return Factors(totp, passkeys, left)


def has_second_factor(user: User) -> bool:
    """Whether signing in to this account asks for a second factor."""
    return factors_of(user).any


# --- TOTP -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Enrolment:
    """What the member needs to add the account to an app: the secret, its URI and a QR code."""

    secret: str
    uri: str
    qr_svg: str


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def do_begin_totp(user: User) -> Enrolment:
    """Start (or restart) adding an authenticator app; it counts once a code is confirmed."""
    step_up.require(user)
    row = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    if row is not None and row.confirmed_at is not None:
        raise ValidationFailed(str(_l("An authenticator app is already set up. Remove it first "
                                      "to set up another.")))
    secret = pyotp.random_base32()
    if row is None:
        row = TotpFactor(user_id=user.id, secret_sealed=_seal(secret), created_at=clock.now())
        db.session.add(row)
    else:
        row.secret_sealed, row.created_at, row.last_step = _seal(secret), clock.now(), 0
    transaction.commit()
    return enrolment_for(user, secret)


def enrolment_for(user: User, secret: str) -> Enrolment:
    """The URI and a locally drawn QR code for a secret (the pseudonym names the account)."""
    uri = _totp(secret).provisioning_uri(name=user.pseudonym, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=False)
    return Enrolment(secret, uri, svg)


def enrol_known_secret(user: User, secret: str) -> None:
    """Add an app that already holds this secret, confirmed, with no backup codes (joins the
    caller's transaction). For the demo community, whose secrets are public like its
    passwords; members enrol through do_begin_totp and check_confirm_totp."""
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    db.session.add(TotpFactor(user_id=user.id, secret_sealed=_seal(secret),
                              created_at=clock.now(), confirmed_at=clock.now(), last_step=0))


def pending_enrolment(user: User) -> Enrolment | None:
    """The enrolment begun and not yet confirmed, to show again after a wrong code."""
    row = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    if row is None or row.confirmed_at is not None:
        return None
    secret = _unseal(row.secret_sealed)
    return enrolment_for(user, secret) if secret else None


def _matching_step(secret: str, code: str, after_step: int) -> int | None:
    """The time step a code belongs to (within the window), if later than after_step."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = _totp(secret)
    now_step = int(clock.now().timestamp()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if step > after_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def throttle_key(user: User) -> str:
    """The login_throttle key of the account's second-factor tries (codes and passkeys)."""
    return "2fa:" + hashlib.sha256(f"{user.id}".encode()).hexdigest()[:16]


def _wrong_code() -> ValidationFailed:
    return ValidationFailed({"code": [str(_l(
        "That code didn't work. Codes change every 30 seconds and each works once: wait for "
        "the next one and try again."))]})


def check_confirm_totp(user: User, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns new backup codes when it is the account's
    first factor (shown once), else None."""
    step_up.require(user)
    key = throttle_key(user)
    login_throttle.check(key)
    row = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    secret = _unseal(row.secret_sealed) if row is not None and row.confirmed_at is None else None
    step = _matching_step(secret, code, 0) if secret else None
    if step is None:
        login_throttle.record_failure(key)
        raise _wrong_code()
    login_throttle.record_success(key)
    first = not factors_of(user).any
    row.confirmed_at, row.last_step = clock.now(), step
    codes = new_backup_codes(user) if first or factors_of(user).backup_codes_left == 0 else None
    audit.record("account.second_factor_added", acting_user=user, target_type="user",
                 target_id=user.id, details={"factor": "totp",
                                             "step_up": staff_gate.step_up_method_of(user)})
    opened_by(user, "totp")
    transaction.commit()
    log.info("totp enrolled account_id=%s", user.id)
    return codes


def opened_by(user: User, method: str) -> None:
    """The acting sign-in now has a second factor: its staff roles unlock at once. Other
    browsers signed in with the password alone sign in again, with it: one of them may be
    whoever learnt the password, and a staff one would stay locked yet be counted on duty."""
    sign_in = getattr(user, "sign_in", None)
    if sign_in is not None and sign_in.second_factor is None:
        sign_in.second_factor = method
    user.locked_roles = frozenset()
    sign_ins.end_password_only(user, sign_in.id if sign_in is not None else None,
                               "factor_added")


def verify_totp(user: User, code: str) -> bool:
    """Check a code from the account's app, at most once per code (joins the caller's
    transaction: the caller commits the spent step with the sign-in it opens)."""
    row = db.session.scalar(select(TotpFactor).where(
        TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_not(None)))
    secret = _unseal(row.secret_sealed) if row is not None else None
    step = _matching_step(secret, code, row.last_step) if secret else None
    if step is None:
        return False
    row.last_step = step
    return True


# --- backup codes ---------------------------------------------------------------------------

def new_backup_codes(user: User) -> list[str]:
    """Ten fresh backup codes in place of the old ones (joins the caller's transaction)."""
    codes = ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
             for _ in range(BACKUP_CODE_COUNT)]
    db.session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    for code in codes:
        db.session.add(BackupCode(user_id=user.id, code_hash=hash_secret(_backup_key(code),
                                                                          "code")))
    return codes


def _backup_key(code: str) -> str:
    """A backup code as compared: case, spaces and dashes do not matter."""
    return "".join(code.lower().replace("-", " ").split())


def check_new_backup_codes(user: User) -> list[str]:
    """Replace the backup codes (the old ones stop working); audited."""
    step_up.require(user)
    if not factors_of(user).any:
        raise ValidationFailed(str(_l("Set up an authenticator app or a passkey first.")))
    codes = new_backup_codes(user)
    audit.record("account.backup_codes_renewed", acting_user=user, target_type="user",
                 target_id=user.id, details={"step_up": staff_gate.step_up_method_of(user)})
    transaction.commit()
    return codes


def verify_backup_code(user: User, code: str) -> bool:
    """Spend a backup code (joins the caller's transaction)."""
    normalized = _backup_key(code)
    unused = db.session.scalars(select(BackupCode).where(
        BackupCode.user_id == user.id, BackupCode.used_at.is_(None))).all()
    match = next((bc for bc in unused if verify_secret(bc.code_hash, normalized)), None)
    if match is None:
        return False
    match.used_at = clock.now()
    return True


# --- a second factor at sign-in or step-up --------------------------------------------------

def check_code(user: User, code: str) -> str:
    """Check a code typed at sign-in or step-up: an app's code or a backup code. Returns the
    method ("totp" or "backup"); raises ValidationFailed, or TooManyTries while the account must
    wait. The caller commits (the spent code with what it opens)."""
    key = throttle_key(user)
    login_throttle.check(key)
    cleaned = "".join(code.split())
    if cleaned.isdigit() and verify_totp(user, cleaned):
        login_throttle.record_success(key)
        return "totp"
    if not cleaned.isdigit() and verify_backup_code(user, code):
        login_throttle.record_success(key)
        log.info("backup code used account_id=%s", user.id)
        return "backup"
    login_throttle.record_failure(key)
    log.info("second factor refused account_id=%s", user.id)
    raise _wrong_code()


# --- removing -------------------------------------------------------------------------------

def _keeps_required_factor(user: User, factors_after: Factors) -> None:
    if staff_gate.second_factor_required(user) and not factors_after.any:
        raise ValidationFailed(str(_l(
            "Your role needs a second factor. Add another one before removing this one.")))


def check_remove_totp(user: User) -> None:
    """Remove the authenticator app; other sign-ins end (audited)."""
    step_up.require(user)
    now = factors_of(user)
    if not now.totp:
        # Nothing to remove: no audit row, and the other sign-ins stay.
        raise ValidationFailed(str(_l("No authenticator app is set up.")))
    _keeps_required_factor(user, Factors(False, now.passkeys, now.backup_codes_left))
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    _after_removal(user, "totp")


def _after_removal(user: User, factor: str) -> None:
    if not factors_of(user).any:
        db.session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    sign_in = getattr(user, "sign_in", None)
    sign_ins.end_others(user, sign_in.id if sign_in is not None else None, "factor_removed")
    audit.record("account.second_factor_removed", acting_user=user, target_type="user",
                 target_id=user.id, details={"factor": factor,
                                             "step_up": staff_gate.step_up_method_of(user)})
    transaction.commit()
    log.info("second factor removed account_id=%s factor=%s", user.id, factor)


def check_remove_passkey(user: User, passkey_id: int) -> None:
    """Remove one passkey; other sign-ins end (audited)."""
    step_up.require(user)
    row = db.session.get(PasskeyCredential, passkey_id)
    if row is None or row.user_id != user.id:
        raise ValidationFailed(str(_l("That passkey is not on your account.")))
    now = factors_of(user)
    _keeps_required_factor(user, Factors(now.totp, now.passkeys - 1, now.backup_codes_left))
    db.session.delete(row)
    _after_removal(user, "passkey")
