"""Browsers that asked for Web Push, per account and device, and which kinds each account wants.

A subscription is stored with the sign-in that made it ("this device"), the name its owner
gave the device and the browser's encryption keys: no address, no user agent. It goes when
its owner removes it or logs out on that device, when the push service says it is gone (404
or 410, push_delivery.py), and with the account. Push is never required: nothing else in the
forum depends on a member having subscribed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from urllib3.util import parse_url

from ...errors import ValidationFailed
from ...extensions import db
from ...models import PushPreferences, PushSubscription, User
from .. import clock, transaction

log = logging.getLogger("forum.push")

ENDPOINT_MAX = 1024
NAME_MAX = 64
# Enough for every device a person owns; more is a script, not a member.
MAX_PER_ACCOUNT = 20
# The browsers' push services (Chrome and most others, Firefox, Safari, Edge). A member names
# the URL the forum will POST to, so only these hosts are accepted (FORUM_PUSH_SERVICE_HOSTS
# replaces the list; a host matches itself and its subdomains).
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)
LOOPBACK_NAMES = ("localhost",)
# The characters RFC 3986 allows in a URI (a percent sign only before two hex digits). Anything
# else (a backslash above all) is read one way by urlsplit and another by the HTTP client, which
# would then connect to a host the allowlist never saw.
URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
# A push service's host: DNS labels only (no IP literal, no empty label).
DNS_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")

# The switches of push_preferences, in the order the settings page shows them.
SWITCHES = ("support_requests", "urgent_items", "meeting_reminders", "thread_replies")


def _invalid(field: str, message: Any) -> ValidationFailed:
    return ValidationFailed({field: [str(message)]})


def _host_allowed(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(endpoint: str) -> str | None:
    """The endpoint's host when urlsplit (what the allowlist checks) and urllib3 (what
    requests connects to) agree on it; None when they do not or the URL is malformed."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - a malformed port raises ValueError
        connects_to = parse_url(endpoint).host
    except ValueError:  # urllib3's LocationParseError is a ValueError too
        return None
    host = (parts.hostname or "").lower()
    if not host or (connects_to or "").lower().strip("[]") != host:
        return None
    if parts.username is not None or parts.password is not None or parts.fragment:
        return None
    return host


def endpoint_allowed(endpoint: Any) -> bool:
    """Whether the forum may POST to this endpoint now: https to a known push service (http to
    this machine only when PUSH_ALLOW_INSECURE_ENDPOINTS, for a local push service in tests).
    Checked when a browser subscribes and again before each send (the list may have changed)."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        return False
    if not URI_CHARACTERS.fullmatch(endpoint):
        return False
    host = _host_of(endpoint)
    if host is None:
        return False
    scheme = urlsplit(endpoint).scheme
    config = current_app.config
    if config.get("PUSH_ALLOW_INSECURE_ENDPOINTS") and scheme in ("http", "https") \
            and _is_loopback(host):
        return True
    hosts = tuple(config.get("PUSH_SERVICE_HOSTS") or PUSH_SERVICE_HOSTS)
    return scheme == "https" and DNS_NAME.fullmatch(host) is not None \
        and _host_allowed(host, hosts)


def clean_endpoint(endpoint: Any) -> str:
    """The endpoint if the forum may POST to it (endpoint_allowed); else refused."""
    if not endpoint_allowed(endpoint):
        raise _invalid("endpoint", _l("This browser's push address can't be used."))
    return endpoint


def _b64(value: Any, length: int, field: str) -> str:
    bad = _invalid(field, _l("This browser's push keys can't be used."))
    if not isinstance(value, str) or not value or len(value) > 2 * length + 8:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    if len(raw) != length:
        raise bad
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def clean_keys(keys: Any) -> tuple[str, str]:
    """(p256dh, auth): a P-256 public point (65 bytes) and a 16-byte auth secret, base64url."""
    if not isinstance(keys, dict):
        raise _invalid("keys", _l("This browser's push keys can't be used."))
    p256dh = _b64(keys.get("p256dh"), 65, "keys")
    auth = _b64(keys.get("auth"), 16, "keys")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4)))
    except ValueError:
        raise _invalid("keys", _l("This browser's push keys can't be used.")) from None
    return p256dh, auth


def clean_name(name: Any) -> str | None:
    """A device name as the member typed it, without control characters; None when empty."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise _invalid("device_name", _l("The device name must be text."))
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cs"))
    return " ".join(kept.split())[:NAME_MAX] or None


def _defaults() -> dict[str, bool]:
    return {"support_requests": True, "urgent_items": True, "meeting_reminders": True,
            "thread_replies": False}


def preferences(user: User) -> PushPreferences:
    """The account's switches (the defaults, unsaved, before its first subscription)."""
    row = db.session.get(PushPreferences, user.id)
    return row if row is not None else PushPreferences(user_id=user.id, **_defaults())


def _ensure_preferences(user: User) -> None:
    if db.session.get(PushPreferences, user.id) is None:
        db.session.add(PushPreferences(user_id=user.id, updated_at=clock.now(), **_defaults()))


def set_preferences(user: User, switches: dict[str, bool]) -> PushPreferences:
    """Turn kinds of push on or off (committed); unknown names are ignored."""
    _ensure_preferences(user)
    db.session.flush()
    row = db.session.get(PushPreferences, user.id)
    for name in SWITCHES:
        if name in switches:
            setattr(row, name, bool(switches[name]))
    row.updated_at = clock.now()
    transaction.commit()
    return row


def do_subscribe(user: User, *, endpoint: Any, keys: Any, device_name: Any = None,
                 sign_in_id: int | None = None) -> PushSubscription:
    """Store this browser's subscription for the account (committed). The same endpoint again
    updates its keys and its sign-in; one another account made on this browser becomes
    this account's, since the browser now signs in as it."""
    endpoint = clean_endpoint(endpoint)
    p256dh, auth = clean_keys(keys)
    name = clean_name(device_name)
    for _attempt in range(2):
        row = db.session.scalar(select(PushSubscription).where(
            PushSubscription.endpoint == endpoint))
        if row is not None and row.user_id != user.id:
            db.session.delete(row)
            db.session.flush()
            row = None
        if row is None:
            count = db.session.scalar(select(func.count(PushSubscription.id)).where(
                PushSubscription.user_id == user.id)) or 0
            if count >= MAX_PER_ACCOUNT:
                raise _invalid("endpoint", _l(
                    "You have notifications on %(num)d devices already. Remove one first.",
                    num=MAX_PER_ACCOUNT))
            row = PushSubscription(user_id=user.id, endpoint=endpoint, created_at=clock.now())
            db.session.add(row)
        row.p256dh, row.auth = p256dh, auth
        row.sign_in_id = sign_in_id
        if name is not None:
            row.device_name = name
        _ensure_preferences(user)
        try:
            transaction.commit()
        except IntegrityError:  # the same browser subscribed twice at once: take the winner's
            db.session.rollback()
            continue
        log.info("push subscribed account_id=%s subscription_id=%s", user.id, row.id)
        return row
    raise _invalid("endpoint", _l("This browser's push address can't be used."))


def do_relink(user: User, *, endpoint: Any, keys: Any,
              sign_in_id: int | None) -> tuple[PushSubscription | None, bool]:
    """The settings page shows this browser's subscription again: when the account already has
    it, note this sign-in as its device and take fresh keys (committed). Never makes one: a
    browser that kept a subscription past a log-out is not subscribed again without a click.
    Returns (the row or None, whether its sign-in changed)."""
    if not isinstance(endpoint, str):
        return None, False
    row = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id))
    if row is None:
        return None, False
    row.p256dh, row.auth = clean_keys(keys)
    changed = row.sign_in_id != sign_in_id
    row.sign_in_id = sign_in_id
    transaction.commit()
    return row, changed


def find(user: User, subscription_id: int) -> PushSubscription | None:
    """The account's own subscription with this id (None for another's)."""
    row = db.session.get(PushSubscription, subscription_id)
    return row if row is not None and row.user_id == user.id else None


def rename(user: User, subscription_id: int, name: Any) -> bool:
    """Name a device (committed); False when the subscription is not the account's."""
    row = find(user, subscription_id)
    if row is None:
        return False
    row.device_name = clean_name(name)
    transaction.commit()
    return True


def remove(user: User, subscription_id: int) -> bool:
    """Stop pushes to one device (committed); False when it is not the account's."""
    row = find(user, subscription_id)
    if row is None:
        return False
    db.session.delete(row)
    transaction.commit()
    log.info("push unsubscribed account_id=%s subscription_id=%s", user.id, subscription_id)
    return True


def remove_for_sign_in(sign_in_id: int | None) -> int:
    """Forget the subscriptions this sign-in made: logging out on a device ends its pushes
    (joins the caller's transaction)."""
    if sign_in_id is None:
        return 0
    return db.session.execute(delete(PushSubscription).where(
        PushSubscription.sign_in_id == sign_in_id)).rowcount or 0


def remove_endpoint(user: User, endpoint: Any) -> bool:
    """The browser unsubscribes itself (its owner logs out there): drop its row if it is the
    account's (committed); False when the account has none with that endpoint."""
    if not isinstance(endpoint, str) or not endpoint:
        return False
    row = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id))
    if row is None:
        return False
    subscription_id = row.id
    db.session.delete(row)
    transaction.commit()
    log.info("push unsubscribed account_id=%s subscription_id=%s", user.id, subscription_id)
    return True


@dataclass(frozen=True)
class Device:
    """A subscription as its owner sees it."""

    id: int
    name: str | None
    created_at: Any
    last_ok_at: Any
    this_device: bool


def list_for(user: User, sign_in_id: int | None) -> list[Device]:
    """The account's subscriptions, this device's first, then newest first."""
    rows = db.session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == user.id).order_by(
        PushSubscription.created_at.desc(), PushSubscription.id.desc()))
    devices = [Device(r.id, r.device_name, r.created_at, r.last_ok_at,
                      sign_in_id is not None and r.sign_in_id == sign_in_id) for r in rows]
    return sorted(devices, key=lambda d: not d.this_device)


def member_export(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == user.id).order_by(PushSubscription.id))
    return [{"device_name": r.device_name, "created_at": r.created_at.isoformat(),
             "last_ok_at": r.last_ok_at.isoformat() if r.last_ok_at else None} for r in rows]


def member_export_preferences(user: User) -> list[dict[str, Any]]:
    row = db.session.get(PushPreferences, user.id)
    return [] if row is None else [{name: getattr(row, name) for name in SWITCHES}]


def member_erase(user: User, keep: bool) -> None:
    """Subscriptions and switches are settings, not content: they go either way (their
    outbox rows with them)."""
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))
    db.session.execute(delete(PushPreferences).where(PushPreferences.user_id == user.id))
