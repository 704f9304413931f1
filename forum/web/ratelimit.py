"""Rate-limit keys that never store a client's address or a pseudonym.

The limiter counts in memory (or Redis with expiry), keyed by an HMAC under a key that rotates
daily, so a counter cannot be turned back into an address or a name and nothing reaches the
database.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app, request

from ..services.pseudonyms import pseudonym_key


def _opaque(value: str) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    secret = f"{current_app.config['SECRET_KEY']}:{day}".encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:24]


def client_bucket() -> str:
    """An opaque, daily-rotating token for the requesting client."""
    return "c:" + _opaque(request.remote_addr or "unknown")


def pseudonym_bucket() -> str:
    """The account a log-in or recovery form names, so one account can't be guessed at."""
    return "p:" + _opaque(pseudonym_key(request.form.get("pseudonym", "").strip())[:64])
