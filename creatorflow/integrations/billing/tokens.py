"""Checking entitlement tokens offline: Ed25519 over ``cfe1.<payload>``, keys chosen by ``kid``.

Format (``docs/billing-api.md``): ``cfe1.<payload>.<signature>``, ``payload`` the base64url
(no padding) of the claims as canonical JSON, ``signature`` the base64url Ed25519 signature of
the ASCII bytes ``cfe1.<payload>``. The claims name the signing key (``kid``), so the service can
rotate keys while clients hold the old and the new public key.

**Which keys are trusted.** :data:`EMBEDDED_KEYS` is what ships: the public keys of the hosted
production service. The ``billing.trusted_keys`` setting adds keys (``kid:key`` entries,
comma-separated; ``key`` alone takes the service's ``kid`` rule) for a staging service, the
sandbox and tests. Enforcement on this computer is advisory either way (a person controls this
machine); the authoritative usage count is the service's, which also refuses checkouts and
counts usage itself.

Here: parsing and signature checks only. What the claims mean at a given moment is
:mod:`creatorflow.domain.entitlement`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creatorflow.errors import ConfigError, CreatorflowError

__all__ = [
    "EMBEDDED_KEYS",
    "PREFIX",
    "TokenRejected",
    "key_id",
    "parse_trusted_keys",
    "trusted_keys",
    "verify_token",
]

PREFIX = "cfe1"

#: The production billing service's entitlement-signing public keys: ``kid`` → raw 32-byte
#: Ed25519 public key, base64url without padding, as `creatorflow-billing keys public --json`
#: prints them. Keep the previous key here for one release after a rotation.
EMBEDDED_KEYS: Mapping[str, str] = {}

_MAX_TOKEN = 8192


class TokenRejected(CreatorflowError):
    """An entitlement token that is malformed, unsigned by a trusted key, or not for us."""

    title = "Entitlement refused"


def _b64url(text: str) -> bytes:
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def key_id(raw_key: bytes) -> str:
    """The billing service's ``kid`` of a raw public key: 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_key).hexdigest()[:16]


def _public_key(text: str) -> tuple[bytes, Ed25519PublicKey]:
    raw = _b64url(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw, Ed25519PublicKey.from_public_bytes(raw)


def parse_trusted_keys(
    text: str, *, setting: str = "billing.trusted_keys"
) -> dict[str, Ed25519PublicKey]:
    """Read ``kid:key`` entries (comma- or space-separated); a bare ``key`` gets its own kid.

    Raises:
        ConfigError: an entry is not a base64 32-byte Ed25519 public key.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    for number, entry in enumerate(text.replace(",", " ").split(), start=1):
        kid, sep, encoded = entry.partition(":")
        if not sep:
            kid, encoded = "", entry
        try:
            raw, key = _public_key(encoded)
        except ValueError as exc:
            raise ConfigError(
                f"Entry {number} of {setting} is not a public key ({exc}).",
                hint="Each entry is KID:KEY, as `creatorflow-billing keys public --json` prints "
                "them (kid, public_key), separated by commas.",
            ) from None
        keys[kid or key_id(raw)] = key
    return keys


def trusted_keys(extra: str = "") -> dict[str, Ed25519PublicKey]:
    """The embedded keys plus those of the ``billing.trusted_keys`` setting (``extra``).

    Raises:
        ConfigError: a key in ``extra`` is malformed.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    for kid, encoded in EMBEDDED_KEYS.items():
        keys[kid] = _public_key(encoded)[1]
    keys.update(parse_trusted_keys(extra))
    return keys


def _reject(reason: str) -> TokenRejected:
    return TokenRejected(
        f"The billing service's entitlement was refused: {reason}.",
        hint="Run `creatorflow billing status` to fetch a fresh one; if this persists, update "
        "CreatorFlow (`pip install -U creatorflow`).",
    )


def verify_token(
    token: str, keys: Mapping[str, Ed25519PublicKey], *, audience: str | None = None
) -> dict[str, Any]:
    """Check the signature of ``token`` with the key its ``kid`` names; return its claims.

    ``audience``, when given, must equal the ``aud`` claim (this install's id). Times are not
    judged here.

    Raises:
        TokenRejected: malformed, unknown ``kid``, bad signature, or another install's token.
    """
    if len(token) > _MAX_TOKEN:
        raise _reject("the token is too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise _reject("it is not a cfe1 token")
    try:
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise _reject("it is not readable") from None
    if not isinstance(claims, dict):
        raise _reject("its payload is not a JSON object")
    kid = claims.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        shown = kid if isinstance(kid, str) and len(kid) <= 64 else "?"
        error = _reject(f"it is signed with an unknown key (kid {shown})")
        error.hint = (
            "This CreatorFlow does not know the billing service's signing key: update "
            "CreatorFlow, or (staging and sandbox only) add the key to billing.trusted_keys."
        )
        raise error
    try:
        keys[kid].verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except (InvalidSignature, UnicodeEncodeError):
        raise _reject("its signature does not match") from None
    if audience is not None and claims.get("aud") != audience:
        raise _reject("it was issued to another install")
    return claims
