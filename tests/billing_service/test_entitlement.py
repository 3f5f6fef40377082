"""`GET /v1/entitlement`: the signed token, its claims, and how status changes show in it."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from creatorflow.billing_service.tokens import SigningKey, TokenError, key_id, sign, verify
from tests.billing_service.conftest import DAY, GROWTH_LIMIT, START, Harness, Login


def _token(h: Harness, login: Login) -> str:
    response = h.client.get("/v1/entitlement", headers=login.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _claims(h: Harness, login: Login) -> dict[str, Any]:
    return verify(_token(h, login), {h.key.kid: h.key.public_key}, audience=login.install_id)


def _independent_verify(token: str, raw_public_key: bytes) -> dict[str, Any]:
    """The contract's recipe, written out without the service's own helpers."""
    prefix, payload, signature = token.split(".")
    assert prefix == "cfe1"

    def pad(text: str) -> str:
        return text + "=" * (-len(text) % 4)

    Ed25519PublicKey.from_public_bytes(raw_public_key).verify(
        base64.urlsafe_b64decode(pad(signature)), f"{prefix}.{payload}".encode()
    )
    body = base64.urlsafe_b64decode(pad(payload))
    claims = json.loads(body)
    assert body == json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    return dict(claims)


def _activate(h: Harness, login: Login, status: str = "active") -> None:
    h.stripe.put_subscription("sub_1", account_id=login.account_id, status=status)
    response = h.webhook("evt_act", "customer.subscription.created", {"id": "sub_1"})
    assert response.json()["handled"]


def test_token_verifies_and_has_the_claims_before_a_subscription(harness: Harness) -> None:
    login = harness.login()
    token = _token(harness, login)
    raw = harness.key.public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    claims = _independent_verify(token, raw)
    month = datetime.fromtimestamp(START, UTC).replace(day=1, hour=0, minute=0, second=0)
    assert claims == {
        "kid": hashlib.sha256(raw).hexdigest()[:16],
        "iss": "creatorflow-billing",
        "sub": login.account_id,
        "aud": login.install_id,
        "iat": START,
        "nbf": START,
        "exp": START + 7 * DAY,
        "grace_until": START + 14 * DAY,
        "plan": "none",
        "order_limit": 0,
        "period_start": int(month.timestamp()),
        "period_end": int(month.replace(month=month.month + 1).timestamp()),
        "status": "none",
        "used": 0,
        "jti": claims["jti"],
    }
    assert _claims(harness, login)["jti"] != claims["jti"]


def test_active_subscription_in_the_token(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login)
    claims = _claims(harness, login)
    assert (claims["plan"], claims["status"], claims["order_limit"]) == (
        "growth",
        "active",
        GROWTH_LIMIT,
    )
    assert (claims["period_start"], claims["period_end"]) == (START, START + 30 * DAY)


def test_past_due_then_canceled(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login)
    harness.clock.advance(DAY)
    failed_at = START + DAY
    harness.stripe.set_status("sub_1", "past_due")
    harness.webhook("evt_pd", "invoice.payment_failed", _invoice("sub_1"), created=failed_at)
    claims = _claims(harness, login)
    assert (claims["status"], claims["order_limit"]) == ("past_due", GROWTH_LIMIT)
    # The dunning deadline bounds the grace; a second failure does not move it.
    assert claims["grace_until"] == failed_at + 14 * DAY
    assert claims["exp"] == claims["iat"] + 7 * DAY
    harness.clock.advance(10 * DAY)
    harness.webhook(
        "evt_pd2", "invoice.payment_failed", _invoice("sub_1"), created=START + 11 * DAY
    )
    claims = _claims(harness, login)
    assert claims["grace_until"] == failed_at + 14 * DAY
    assert claims["exp"] == failed_at + 14 * DAY  # never past the deadline
    harness.stripe.set_status("sub_1", "canceled")
    harness.webhook(
        "evt_del", "customer.subscription.deleted", {"id": "sub_1"}, created=START + 12 * DAY
    )
    claims = _claims(harness, login)
    assert (claims["status"], claims["plan"], claims["order_limit"]) == ("canceled", "growth", 0)
    assert claims["grace_until"] == claims["exp"] + 7 * DAY


def test_past_due_after_the_deadline_has_no_limit(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login, status="past_due")
    harness.clock.advance(15 * DAY)
    claims = _claims(harness, login)
    assert (claims["status"], claims["order_limit"]) == ("past_due", 0)


def test_verify_refuses_bad_tokens(harness: Harness) -> None:
    login = harness.login()
    token = _token(harness, login)
    keys = {harness.key.kid: harness.key.public_key}
    prefix, payload, signature = token.split(".")
    forged = dict(verify(token, keys))
    forged["order_limit"] = 10**9
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    other = SigningKey.generate()
    bad = {
        "tampered payload": f"{prefix}.{forged_payload}.{signature}",
        "other key": sign(verify(token, keys), other),
        "wrong prefix": f"cfe2.{payload}.{signature}",
        "truncated": f"{prefix}.{payload}",
        "garbage": "cfe1.!!!.???",
    }
    for name, candidate in bad.items():
        with pytest.raises(TokenError):
            verify(candidate, keys)
        assert name
    with pytest.raises(TokenError):
        verify(token, keys, audience="ins_someone_else")
    with pytest.raises(TokenError):
        verify(token, {})


def test_kid_is_the_first_16_hex_of_sha256_of_the_raw_public_key() -> None:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert key_id(private.public_key()) == hashlib.sha256(raw).hexdigest()[:16]
    key = SigningKey(private)
    assert base64.urlsafe_b64decode(key.public_key_b64() + "=") == raw
    assert SigningKey.from_pem(key.private_key_pem()).kid == key.kid


def test_usage_response_carries_a_fresh_token(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login)
    response = harness.client.post(
        "/v1/usage",
        headers=login.headers,
        json={
            "events": [{"id": "a" * 64, "order_id": "o1", "occurred_at": "2026-05-29T10:00:00Z"}]
        },
    )
    body = response.json()
    claims = verify(body["token"], {harness.key.kid: harness.key.public_key})
    assert claims["used"] == body["period_used"] == 1
    assert claims["order_limit"] == body["order_limit"] == GROWTH_LIMIT


def _invoice(sub_id: str) -> dict[str, object]:
    return {"id": "in_1", "parent": {"subscription_details": {"subscription": sub_id}}}
