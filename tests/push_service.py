"""A local push service for the Web Push tests: an HTTP server on 127.0.0.1 (one thread) that
plays the browser vendor's part (RFC 8030).

It records every push, checks its VAPID signature (RFC 8292: `Authorization: vapid t=<JWT>,
k=<key>`, an ES256 JWT signed by k, aud the endpoint's origin, exp in the future and within a
day, sub present) and decrypts its aes128gcm body (RFC 8188/8291) with the browser's private
key and auth secret (http_ece). Each endpoint answers what the test scripted (201 by default,
a body with it when asked, a redirect to another endpoint for a 3xx), and may be held until
another endpoint's push has arrived. Tests wait on it with a condition, never a sleep.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.conftest import VAPID_PEM

# The longest a held endpoint waits (only a failing test waits that long).
HOLD_S = 5.0


def b64url(raw: bytes) -> str:
    """base64url without padding, as Web Push writes it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """The bytes of base64url text, padded or not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser keeps for one subscription: its ECDH key pair and auth secret."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def keys(self) -> dict[str, str]:
        """The `keys` of PushSubscription.toJSON()."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}


@dataclass
class Received:
    """One push as the service saw it."""

    name: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float  # time.monotonic() on arrival
    claims: dict | None = None
    vapid_error: str | None = None
    payload: dict | None = None
    decrypt_error: str | None = None

    @property
    def ok(self) -> bool:
        """Signed correctly and decrypted."""
        return self.vapid_error is None and self.decrypt_error is None


class PushService:
    """The server, its browsers, what it received and what it answers."""

    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.received: list[Received] = []
        self.answers: dict[str, list[tuple[int, bytes]]] = {}
        self.default_status = 201
        self.holds: dict[str, str] = {}
        self._lock = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                service._handle(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> PushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- set-up ---------------------------------------------------------------------------

    def browser(self, name: str) -> Browser:
        """A new browser with its own endpoint on this service."""
        browser = Browser(name, f"{self.origin}/push/{name}")
        self.browsers[name] = browser
        return browser

    def answer(self, name: str, *statuses: int, body: bytes = b"") -> None:
        """The next answers for this endpoint, in order (then the default), each with body."""
        with self._lock:
            self.answers.setdefault(name, []).extend((status, body) for status in statuses)

    def hold(self, name: str, until: str) -> None:
        """Answer this endpoint's pushes only once a push for `until` has arrived (a push
        service slow to answer), or after HOLD_S."""
        with self._lock:
            self.holds[name] = until

    # --- what arrived ---------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until `count` pushes have arrived (or the timeout passes); all received."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def to(self, name: str) -> list[Received]:
        """The pushes received for one browser."""
        with self._lock:
            return [r for r in self.received if r.name == name]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    # --- the handler ----------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        name = request.path.rsplit("/", 1)[-1]
        with self._lock:
            queued = self.answers.get(name)
            status, answer = queued.pop(0) if queued else (self.default_status, b"")
            until = self.holds.get(name)
            if until is not None:
                self._lock.wait_for(lambda: any(r.name == until for r in self.received), HOLD_S)
        record = Received(name, {k.lower(): v for k, v in request.headers.items()}, body,
                          status, arrived)
        browser = self.browsers.get(name)
        self._verify(record)
        self._decrypt(record, browser)
        # Recorded before answering: once the sender has its answer, the test sees the push.
        with self._lock:
            self.received.append(record)
            self._lock.notify_all()
        request.send_response(status)
        if 300 <= status < 400:
            request.send_header("Location", f"{self.origin}/push/redirected")
        request.send_header("Content-Length", str(len(answer)))
        request.end_headers()
        request.wfile.write(answer)

    def _verify(self, record: Received) -> None:
        auth = record.headers.get("authorization", "")
        try:
            scheme, _, params = auth.partition(" ")
            assert scheme.lower() == "vapid", "not the vapid scheme"
            parts = dict(p.strip().split("=", 1) for p in params.split(","))
            token, key = parts["t"], parts["k"]
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(unb64url(header_b64))
            assert header.get("alg") == "ES256", "not ES256"
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            raw = unb64url(signature_b64)
            assert len(raw) == 64, "signature length"
            signature = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                                   int.from_bytes(raw[32:], "big"))
            public.verify(signature, f"{header_b64}.{claims_b64}".encode(),
                          ec.ECDSA(hashes.SHA256()))
            claims = json.loads(unb64url(claims_b64))
            assert claims.get("aud") == self.origin, f"aud {claims.get('aud')!r}"
            now = time.time()
            assert now < int(claims.get("exp", 0)) <= now + 86400, "exp"
            assert claims.get("sub"), "no sub"
            record.claims = claims
            record.headers["vapid-key"] = key
        except (AssertionError, KeyError, ValueError, InvalidSignature) as exc:
            record.vapid_error = f"{type(exc).__name__}: {exc}"

    def _decrypt(self, record: Received, browser: Browser | None) -> None:
        if browser is None:
            record.decrypt_error = "unknown endpoint"
            return
        if record.headers.get("content-encoding") != "aes128gcm":
            record.decrypt_error = "not aes128gcm"
            return
        try:
            plain = http_ece.decrypt(record.body, private_key=browser.private_key,
                                     auth_secret=browser.auth_secret, version="aes128gcm")
            record.payload = json.loads(plain)
        except Exception as exc:  # any failure is the test's finding, not the server's
            record.decrypt_error = f"{type(exc).__name__}: {exc}"


@pytest.fixture
def push_service():
    """A started local push service, stopped after the test."""
    service = PushService().start()
    yield service
    service.stop()


def push_config(app_config: dict) -> dict:
    """The app settings the push tests need: pushes to this machine over plain HTTP (the local
    push service), signed with the run's VAPID key (tests/conftest.py)."""
    return dict(app_config, VAPID_PRIVATE_KEY=VAPID_PEM, PUSH_ALLOW_INSECURE_ENDPOINTS=True)
