"""Entitlement tokens: Ed25519 over canonical JSON (`docs/billing-api.md`, "Entitlement").

A token is `cfe1.<payload>.<signature>`: `payload` is base64url (no padding) of the claims as
canonical JSON (sorted keys, no spaces) and `signature` is base64url of the Ed25519 signature
over the ASCII bytes `cfe1.<payload>`. The claims carry `kid`, the first 16 hex digits of the
SHA-256 of the raw 32-byte public key, so a client can hold several keys during a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "cfe1"
ISSUER = "creatorflow-billing"


class TokenError(ValueError):
    """A token that is malformed, signed by an unknown key, or whose signature is wrong."""


class KeyFileError(ValueError):
    """The signing key file is missing, unreadable or not an Ed25519 private key."""


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding.

    Raises:
        TokenError: not base64url.
    """
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("not base64url") from exc


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The `kid` of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def public_key_from_raw(data: bytes | str) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes, or their base64url text."""
    raw = b64url_decode(data) if isinstance(data, str) else data
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class SigningKey:
    """The service's signing key with its public half and `kid`."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, which the local client embeds."""
        return self.private_key.public_key()

    @property
    def kid(self) -> str:
        """The key id written into every token this key signs."""
        return key_id(self.public_key)

    def public_key_b64(self) -> str:
        """The raw public key as base64url: the form the local client embeds."""
        return b64url(raw_public_key(self.public_key))

    def public_key_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def private_key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (write it 0600, never print it)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        """Load a PEM private key.

        Raises:
            KeyFileError: not an unencrypted Ed25519 private key.
        """
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError("not an unencrypted PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError("the key is not an Ed25519 key")
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """Load the PEM private key at `path`.

        Raises:
            KeyFileError: the file cannot be read or holds no Ed25519 private key.
        """
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            return cls.from_pem(data)
        except KeyFileError as exc:
            raise KeyFileError(f"{path}: {exc}") from None

    def save(self, path: Path) -> None:
        """Write the private key to a new file at `path`, readable by its owner only.

        Raises:
            FileExistsError: `path` exists (a key is never overwritten).
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.private_key_pem())


def canonical_json(claims: Mapping[str, Any]) -> bytes:
    """Claims as canonical JSON: sorted keys, no spaces, ASCII."""
    return json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(claims: Mapping[str, Any], key: SigningKey) -> str:
    """Sign `claims` (their `kid` is set to the key's) into a `cfe1.` token."""
    body = dict(claims)
    body["kid"] = key.kid
    signing_input = f"{PREFIX}.{b64url(canonical_json(body))}"
    signature = key.private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def verify(
    token: str,
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    audience: str | None = None,
) -> dict[str, Any]:
    """Check a token's signature with the key its `kid` names and return its claims.

    Time claims are left to the caller (the client applies its grace and anti-rollback rules).

    Raises:
        TokenError: malformed, unknown `kid`, bad signature, or `aud` other than `audience`.
    """
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenError("not a cfe1 token")
    payload = b64url_decode(parts[1])
    try:
        claims = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenError("the payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise TokenError("the payload is not a JSON object")
    kid = claims.get("kid")
    if not isinstance(kid, str) or kid not in public_keys:
        raise TokenError("unknown kid")
    try:
        public_keys[kid].verify(b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
    except (InvalidSignature, UnicodeEncodeError) as exc:
        raise TokenError("bad signature") from exc
    if audience is not None and claims.get("aud") != audience:
        raise TokenError("the token is for another install")
    return claims
