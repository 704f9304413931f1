"""Rate-limit keys that never store a client's address or a pseudonym.

The limiter counts in memory (or Redis with expiry), keyed by an HMAC under a key that rotates
daily, so a counter cannot be turned back into an address or a name and nothing reaches the
database. Behind a reverse proxy the address is the client's only when FORUM_TRUSTED_PROXIES
says how many proxies set X-Forwarded-For (ProxyFix, extensions_setup.py); otherwise every
member would share the proxy's one bucket.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app, request

from ..services.accounts.pseudonyms import pseudonym_key


def _opaque(value: str) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    secret = f"{current_app.config['SECRET_KEY']}:{day}".encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:24]


def client_bucket() -> str:
    """An opaque, daily-rotating token for the requesting client."""
    return "c:" + _opaque(request.remote_addr or "unknown")


def pair_bucket(kind: str) -> str:
    """This client and the pseudonym its form names, for slowing guesses at one account
    (services/accounts/login_throttle.py) without refusing the owner on another connection."""
    name = pseudonym_key(request.form.get("pseudonym", "").strip())[:64]
    return f"{kind}:" + _opaque(f"{request.remote_addr or 'unknown'}\x00{name}")
