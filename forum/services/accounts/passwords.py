"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 256

_DEFAULT = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Recovery codes are long random strings; a lighter cost is enough and keeps reset fast.
_CODES = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Tests hash hundreds of passwords; the algorithm is the same, only the cost is lower.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher(kind: str = "password") -> PasswordHasher:
    if current_app and current_app.config.get("ARGON2_FAST"):
        return _FAST
    return _CODES if kind == "code" else _DEFAULT


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_secret(secret: str, kind: str = "password") -> str:
    """Hash a password or recovery code with argon2id."""
    return _hasher(kind).hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    """True when secret matches the stored argon2 hash."""
    try:
        return PasswordHasher().verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, pseudonym: str = "") -> list[str]:
    """Reasons the password is refused, empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(str(_l("Use at least %(n)d characters.", n=MIN_LENGTH)))
    elif len(password) > MAX_LENGTH:
        problems.append(str(_l("Use at most %(n)d characters.", n=MAX_LENGTH)))
    lowered = password.lower()
    if lowered in _common_passwords() or (pseudonym and lowered == pseudonym.lower()):
        problems.append(
            str(_l("That password is too common and easy to guess. Try a few unrelated words."))
        )
    return problems


@cache
def dummy_hash() -> str:
    """A hash to verify against when no account matches, so timing doesn't reveal that."""
    return _hasher().hash("not-a-real-password-used-for-timing")
