"""Entitlement signatures checked offline: valid, tampered, unknown kid, wrong audience, and the
trusted-keys setting.

Tokens are signed here from the contract's own words (``docs/billing-api.md``), not with the
billing service's code, so the client is checked against an independent signer.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creatorflow.errors import ConfigError
from creatorflow.integrations.billing import tokens
from creatorflow.integrations.billing.tokens import (
    TokenRejected,
    key_id,
    parse_trusted_keys,
    trusted_keys,
    verify_token,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(claims: dict[str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    body = {**claims, "kid": kid}
    payload = _b64(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    signature = key.sign(f"cfe1.{payload}".encode("ascii"))
    return f"cfe1.{payload}.{_b64(signature)}"


KEY = Ed25519PrivateKey.generate()
KID = hashlib.sha256(_raw(KEY)).hexdigest()[:16]
CLAIMS = {"iss": "creatorflow-billing", "aud": "inst_1", "sub": "acct_1", "plan": "growth"}


def test_a_valid_token_verifies_and_returns_its_claims() -> None:
    token = sign(CLAIMS, KEY, KID)
    claims = verify_token(token, {KID: KEY.public_key()}, audience="inst_1")
    assert claims["plan"] == "growth"
    assert claims["kid"] == KID


def test_a_tampered_payload_is_refused() -> None:
    token = sign(CLAIMS, KEY, KID)
    prefix, payload, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["plan"] = "unlimited"
    bad = f"{prefix}.{_b64(json.dumps(forged).encode())}.{signature}"
    with pytest.raises(TokenRejected, match="signature"):
        verify_token(bad, {KID: KEY.public_key()})


def test_a_flipped_signature_bit_is_refused() -> None:
    token = sign(CLAIMS, KEY, KID)
    head, _, signature = token.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    with pytest.raises(TokenRejected, match="signature"):
        verify_token(f"{head}.{_b64(bytes(raw))}", {KID: KEY.public_key()})


def test_another_key_under_the_same_kid_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    with pytest.raises(TokenRejected, match="signature"):
        verify_token(sign(CLAIMS, other, KID), {KID: KEY.public_key()})


def test_an_unknown_kid_is_refused_with_a_hint() -> None:
    with pytest.raises(TokenRejected, match="unknown key") as info:
        verify_token(sign(CLAIMS, KEY, "rotated-away"), {KID: KEY.public_key()})
    assert info.value.hint is not None
    assert "billing.trusted_keys" in info.value.hint


def test_a_token_for_another_install_is_refused() -> None:
    with pytest.raises(TokenRejected, match="another install"):
        verify_token(sign(CLAIMS, KEY, KID), {KID: KEY.public_key()}, audience="inst_2")


@pytest.mark.parametrize(
    "token",
    ["", "cfe1", "cfe2.e30.AAAA", "cfe1.!!!.AAAA", "cfe1.WzFd.AAAA", "cfe1.e30.AAAA.x", "x" * 9000],
)
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(TokenRejected):
        verify_token(token, {KID: KEY.public_key()})


def test_rotation_keeps_both_keys() -> None:
    new = Ed25519PrivateKey.generate()
    keys = {KID: KEY.public_key(), "new": new.public_key()}
    assert verify_token(sign(CLAIMS, KEY, KID), keys)["kid"] == KID
    assert verify_token(sign(CLAIMS, new, "new"), keys)["kid"] == "new"


def test_trusted_keys_parse_kid_and_key_pairs() -> None:
    encoded = _b64(_raw(KEY))
    standard = base64.b64encode(_raw(KEY)).decode()
    keys = parse_trusted_keys(f"mine:{encoded}, {standard}")
    assert set(keys) == {"mine", KID}  # a bare key takes the service's kid rule
    assert key_id(_raw(KEY)) == KID
    token = sign(CLAIMS, KEY, "mine")
    assert verify_token(token, keys)["kid"] == "mine"


@pytest.mark.parametrize("text", ["k:notbase64!!", "k:" + _b64(b"short"), "k:"])
def test_malformed_trusted_keys_are_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"billing\.trusted_keys"):
        parse_trusted_keys(text)


def test_the_embedded_keys_come_first_and_the_setting_adds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shipped = Ed25519PrivateKey.generate()
    monkeypatch.setattr(tokens, "EMBEDDED_KEYS", {"prod-1": _b64(_raw(shipped))})
    keys = trusted_keys(f"staging:{_b64(_raw(KEY))}")
    assert set(keys) == {"prod-1", "staging"}
    assert verify_token(sign(CLAIMS, shipped, "prod-1"), keys)["kid"] == "prod-1"
    assert set(trusted_keys("")) == {"prod-1"}
