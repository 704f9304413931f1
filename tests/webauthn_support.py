"""A software authenticator for tests: an EC P-256 key pair made in the test, answering
WebAuthn registration and sign-in challenges as a phone or security key would (attestation
"none", flags UP/UV, a counter), so the forum's checks run on real signatures."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40
AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    """Base64url without padding, as WebAuthn's JSON carries bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    """The bytes of a base64url string, padded or not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def challenge_of(options: str | dict) -> bytes:
    """The challenge of registration or sign-in options (JSON text or a dict)."""
    data = json.loads(options) if isinstance(options, str) else options
    return from_b64url(data["challenge"])


class SoftAuthenticator:
    """One credential for one site; `counter` goes up with each signature it makes."""

    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost",
                 counter: int = 0) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.counter = counter
        self.credential_id = os.urandom(32)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.user_handle: bytes | None = None

    def cose_key(self) -> bytes:
        """The public key as a COSE EC2 key (ES256)."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: bytes, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": b64url(challenge),
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def _auth_data(self, rp_id: str | None, flags: int, counter: int, extra: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + counter.to_bytes(4, "big") + extra

    def register(self, options_or_challenge: str | dict | bytes, *, origin: str | None = None,
                 rp_id: str | None = None) -> dict:
        """The JSON navigator.credentials.create() gives the page, for these options."""
        challenge = (options_or_challenge if isinstance(options_or_challenge, bytes)
                     else challenge_of(options_or_challenge))
        if not isinstance(options_or_challenge, bytes):
            data = (json.loads(options_or_challenge) if isinstance(options_or_challenge, str)
                    else options_or_challenge)
            handle = data.get("user", {}).get("id")
            self.user_handle = from_b64url(handle) if handle else None
        attested = (AAGUID + len(self.credential_id).to_bytes(2, "big") + self.credential_id
                    + self.cose_key())
        auth_data = self._auth_data(rp_id, FLAG_UP | FLAG_UV | FLAG_AT, self.counter, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", challenge, origin)
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
            "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data),
                         "attestationObject": b64url(attestation), "transports": ["internal"]},
        }

    def sign_in(self, options_or_challenge: str | dict | bytes, *, origin: str | None = None,
                rp_id: str | None = None, counter: int | None = None) -> dict:
        """The JSON navigator.credentials.get() gives the page: the counter goes up by one
        (or is `counter`), and the key signs authenticatorData || sha256(clientDataJSON)."""
        challenge = (options_or_challenge if isinstance(options_or_challenge, bytes)
                     else challenge_of(options_or_challenge))
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = self._auth_data(rp_id, FLAG_UP | FLAG_UV, self.counter)
        client_data = self._client_data("webauthn.get", challenge, origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
            "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data),
                         "authenticatorData": b64url(auth_data), "signature": b64url(signature),
                         "userHandle": b64url(self.user_handle) if self.user_handle else None},
        }
