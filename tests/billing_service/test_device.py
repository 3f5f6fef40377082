"""Device login (RFC 8628), install tokens and their revocation, rate limits."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import select

from creatorflow.billing_service.db import device_codes, installs
from tests.billing_service.conftest import Harness, make_harness


def _start(h: Harness, station: str = "packing-1") -> dict[str, object]:
    response = h.client.post("/v1/device/code", json={"station": station})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _poll(h: Harness, device_code: object) -> tuple[int, dict[str, object]]:
    response = h.client.post("/v1/device/token", json={"device_code": device_code})
    return response.status_code, dict(response.json())


def _decide(h: Harness, user_code: object, action: str, email: str = "a@example.com") -> int:
    response = h.client.post(
        "/device", data={"user_code": str(user_code), "email": email, "action": action}
    )
    return response.status_code


def test_device_code_answer_has_the_rfc_fields(harness: Harness) -> None:
    code = _start(harness)
    assert set(code) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert re.fullmatch(
        r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", str(code["user_code"])
    )
    assert code["verification_uri"] == "https://billing.test/device"
    assert (
        code["verification_uri_complete"]
        == f"https://billing.test/device?user_code={code['user_code']}"
    )
    assert (code["expires_in"], code["interval"]) == (900, 5)


def test_full_flow_pending_then_token_once(harness: Harness) -> None:
    code = _start(harness)
    status, body = _poll(harness, code["device_code"])
    assert (status, body["error"]) == (400, "authorization_pending")
    harness.clock.advance(5)
    # People type codes sloppily: lower case, no dash.
    typed = str(code["user_code"]).replace("-", "").lower()
    assert _decide(harness, typed, "approve", email="Creator@Example.com") == 200
    got = harness.client.post("/v1/device/token", json={"device_code": code["device_code"]})
    assert got.status_code == 200, got.text
    assert got.headers["cache-control"] == "no-store"
    body = got.json()
    assert str(body["install_token"]).startswith("cfi_")
    assert str(body["install_id"]).startswith("ins_")
    assert str(body["account_id"]).startswith("acc_")
    headers = {"Authorization": f"Bearer {body['install_token']}"}
    assert harness.client.get("/v1/entitlement", headers=headers).status_code == 200
    # Handed out once: the next poll finds the code used up.
    harness.clock.advance(5)
    status, again = _poll(harness, code["device_code"])
    assert (status, again["error"]) == (400, "expired_token")


def test_same_email_is_the_same_account(harness: Harness) -> None:
    one = harness.login(email="x@example.com", station="a")
    two = harness.login(email="X@example.com", station="b")
    assert one.account_id == two.account_id
    assert one.install_id != two.install_id


def test_polling_too_fast_gets_slow_down_and_a_longer_interval(harness: Harness) -> None:
    code = _start(harness)
    assert _poll(harness, code["device_code"])[1]["error"] == "authorization_pending"
    status, body = _poll(harness, code["device_code"])
    assert (status, body["error"]) == (400, "slow_down")
    harness.clock.advance(6)  # the old interval is no longer enough: it is now 10 s
    assert _poll(harness, code["device_code"])[1]["error"] == "slow_down"
    harness.clock.advance(15)
    assert _poll(harness, code["device_code"])[1]["error"] == "authorization_pending"


def test_expired_code(harness: Harness) -> None:
    code = _start(harness)
    harness.clock.advance(901)
    assert _decide(harness, code["user_code"], "approve") == 400
    status, body = _poll(harness, code["device_code"])
    assert (status, body["error"]) == (400, "expired_token")


def test_unknown_device_code_is_expired(harness: Harness) -> None:
    status, body = _poll(harness, "no-such-code")
    assert (status, body["error"]) == (400, "expired_token")


def test_denied(harness: Harness) -> None:
    code = _start(harness)
    assert _decide(harness, code["user_code"], "deny") == 200
    status, body = _poll(harness, code["device_code"])
    assert (status, body["error"]) == (400, "access_denied")
    # A decided code cannot be approved afterwards.
    assert _decide(harness, code["user_code"], "approve") == 400


def test_approval_needs_an_email(harness: Harness) -> None:
    code = _start(harness)
    assert _decide(harness, code["user_code"], "approve", email="not-an-email") == 400
    assert _decide(harness, "BBBB-BBBB", "approve") == 400
    assert harness.client.post("/device", data={"user_code": "x", "action": "x"}).status_code == 400


def test_approval_page_escapes_the_station_name(harness: Harness) -> None:
    code = _start(harness, station="<script>alert(1)</script>")
    page = harness.client.get("/device", params={"user_code": str(code["user_code"])})
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert str(code["user_code"]) in page.text


def test_secrets_are_stored_hashed(harness: Harness) -> None:
    code = _start(harness)
    login = harness.login()
    with harness.store.engine.connect() as conn:
        hashes = set(conn.execute(select(device_codes.c.code_hash)).scalars())
        token_hashes = set(conn.execute(select(installs.c.token_hash)).scalars())
    assert code["device_code"] not in hashes
    assert hashlib.sha256(str(code["device_code"]).encode()).hexdigest() in hashes
    assert login.token not in token_hashes
    assert hashlib.sha256(login.token.encode()).hexdigest() in token_hashes


def test_revoked_token_gets_401(harness: Harness) -> None:
    login = harness.login()
    other = harness.login(station="packing-2")
    revoked = harness.client.delete("/v1/install", headers=login.headers)
    assert revoked.status_code == 200
    assert revoked.json() == {"install_id": login.install_id, "revoked": True}
    for method, path in [
        ("GET", "/v1/entitlement"),
        ("GET", "/v1/usage"),
        ("DELETE", "/v1/install"),
    ]:
        response = harness.client.request(method, path, headers=login.headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith("Bearer")
    # Only that install: the account's other station keeps working.
    assert harness.client.get("/v1/entitlement", headers=other.headers).status_code == 200


def test_missing_or_unknown_token_gets_401(harness: Harness) -> None:
    for headers in [{}, {"Authorization": "Bearer cfi_nope"}, {"Authorization": "Basic abc"}]:
        for method, path in [
            ("GET", "/v1/entitlement"),
            ("GET", "/v1/usage"),
            ("POST", "/v1/usage"),
            ("POST", "/v1/checkout"),
            ("POST", "/v1/portal"),
            ("DELETE", "/v1/install"),
        ]:
            response = harness.client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert response.json()["error"] == "invalid_token"


def test_device_code_endpoint_is_rate_limited(harness: Harness) -> None:
    statuses = [harness.client.post("/v1/device/code", json={}).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    limited = harness.client.post("/v1/device/code", json={})
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1


def test_token_endpoint_is_rate_limited(harness: Harness) -> None:
    statuses = [
        harness.client.post("/v1/device/token", json={"device_code": "x"}).status_code
        for _ in range(40)
    ]
    assert 429 in statuses
    assert statuses[0] == 400


def test_approval_is_closed_unless_opened(tmp_path: Path) -> None:
    h = make_harness(tmp_path, open_approval=False)
    try:
        code = _start(h)
        assert _decide(h, code["user_code"], "approve") == 403
        assert _poll(h, code["device_code"])[1]["error"] == "authorization_pending"
    finally:
        h.close()


def test_approval_behind_a_login_proxy_takes_the_proxy_email(tmp_path: Path) -> None:
    h = make_harness(tmp_path, open_approval=False, approval_email_header="X-Forwarded-Email")
    try:
        code = _start(h)
        assert _decide(h, code["user_code"], "approve", email="victim@example.com") == 403
        approved = h.client.post(
            "/device",
            data={
                "user_code": str(code["user_code"]),
                "email": "victim@example.com",
                "action": "approve",
            },
            headers={"X-Forwarded-Email": "Signed.In@example.com"},
        )
        assert approved.status_code == 200
        h.clock.advance(5)
        status, body = _poll(h, code["device_code"])
        assert status == 200
        account = h.store.account(str(body["account_id"]))
        assert account is not None
        assert account.email == "signed.in@example.com"
    finally:
        h.close()


def test_device_code_body_is_optional(harness: Harness) -> None:
    response = harness.client.post("/v1/device/code")
    assert response.status_code == 200
    page = harness.client.get("/device", params={"user_code": response.json()["user_code"]})
    assert "unnamed" in page.text


def test_approval_from_another_site_is_refused(harness: Harness) -> None:
    code = _start(harness)
    form = {"user_code": str(code["user_code"]), "email": "a@example.com", "action": "approve"}
    forged = harness.client.post("/device", data=form, headers={"Origin": "https://evil.test"})
    assert forged.status_code == 403
    assert _poll(harness, code["device_code"])[1]["error"] == "authorization_pending"
    same = harness.client.post("/device", data=form, headers={"Origin": "https://billing.test"})
    assert same.status_code == 200
