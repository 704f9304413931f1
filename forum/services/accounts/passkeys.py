"""Passkeys and security keys (WebAuthn) as a second factor.

A passkey is a key pair made by the member's phone, computer or security key; the forum keeps
only its public key and the number of times the authenticator says it was used. Adding one and
using one are each a challenge the forum makes (begin_*) and a signed answer it checks
(check_finish_registration, verify_authentication). The caller keeps the challenge between the
two steps (the web layer: in the signed session cookie, five minutes, once) and names the site:
`rp_id` is its host name and `origin` its scheme, host and port; a passkey works only on the
host name it was made for.

The authenticator is told a user handle that is not the account id or the pseudonym: an HMAC
of the id under a key derived from the app's secret key. The pseudonym is its name and display
name, so the member can tell their accounts apart in the phone's list. No attestation is asked
for: any authenticator the member chooses is accepted.

An answer signed by a passkey of another account is refused, and so is one whose sign count did
not go up (a copied authenticator: the log names the account id only). Wrong answers count per
account with the app's codes (two_factor.throttle_key).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...errors import ValidationFailed
from ...extensions import db
from ...models import PasskeyCredential, User
from ...text_input import is_encodable
from .. import audit, clock, transaction
from . import login_throttle, staff_gate, step_up, two_factor

log = logging.getLogger("forum.accounts")

NAME_MAX = 64
# How long the browser may wait for the member (a hint); the challenge lives as long.
TIMEOUT_MS = 5 * 60 * 1000
# What the authenticator's answer may be: the library's parse and check errors, and a CBOR or
# JSON body that is not what it claims to be.
_BAD_ANSWER = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


@dataclass(frozen=True)
class Registration:
    """A passkey just added, and the backup codes to show once when it was the first factor."""

    passkey: PasskeyCredential
    backup_codes: list[str] | None


def user_handle(user: User) -> bytes:
    """The account's opaque WebAuthn user handle (32 bytes, the same each time)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"forum-passkey-user",
               info=b"webauthn user handles").derive(current_app.config["SECRET_KEY"].encode())
    return hmac.new(key, f"user:{user.id}".encode(), hashlib.sha256).digest()


def passkeys_of(user: User) -> list[PasskeyCredential]:
    """The account's passkeys, oldest first."""
    return list(db.session.scalars(
        select(PasskeyCredential).where(PasskeyCredential.user_id == user.id)
        .order_by(PasskeyCredential.created_at, PasskeyCredential.id)))


def find_own(user: User, passkey_id: int) -> PasskeyCredential | None:
    """One of the account's passkeys by id; None when missing or another account's."""
    row = db.session.get(PasskeyCredential, passkey_id)
    return row if row is not None and row.user_id == user.id else None


def check_name(name: object) -> str:
    """The name the member gives a passkey ("My phone"), tidied; ValidationFailed if unusable."""
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise ValidationFailed({"name": [str(_l(
            "Give the passkey a name, such as “My phone”, so you can tell your passkeys "
            "apart."))]})
    if len(text) > NAME_MAX or not is_encodable(text) or any(
            unicodedata.category(ch) == "Cc" for ch in text):
        raise ValidationFailed({"name": [str(_l(
            "Use a name of up to %(num)d characters.", num=NAME_MAX))]})
    return text


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=row.credential_id) for row in passkeys_of(user)]


def begin_registration(user: User, rp_id: str, rp_name: str) -> tuple[str, bytes]:
    """Options for navigator.credentials.create() (JSON) and their challenge, to keep until
    the answer comes. The account's passkeys are excluded, so one key is not added twice.
    Asks for a recent proof first, so the member is not sent to confirm after touching a key."""
    step_up.require(user)
    options = generate_registration_options(
        rp_id=rp_id, rp_name=rp_name, user_id=user_handle(user), user_name=user.pseudonym,
        user_display_name=user.pseudonym, timeout=TIMEOUT_MS,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED),
    )
    return options_to_json(options), options.challenge


def _not_added() -> ValidationFailed:
    return ValidationFailed(str(_l(
        "The passkey could not be added. Try again, and use this site's own page for it.")))


def check_finish_registration(user: User, credential_json: str | dict, challenge: bytes,
                              rp_id: str, origin: str, name: object) -> Registration:
    """Check the authenticator's answer and add the passkey (audited, committed). When it is
    the account's first factor (or no backup codes are left) new backup codes come with it."""
    step_up.require(user)
    clean_name = check_name(name)
    if not isinstance(credential_json, str | dict):
        raise _not_added()
    try:
        verified = verify_registration_response(
            credential=credential_json, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin)
    except _BAD_ANSWER:
        log.info("passkey registration refused account_id=%s", user.id)
        raise _not_added() from None
    taken = db.session.scalar(select(PasskeyCredential.id).where(
        PasskeyCredential.credential_id == verified.credential_id))
    if taken is not None:
        raise ValidationFailed(str(_l("That passkey is already set up.")))
    before = two_factor.factors_of(user)
    row = PasskeyCredential(user_id=user.id, credential_id=verified.credential_id,
                            public_key=verified.credential_public_key,
                            sign_count=verified.sign_count, name=clean_name,
                            created_at=clock.now())
    db.session.add(row)
    codes = (two_factor.new_backup_codes(user)
             if not before.any or before.backup_codes_left == 0 else None)
    audit.record("account.second_factor_added", acting_user=user, target_type="user",
                 target_id=user.id, details={"factor": "passkey",
                                             "step_up": staff_gate.step_up_method_of(user)})
    two_factor.opened_by(user, "passkey")
    transaction.commit()
    log.info("passkey added account_id=%s", user.id)
    return Registration(row, codes)


def begin_authentication(user: User, rp_id: str) -> tuple[str, bytes]:
    """Options for navigator.credentials.get() naming the account's passkeys (JSON), and their
    challenge. ValidationFailed when the account has none."""
    allowed = _descriptors(user)
    if not allowed:
        raise ValidationFailed(str(_l("No passkey is set up on this account.")))
    options = generate_authentication_options(
        rp_id=rp_id, timeout=TIMEOUT_MS, allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options), options.challenge


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _checked(user: User, credential_json: str | dict, challenge: bytes, rp_id: str,
             origin: str) -> PasskeyCredential | None:
    """The account's passkey that signed this answer, its sign count moved on; else None."""
    try:
        credential = parse_authentication_credential_json(credential_json)
    except _BAD_ANSWER:
        return None
    row = db.session.scalar(select(PasskeyCredential).where(
        PasskeyCredential.credential_id == credential.raw_id))
    if row is None or row.user_id != user.id:
        log.info("passkey not on the account refused account_id=%s", user.id)
        return None
    try:
        # The count is compared below, once the signature is known to be the key's.
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=row.public_key,
            credential_current_sign_count=0)
    except _BAD_ANSWER:
        return None
    new_count = verified.new_sign_count
    if (new_count > 0 or row.sign_count > 0) and new_count <= row.sign_count:
        # A signature from the key with a count that did not go up: two copies of it exist.
        log.warning("passkey sign count did not go up, it may be cloned account_id=%s",
                    user.id)
        return None
    row.sign_count = new_count
    return row


def verify_authentication(user: User, credential_json: str | dict, challenge: bytes,
                          rp_id: str, origin: str) -> bool:
    """Whether one of the account's passkeys signed this challenge for this site (committed:
    its sign count and the hour it was last used). Raises TooManyTries while the account must
    wait after wrong answers."""
    key = two_factor.throttle_key(user)
    login_throttle.check(key)
    row = _checked(user, credential_json, challenge, rp_id, origin)
    if row is None:
        login_throttle.record_failure(key)
        log.info("passkey refused account_id=%s", user.id)
        return False
    login_throttle.record_success(key)
    row.last_used_at = _hour(clock.now())
    transaction.commit()
    return True
