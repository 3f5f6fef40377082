"""Gateway checks: signature (reference vectors), timestamp window, shop_cipher, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.sandbox.tiktok.checks import compute_sign, webhook_signature
from tests.sandbox.conftest import FakeWall, Seller

SHOPS = "/authorization/202309/shops"
SEARCH = "/order/202309/orders/search"


def test_reference_vector_a() -> None:
    params = [("app_key", "29a39d"), ("timestamp", "1623812664")]
    expected = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    assert compute_sign("e59af819cc", SHOPS, params, b"") == expected


def test_reference_vector_b() -> None:
    expected = "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    assert compute_sign("app_secret", "/test-api", [("foo", "bar")], b"") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}',
            "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a",
        ),
        (
            b'{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}',
            "495c39774c04ee06162f20a6bef8edae5b17676229588fe76630bb5166da37d2",
        ),
    ],
)
def test_reference_vector_c(body: bytes, expected: str) -> None:
    params = [
        ("timestamp", "1696909648"),
        ("shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
        ("app_key", "68xu9ks5p4i8"),
        ("sign", "ignored"),
        ("access_token", "ignored"),
    ]
    assert compute_sign("e59af819cc", "/event/202309/webhooks", params, body) == expected


def test_webhook_signature_check_value() -> None:
    body = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":'
        b'"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    expected = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
    assert webhook_signature("fake_app_key", "fake_app_secret", body) == expected


def test_signed_webhook_envelope(sim: TikTokShopSimulator) -> None:
    import hashlib
    import hmac
    import json

    data: dict[str, object] = {"order_id": "1", "order_status": "AWAITING_SHIPMENT"}
    body, header = sim.signed_webhook(1, sim.shops[0].id, data)
    payload = json.loads(body)
    assert set(payload) == {"type", "tts_notification_id", "shop_id", "timestamp", "data"}
    assert payload["data"] == data
    mac = hmac.new(sim.app_secret.encode(), sim.app_key.encode() + body, hashlib.sha256)
    assert header == mac.hexdigest()


def test_signed_requests_pass_and_tampering_fails(seller: Seller) -> None:
    response = seller.call("GET", SHOPS, cipher=False)
    assert response.status_code == 200
    assert response.json()["data"]["shops"][0]["cipher"] == seller.cipher

    good = seller.call("POST", SEARCH, {"page_size": "10"}, {"order_status": "UNPAID"})
    assert good.json()["code"] == 0

    body = b'{"order_status":"UNPAID"}'
    changed_param = seller.call(
        "POST", SEARCH, {"page_size": "10"}, raw_body=body, tamper={"page_size": "11"}
    )
    assert changed_param.status_code == 401
    assert changed_param.json()["code"] == 106001
    assert changed_param.json()["data"] is None

    query = {"app_key": seller.sim.app_key, "timestamp": str(int(seller.wall()))}
    query |= {"page_size": "10", "shop_cipher": seller.cipher}
    from tests.sandbox.conftest import tts_sign

    query["sign"] = tts_sign(seller.sim.app_secret, SEARCH, query, body)
    changed_body = seller.http.post(
        SEARCH,
        params=query,
        content=b'{"order_status":"CANCELLED"}',
        headers={"x-tts-access-token": seller.access_token, "content-type": "application/json"},
    )
    assert changed_body.status_code == 401
    assert changed_body.json()["code"] == 106001


def test_missing_sign_and_unknown_app_key(seller: Seller) -> None:
    response = seller.http.get(SHOPS, params={"app_key": seller.sim.app_key, "timestamp": "1"})
    assert response.json()["code"] == 36009004
    response = seller.call("GET", SHOPS, cipher=False, tamper={"app_key": "other"})
    assert response.status_code == 400
    assert response.json()["code"] == 36009004
    assert "app_key" in response.json()["message"]


def test_timestamp_outside_window_is_rejected(
    sim: TikTokShopSimulator, seller: Seller, wall: FakeWall
) -> None:
    now = wall.now
    wall.now = now - 301  # the client's clock is slow: stamp, then restore the server's
    query_time = str(int(wall.now))
    wall.now = now
    from tests.sandbox.conftest import tts_sign

    for stamp, code in (
        (query_time, 36009004),
        (str(int(now + 31)), 36009004),
        (str(int(now - 250)), 0),
        (str(int(now + 25)), 0),
    ):
        query = {"app_key": sim.app_key, "timestamp": stamp}
        query["sign"] = tts_sign(sim.app_secret, SHOPS, query)
        response = seller.http.get(
            SHOPS, params=query, headers={"x-tts-access-token": seller.access_token}
        )
        assert response.json()["code"] == code, (stamp, response.json())
        if code:
            assert "timestamp" in response.json()["message"]


def test_signing_ignores_the_simulated_clock(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.advance(timedelta(days=3))
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 0


def test_shop_cipher_rules(seller: Seller) -> None:
    missing = seller.call("POST", SEARCH, {"page_size": "5"}, {}, cipher=False)
    assert (missing.status_code, missing.json()["code"]) == (400, 106013)
    unexpected = seller.call("GET", SHOPS, cipher=seller.cipher)
    assert unexpected.json()["code"] == 36009004
    assert "Unexpected identifier" in unexpected.json()["message"]
    foreign = seller.call("POST", SEARCH, {"page_size": "5"}, {}, cipher="ROW_not-this-seller")
    assert (foreign.status_code, foreign.json()["code"]) == (401, 101000)


def test_access_token_expiry_and_refresh_rotation(
    sim: TikTokShopSimulator, seller: Seller, wall: FakeWall
) -> None:
    first = seller.access_token, seller.refresh_token
    sim.expire_access_tokens()
    expired = seller.call("GET", SHOPS, cipher=False)
    assert (expired.status_code, expired.json()["code"]) == (401, 105002)

    response = seller.token(
        "/api/v2/token/refresh", refresh_token=seller.refresh_token, grant_type="refresh_token"
    )
    data = response.json()["data"]
    assert response.json()["code"] == 0
    assert (data["access_token"], data["refresh_token"]) != first
    assert data["access_token_expire_in"] == int(wall.now) + 7 * 86400  # absolute seconds
    assert data["refresh_token_expire_in"] > data["access_token_expire_in"]
    seller.access_token = data["access_token"]
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 0

    reused = seller.token(
        "/api/v2/token/refresh", refresh_token=first[1], grant_type="refresh_token"
    )
    assert reused.json()["code"] == 36004004

    wall.now += 7 * 86400 + 1  # access tokens run out by the wall clock
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 105002


def test_refresh_token_expiry(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.expire_refresh_tokens()
    response = seller.token(
        "/api/v2/token/refresh", refresh_token=seller.refresh_token, grant_type="refresh_token"
    )
    assert response.json() | {"request_id": ""} == {
        "code": 36004001,
        "message": "rt has expired",
        "request_id": "",
        "data": None,
    }


def test_revoked_authorization(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.revoke_authorization()
    api = seller.call("GET", SHOPS, cipher=False)
    assert (api.status_code, api.json()["code"]) == (401, 36009004)
    refresh = seller.token(
        "/api/v2/token/refresh", refresh_token=seller.refresh_token, grant_type="refresh_token"
    )
    assert refresh.json()["code"] == 36004005
    old = seller.access_token
    seller.authorize()  # the seller authorizes again: new tokens work, old ones stay dead
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 0
    seller.access_token = old
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 36009004


def test_auth_code_is_single_use_and_short_lived(sim: TikTokShopSimulator, seller: Seller) -> None:
    code = sim.issue_auth_code()
    args = {"auth_code": code, "grant_type": "authorized_code"}
    assert seller.token("/api/v2/token/get", **args).json()["code"] == 0
    assert seller.token("/api/v2/token/get", **args).json()["code"] == 36004004

    late = sim.issue_auth_code()
    sim.advance(timedelta(minutes=31))
    response = seller.token("/api/v2/token/get", auth_code=late, grant_type="authorized_code")
    assert response.json()["code"] == 36004004

    wrong_grant = seller.token(
        "/api/v2/token/get", auth_code=sim.issue_auth_code(), grant_type="refresh_token"
    )
    assert wrong_grant.json()["code"] != 0


def test_authorize_page_shows_the_redirect(sim: TikTokShopSimulator, seller: Seller) -> None:
    page = seller.http.get("/open/authorize", params={"service_id": sim.service_id, "state": "s1"})
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    import re

    match = re.search(r"https://localhost/callback\?code=([A-Za-z0-9_-]+)&amp;state=s1", page.text)
    assert match is not None
    exchanged = seller.token("/api/v2/token/get", auth_code=match[1], grant_type="authorized_code")
    assert exchanged.json()["code"] == 0
    bad = seller.http.get("/open/authorize", params={"service_id": "nope"})
    assert bad.status_code == 400


def test_unknown_path_and_method(seller: Seller) -> None:
    missing = seller.http.get("/order/202309/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, 36009009)
    wrong = seller.http.get(SEARCH)
    assert (wrong.status_code, wrong.json()["code"]) == (405, 36009010)
