"""Mark Package As Shipped and friends: TikTok's validations and codes (reference §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import Seller

USPS = "7117858858072016686"
UPS = "7117859084333745966"


def _seller_orders(sim: TikTokShopSimulator, n: int, status: str) -> list[str]:
    ids = sim.generate_orders(n * 3, status=status)
    # Standard Shipping accepts every provider (Express only UPS and FedEx).
    standard = [i for i in ids if sim.order(i)["delivery_option_id"] == "7091146663229654785"]
    return standard[:n]


def _ship(
    seller: Seller, order_id: str, tracking: str, provider: str = USPS, **extra: Any
) -> httpx.Response:
    body = {"tracking_number": tracking, "shipping_provider_id": provider} | extra
    return seller.call("POST", f"/fulfillment/202309/orders/{order_id}/packages", None, body)


def _code(response: httpx.Response) -> int:
    assert response.status_code == 200  # business errors come back as HTTP 200
    code: int = response.json()["code"]
    return code


def test_mark_shipped_validations(sim: TikTokShopSimulator, seller: Seller) -> None:
    a, b = _seller_orders(sim, 2, "AWAITING_SHIPMENT")
    (held,) = _seller_orders(sim, 1, "ON_HOLD")
    (cancelled,) = _seller_orders(sim, 1, "CANCELLED")
    (unpaid,) = _seller_orders(sim, 1, "UNPAID")
    tiktok = next(
        i
        for i in sim.generate_orders(40, status="AWAITING_SHIPMENT")
        if sim.order(i)["shipping_type"] == "TIKTOK"
    )
    good = "9400111899223100012345"
    assert _code(_ship(seller, held, good)) == 21011044
    assert _code(_ship(seller, cancelled, good)) == 21011041
    assert _code(_ship(seller, unpaid, good)) == 21042057
    assert _code(_ship(seller, tiktok, good)) == 21008025
    assert _code(_ship(seller, a, "9400-1118!")) == 21004012
    assert _code(_ship(seller, a, good, provider="123")) == 21011022
    assert _code(_ship(seller, "576999999999999999", good)) == 21008111
    assert _code(_ship(seller, a, good)) == 0
    assert _code(_ship(seller, a, good)) == 21011020
    assert _code(_ship(seller, b, good)) == 21011025
    assert sim.stats()["ship_calls"][a] == 4


def test_warning_when_tracking_does_not_match_provider(
    sim: TikTokShopSimulator, seller: Seller
) -> None:
    (order_id,) = _seller_orders(sim, 1, "AWAITING_SHIPMENT")
    data = _ship(seller, order_id, "1Z999AA10123456784", provider=USPS).json()["data"]
    assert "Did you mean to select UPS?" in data["warning"]["message"]


def test_split_shipment_by_line_items(sim: TikTokShopSimulator, seller: Seller) -> None:
    ids = sim.generate_orders(80, status="AWAITING_SHIPMENT")
    order_id = next(
        i
        for i in ids
        if sim.order(i)["shipping_type"] == "SELLER" and len(sim.order(i)["line_items"]) > 1
    )
    lines = [line["id"] for line in sim.order(order_id)["line_items"]]
    first = _ship(seller, order_id, "1Z999AA10123456781", UPS, order_line_item_ids=lines[:1])
    assert first.json()["data"]["order_line_item_ids"] == lines[:1]
    assert sim.order(order_id)["status"] == "PARTIALLY_SHIPPING"
    again = _ship(seller, order_id, "1Z999AA10123456782", UPS, order_line_item_ids=lines[:1])
    assert _code(again) == 21011020
    rest = _ship(seller, order_id, "1Z999AA10123456783", UPS, order_line_item_ids=lines[1:])
    assert _code(rest) == 0
    order = sim.order(order_id)
    assert order["status"] == "AWAITING_COLLECTION"
    assert len(order["packages"]) == 2


def test_update_shipping_info_once_within_72_hours(
    sim: TikTokShopSimulator, seller: Seller
) -> None:
    a, b, c = _seller_orders(sim, 3, "AWAITING_SHIPMENT")
    path = "/fulfillment/202309/orders/{}/shipping_info/update"
    fix = {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS}
    assert _code(seller.call("POST", path.format(a), None, fix)) == 21011043
    _ship(seller, a, "9400111899223100012345")
    assert _code(seller.call("POST", path.format(a), None, fix)) == 0
    assert sim.order(a)["tracking_number"] == "1Z999AA10123456784"
    assert sim.order(a)["shipping_provider"] == "UPS"
    again = fix | {"tracking_number": "1Z999AA10123456785"}
    assert _code(seller.call("POST", path.format(a), None, again)) == 21011051

    _ship(seller, b, "9400111899223100054321")
    sim.advance(timedelta(hours=73))
    sim.set_order_status(b, "IN_TRANSIT")  # not delivered yet, but past the window
    late = fix | {"tracking_number": "1Z999AA10123456786"}
    assert _code(seller.call("POST", path.format(b), None, late)) == 21011049
    _ship(seller, c, "9400111899223100099999")
    # A tracking number another order already uses is refused here too.
    taken = fix | {"tracking_number": "9400111899223100054321", "shipping_provider_id": USPS}
    assert _code(seller.call("POST", path.format(c), None, taken)) == 21011025


def test_shipping_providers(sim: TikTokShopSimulator, seller: Seller) -> None:
    base = "/logistics/202309/delivery_options/{}/shipping_providers"
    tiktok = seller.call("GET", base.format("7091146663229654787"))
    assert _code(tiktok) == 21008117
    assert _code(seller.call("GET", base.format("1"))) == 21008116
    express = seller.ok("GET", base.format("7091146663229654786"))
    assert [p["name"] for p in express["shipping_providers"]] == ["UPS", "FedEx"]


def test_tiktok_shipping_label_purchase(sim: TikTokShopSimulator, seller: Seller) -> None:
    ids = sim.generate_orders(60, status="AWAITING_SHIPMENT")
    tiktok = next(i for i in ids if sim.order(i)["shipping_type"] == "TIKTOK")
    (mine,) = _seller_orders(sim, 1, "AWAITING_SHIPMENT")
    query = "/fulfillment/202309/orders/{}/shipping_services/query"
    assert _code(seller.call("POST", query.format(mine), None, {})) == 21011037
    created = seller.ok("POST", "/fulfillment/202309/packages", None, {"order_id": tiktok})
    again = seller.call("POST", "/fulfillment/202309/packages", None, {"order_id": tiktok})
    assert _code(again) == 21011006
    order = sim.order(tiktok)
    assert order["status"] == "AWAITING_COLLECTION"
    assert order["packages"] == [{"id": created["package_id"]}]
    docs = "/fulfillment/202309/packages/{}/shipping_documents"
    missing_type = seller.call("GET", docs.format(created["package_id"]))
    assert missing_type.json()["code"] == 21001001
    seller_package = _ship(seller, mine, "9400111899223100012345").json()["data"]["package_id"]
    refused = seller.call("GET", docs.format(seller_package), {"document_type": "SHIPPING_LABEL"})
    assert _code(refused) == 21008017
