"""The forum's VAPID key pair (RFC 8292): push services accept a push for a subscription only
when it is signed with the key the browser subscribed with.

The private key is FORUM_VAPID_PRIVATE_KEY (PEM) when set, else one generated once into the
instance folder beside the secret key (vapid_private_key.pem, readable by the owner only).
Changing it invalidates every browser's subscription (docs/deploy.md). FORUM_VAPID_SUBJECT
names the operator to the push services: a mailto: address or an https: URL; without it, the
site's https FORUM_BASE_URL, else a placeholder fit for development only.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid02

log = logging.getLogger("forum.push")

KEY_FILE = "vapid_private_key.pem"
DEVELOPMENT_SUBJECT = "mailto:push@localhost"
_EXTENSION = "forum_vapid"


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def generate_pem() -> str:
    """A new P-256 private key in PEM (what FORUM_VAPID_PRIVATE_KEY holds)."""
    return _pem(ec.generate_private_key(ec.SECP256R1())).decode()


def load_or_create(folder: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in folder, made there on first use (mode 0600). Two processes starting at
    once agree, and neither reads half a file: each writes its key to a file of its own beside
    it and links that into place, which fails when another's is there already; the loser then
    reads the winner's complete file."""
    path = Path(folder) / KEY_FILE
    if not path.exists():
        fd, temporary = tempfile.mkstemp(prefix=".vapid-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:  # mkstemp makes it 0600
                handle.write(_pem(ec.generate_private_key(ec.SECP256R1())))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            else:
                log.info("generated a new VAPID key in the instance folder")
        finally:
            os.unlink(temporary)
    return _parse(path.read_bytes())


def _parse(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise RuntimeError("FORUM_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key in PEM.")
    return key


def private_key(app: Flask | None = None) -> ec.EllipticCurvePrivateKey:
    """The app's VAPID private key (read or made once per process)."""
    app = app or current_app._get_current_object()
    key = app.extensions.get(_EXTENSION)
    if key is None:
        configured = app.config.get("VAPID_PRIVATE_KEY")
        if configured:
            key = _parse(str(configured).replace("\\n", "\n").encode())
        else:
            key = load_or_create(Path(app.instance_path))
        app.extensions[_EXTENSION] = key
    return key


def vapid(app: Flask | None = None) -> Vapid02:
    """A py_vapid signer over the key."""
    return Vapid02(private_key(app))


def public_key_b64(app: Flask | None = None) -> str:
    """The public key as the browser's applicationServerKey: the uncompressed point, base64url
    without padding."""
    raw = private_key(app).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def warn_if_placeholder_subject(app: Flask) -> bool:
    """At a serving process's start: say in the log when pushes would go out with the
    development subject, which Apple's push service refuses (every push to Safari and iPhones
    would fail). The process still starts: every other push service accepts it. True if so."""
    if app.config.get("TESTING") or subject(app) != DEVELOPMENT_SUBJECT:
        return False
    log.warning("push subject is the development placeholder %s: Apple's push service refuses "
                "it; set FORUM_VAPID_SUBJECT (docs/deploy.md)", DEVELOPMENT_SUBJECT)
    return True


def subject(app: Flask | None = None) -> str:
    """Who runs this forum, for the push services (the JWT's sub claim)."""
    app = app or current_app._get_current_object()
    configured = app.config.get("VAPID_SUBJECT")
    if configured:
        if not str(configured).startswith(("mailto:", "https://")):
            raise RuntimeError("FORUM_VAPID_SUBJECT must be a mailto: address or an https: URL.")
        return str(configured)
    base = app.config.get("BASE_URL") or ""
    return base if base.startswith("https://") else DEVELOPMENT_SUBJECT
