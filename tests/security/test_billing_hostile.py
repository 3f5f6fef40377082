"""The hosted billing service fed hostile requests on every route: oversized, malformed and
non-UTF-8 bodies, hostile text, bad bearer tokens, stale, forged and replayed Stripe
signatures. Every answer is a 2xx or a 4xx with the documented error body; never a 500.

Bodies over 1 MiB get 413 before they are read to the end (``billing_service/limits.py``), and
a NUL character in a stored text field is a 422 on PostgreSQL too (the models' ``NO_NUL``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creatorflow.billing_service.service import _default_limiters
from tests.billing_service.conftest import (
    WEBHOOK_SECRET,
    Harness,
    Login,
    event_body,
    make_harness,
)
from tests.postgres import postgres_schema

#: Routes FastAPI keeps out of the OpenAPI document; the rest are read from it.
HIDDEN = [("GET", "/checkout/done"), ("GET", "/checkout/cancel"), ("GET", "/portal/done")]
#: Routes that read a request body.
WITH_BODY = [
    ("POST", "/v1/device/code"),
    ("POST", "/v1/device/token"),
    ("POST", "/device"),
    ("POST", "/v1/checkout"),
    ("POST", "/v1/portal"),
    ("POST", "/v1/usage"),
    ("POST", "/stripe/webhook"),
]
MB = 1024 * 1024
EVENT = {"id": "a" * 64, "order_id": "1", "occurred_at": "2026-05-28T21:00:00Z"}
BODIES: dict[str, tuple[bytes, str]] = {
    "3 MB string": (json.dumps({"station": "x" * 3 * MB, "plan": "y" * MB}).encode(), "json"),
    "3 MB events": (json.dumps({"events": [EVENT] * 40_000}).encode(), "json"),
    "truncated json": (b'{"station": ', "json"),
    "not utf-8": (b'{"station": "\xff\xfe", "plan": "\xc3\x28"}', "json"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "json"),
    "a json array": (b"[1, 2, 3]", "json"),
    "a 5000-digit number": (b'{"plan": ' + b"9" * 5000 + b"}", "json"),
    "wrong types": (
        json.dumps(
            {"station": [], "plan": {"a": 1}, "device_code": 7, "events": "all", "x": None}
        ).encode(),
        "json",
    ),
    "rtl and zero width": (
        json.dumps(
            {
                "station": "\u202epacking\u200b",
                "plan": "\u202egrowth",
                "device_code": "\u2066x\u2069",
                "events": [{**EVENT, "order_id": "\u202e1\u200d"}],
            }
        ).encode(),
        "json",
    ),
    "empty": (b"", "json"),
    "form garbage": (b"user_code=\xff\xff&action=approve&email=%00&" + b"a=1&" * 5000, "form"),
    "multipart": (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--", "multipart"),
    "text/plain": (b"hello", "text"),
}
CONTENT_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "text": "text/plain",
}


@pytest.fixture
def billing(tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(tmp_path)
    try:
        yield h
    finally:
        h.close()


def _routes(h: Harness) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = h.app.openapi()["paths"]
    found = [(method.upper(), path) for path, ops in paths.items() for method in ops]
    assert ("POST", "/v1/usage") in found  # the document lists the API
    return found + HIDDEN


def _fresh_limits(h: Harness) -> None:
    """Refill the per-address rate limits, so that the handlers, not the limiter, answer."""
    h.service.limiters.update(_default_limiters())


def _check_answer(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:200]}"
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        assert set(body) == {"error", "message"}, what
        assert body["message"], what


@pytest.mark.parametrize("kind", list(BODIES))
def test_every_route_answers_hostile_bodies_without_a_500(billing: Harness, kind: str) -> None:
    body, content_type = BODIES[kind]
    _fresh_limits(billing)
    login = billing.login()
    for method, path in _routes(billing):
        for auth in (login.headers, {}, {"Authorization": "Bearer nope"}):
            if (method, path) == ("DELETE", "/v1/install") and auth is login.headers:
                continue  # revoking the login is tried last, below
            _fresh_limits(billing)
            response = billing.client.request(
                method,
                path,
                content=body,
                headers={**auth, "Content-Type": CONTENT_TYPES[content_type]},
            )
            _check_answer(response, f"{method} {path} with {kind}")
    response = billing.client.request("DELETE", "/v1/install", content=body, headers=login.headers)
    _check_answer(response, f"DELETE /v1/install with {kind}")
    assert billing.client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), [r for r in WITH_BODY if r[1] != "/stripe/webhook"])
def test_a_body_over_a_megabyte_is_refused_with_413(
    billing: Harness, method: str, path: str
) -> None:
    _fresh_limits(billing)
    login = billing.login()
    body = json.dumps({"station": "s", "plan": "growth", "pad": "x" * (2 * MB)}).encode()
    response = billing.client.request(
        method, path, content=body, headers={**login.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_the_stripe_webhook_refuses_a_body_over_its_cap(billing: Harness) -> None:
    body = b'{"id": "evt_big", "pad": "' + b"x" * MB + b'"}'
    headers = {"Stripe-Signature": _stripe_signature(body), "Content-Type": "application/json"}
    response = billing.client.post("/stripe/webhook", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def _auth_routes(h: Harness) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = h.app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "401" in op.get("responses", {})
    ]


def test_bad_bearer_tokens_get_401_on_every_authenticated_route(billing: Harness) -> None:
    login = billing.login()
    revoked = billing.login(station="old")
    assert billing.client.delete("/v1/install", headers=revoked.headers).status_code == 200
    token_hash = hashlib.sha256(login.token.encode()).hexdigest()
    variants: dict[str, dict[str, str] | None] = {
        "missing": None,
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "blank token": {"Authorization": "Bearer \t\t x"},
        "basic": {"Authorization": "Basic " + login.token},
        "no scheme": {"Authorization": login.token},
        "revoked install": revoked.headers,
        "stored hash as token": {"Authorization": f"Bearer {token_hash}"},
        "token with a suffix": {"Authorization": f"Bearer {login.token}x"},
        "token cut short": {"Authorization": f"Bearer {login.token[:-1]}"},
        "two tokens": {"Authorization": f"Bearer {login.token} {login.token}"},
        "100 kB token": {"Authorization": "Bearer " + "A" * 100_000},
        "sql": {"Authorization": "Bearer ' OR '1'='1"},
    }
    routes = _auth_routes(billing)
    assert ("GET", "/v1/entitlement") in routes
    for method, path in routes:
        for name, headers in variants.items():
            response = billing.client.request(method, path, headers=headers, json={})
            if name == "100 kB token" and response.status_code in {400, 431}:
                continue  # the HTTP server refused the header's size first: fine too
            assert response.status_code == 401, f"{method} {path} with {name}"
            assert response.json()["error"] == "invalid_token"
            assert "Bearer" in response.headers["WWW-Authenticate"]
        # Non-ASCII bytes in the header (httpx would refuse to send them as text).
        raw = billing.client.build_request(
            method, path, json={}, headers={b"Authorization": b"Bearer \xe2\x80\xae\xff"}
        )
        assert billing.client.send(raw).status_code == 401
    # The genuine token still works after all that.
    assert billing.client.get("/v1/entitlement", headers=login.headers).status_code == 200


def _stripe_signature(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _customer_event(event_id: str) -> bytes:
    return event_body(event_id, "customer.created", {"id": "cus_1", "object": "customer"}).encode()


def _post_webhook(h: Harness, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return h.client.post("/stripe/webhook", content=body, headers=headers)


def test_stale_forged_and_replayed_stripe_signatures(billing: Harness) -> None:
    body = _customer_event("evt_replayed")
    now = int(time.time())
    refused = {
        "stale by a second": _stripe_signature(body, at=now - 301),
        "a day old": _stripe_signature(body, at=now - 86_400),
        "another secret": _stripe_signature(body, secret="whsec_other"),
        "signature of another body": _stripe_signature(_customer_event("evt_other")),
        "timestamp swapped": _stripe_signature(body, at=now - 5).replace(
            f"t={now - 5}", f"t={now}"
        ),
        "v0 scheme": _stripe_signature(body).replace("v1=", "v0="),
        "empty": "",
        "no header": None,
        "garbage": "t=,v1=,,,=",
    }
    for name, signature in refused.items():
        response = _post_webhook(billing, body, signature)
        assert response.status_code == 400, name
        assert response.json()["error"] == "invalid_signature", name
    # Unicode digits and an RTL override, sent as the raw UTF-8 bytes.
    unicode = "t=\u0661\u0662,v1=\u202eabc".encode()
    raw = billing.client.build_request(
        "POST", "/stripe/webhook", content=body, headers={b"Stripe-Signature": unicode}
    )
    assert billing.client.send(raw).status_code == 400
    assert not billing.store.seen_event("evt_replayed")
    # A genuine delivery, then the very same bytes and header again (a replay within the
    # tolerance): accepted once, the copy is answered 200 as a duplicate and changes nothing.
    signature = _stripe_signature(body)
    first = _post_webhook(billing, body, signature).json()
    again = _post_webhook(billing, body, signature).json()
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    # Replayed once the tolerance is over: refused outright.
    late = _stripe_signature(body, at=now - 400)
    assert _post_webhook(billing, body, late).status_code == 400


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    header=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=300)
    | st.sampled_from(["t=1,v1=", "t=99999999999999999999,v1=00", "t=-1,v1=ab", "v1=" + "0" * 64]),
    body=st.binary(max_size=300),
)
def test_fuzzed_stripe_signature_headers_are_refused_with_400(
    billing: Harness, header: str, body: bytes
) -> None:
    response = _post_webhook(billing, body, header)
    assert response.status_code in {400, 422}  # 422: a header over 4096 characters
    assert response.json()["error"] in {"invalid_signature", "invalid_request"}


NUL_CASES = {
    "device code station": ("POST", "/v1/device/code", {"station": "packing\x00"}),
    "usage order id": (
        "POST",
        "/v1/usage",
        {"events": [{**EVENT, "order_id": "1\x00"}]},
    ),
    "checkout plan": ("POST", "/v1/checkout", {"plan": "growth\x00"}),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(NUL_CASES))
def test_a_nul_character_is_a_4xx_on_postgresql(
    postgres_url: str, tmp_path: Path, case: str
) -> None:
    method, path, payload = NUL_CASES[case]
    with postgres_schema(postgres_url) as url:
        h = make_harness(tmp_path, database_url=url)
        try:
            login: Login = h.login()
            response = h.client.request(method, path, json=payload, headers=login.headers)
            assert response.status_code < 500, response.text
        finally:
            h.close()
            h.store.engine.dispose()
