"""Every field the simulator emits is a documented field of TikTok's own reference data.

Requests go through HTTP exactly as a client sends them; the documented field paths come from
each endpoint's ``response_param`` list in tests/fixtures/tiktok-api (``^`` = depth under data).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import Seller

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "tiktok-api"
# Reference §3.4: the token response fields.
TOKEN_FIELDS = {
    "access_token",
    "access_token_expire_in",
    "refresh_token",
    "refresh_token_expire_in",
    "open_id",
    "seller_name",
    "seller_base_region",
    "user_type",
    "granted_scopes",
}


def documented(spec: str) -> set[str]:
    """Dotted paths under ``data`` listed in a spec's ``response_param``."""
    meta = json.loads((SPECS / f"{spec}.spec.json").read_text())["document_api_meta"]
    paths: set[str] = set()
    stack: list[str] = []
    for param in meta["response_param"]:
        name: str = param["name"]
        depth = len(name) - len(name.lstrip("^"))
        if depth == 0:
            continue
        del stack[depth - 1 :]
        stack.append(name.lstrip("^"))
        paths.add(".".join(stack))
    return paths


def emitted(value: Any, prefix: str = "") -> set[str]:
    """Every dotted path in `value`, arrays flattened into their parent's path."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= emitted(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= emitted(child, prefix)
    return paths


def conforms(spec: str, data: dict[str, Any]) -> set[str]:
    paths = emitted(data)
    undocumented = paths - documented(spec)
    assert not undocumented, f"{spec}: {sorted(undocumented)}"
    return paths


def _orders(sim: TikTokShopSimulator) -> list[str]:
    ids = sim.generate_orders(160, spread=timedelta(days=3))
    for status in ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "CANCELLED", "ON_HOLD"):
        ids += sim.generate_orders(3, status=status)
    return ids


def test_documented_paths_are_read_correctly() -> None:
    paths = documented("orders/get-order-list")
    assert "orders.recipient_address.district_info.address_level" in paths
    assert "orders.line_items.item_tax.tax_rate" in paths
    assert "next_page_token" in paths


def test_token_endpoints(seller: Seller) -> None:
    data = seller.authorize()
    assert set(data) == TOKEN_FIELDS
    refreshed = seller.token(
        "/api/v2/token/refresh", refresh_token=seller.refresh_token, grant_type="refresh_token"
    ).json()
    assert set(refreshed) == {"code", "message", "request_id", "data"}
    assert set(refreshed["data"]) == TOKEN_FIELDS


def test_shops(seller: Seller) -> None:
    response = seller.call("GET", "/authorization/202309/shops", cipher=False).json()
    data = response["data"]
    paths = conforms("authorization/get-authorized-shops", data)
    assert {"shops.id", "shops.cipher", "shops.code", "shops.seller_type"} <= paths


def test_orders_search_and_detail(sim: TikTokShopSimulator, seller: Seller) -> None:
    ids = _orders(sim)
    seen: set[str] = set()
    token = None
    while True:
        params = {"page_size": "100"} | ({"page_token": token} if token else {})
        data = seller.ok("POST", "/order/202309/orders/search", params, {})
        seen |= conforms("orders/get-order-list", data)
        token = data["next_page_token"]
        if not token:
            break
    for key in ("payment_method_code", "payment_card_type", "payment_auth_code"):
        assert f"orders.{key}" not in seen
    assert "orders.line_items.combined_listing_skus" not in seen
    assert {
        "orders.line_items.is_gift",
        "orders.recipient_address.district_info.address_name",
        "orders.line_items.package_id",
        "orders.cancel_reason",
    } <= seen

    detail: set[str] = set()
    for start in range(0, len(ids), 50):
        chunk = ",".join(ids[start : start + 50])
        data = seller.ok("GET", "/order/202309/orders", {"ids": chunk})
        assert len(data["orders"]) == len(ids[start : start + 50])
        detail |= conforms("orders/get-order-detail", data)
    assert {
        "orders.payment_method_code",
        "orders.payment_auth_code",
        "orders.line_items.combined_listing_skus.sku_count",
    } <= detail


def test_fulfilment_endpoints(sim: TikTokShopSimulator, seller: Seller) -> None:
    order_id = next(
        i
        for i in sim.generate_orders(10, status="AWAITING_SHIPMENT")
        if sim.order(i)["shipping_type"] == "SELLER"
    )
    option = sim.order(order_id)["delivery_option_id"]
    providers = seller.ok("GET", f"/logistics/202309/delivery_options/{option}/shipping_providers")
    conforms("logistics/get-shipping-providers", providers)
    ups = next(p["id"] for p in providers["shipping_providers"] if p["name"] == "UPS")
    shipped = seller.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        None,
        {"tracking_number": "9400111899223100012345", "shipping_provider_id": ups},
    )
    assert "warning" in conforms("fulfillment/mark-package-as-shipped", shipped)
    update = seller.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/shipping_info/update",
        None,
        {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": ups},
    )
    assert update == {}
    package = seller.ok("GET", f"/fulfillment/202309/packages/{shipped['package_id']}")
    conforms("fulfillment/get-package-detail", package)
    sim.advance(timedelta(days=4))
    tracking = seller.ok("GET", f"/fulfillment/202309/orders/{order_id}/tracking")
    assert "tracking.update_time_millis" in conforms("fulfillment/get-tracking", tracking)


def test_tiktok_shipping_endpoints(sim: TikTokShopSimulator, seller: Seller) -> None:
    order_id = next(
        i
        for i in sim.generate_orders(60, status="AWAITING_SHIPMENT")
        if sim.order(i)["shipping_type"] == "TIKTOK"
    )
    body = {"weight": {"value": "1.2", "unit": "POUND"}}
    services = seller.ok(
        "POST", f"/fulfillment/202309/orders/{order_id}/shipping_services/query", None, body
    )
    conforms("fulfillment/get-eligible-shipping-service", services)
    service = services["shipping_services"][0]["id"]
    created = seller.ok(
        "POST",
        "/fulfillment/202309/packages",
        None,
        {"order_id": order_id, "shipping_service_id": service} | body,
    )
    conforms("fulfillment/create-packages", created)
    package_id = created["package_id"]
    conforms(
        "fulfillment/get-package-detail",
        seller.ok("GET", f"/fulfillment/202309/packages/{package_id}"),
    )
    document = seller.ok(
        "GET",
        f"/fulfillment/202309/packages/{package_id}/shipping_documents",
        {"document_type": "SHIPPING_LABEL"},
    )
    conforms("fulfillment/get-package-shipping-document", document)
    pdf = seller.http.get(document["doc_url"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    assert sim.stats()["label_purchases"] == {package_id: 1}


def test_product_endpoints(sim: TikTokShopSimulator, seller: Seller) -> None:
    found = seller.ok("POST", "/product/202309/products/search", {"page_size": "100"}, {})
    conforms("products/search-products", found)
    assert found["total_count"] == len(found["products"]) == 12
    details = set()
    for product in found["products"]:
        data = seller.ok("GET", f"/product/202309/products/{product['id']}")
        details |= conforms("products/get-product", data)
    assert "skus.combined_skus.sku_count" in details
    ids = [p["id"] for p in found["products"]]
    inventory = seller.ok("POST", "/product/202309/inventory/search", None, {"product_ids": ids})
    conforms("products/inventory-search", inventory)
    first = found["products"][0]
    sku = first["skus"][0]
    rows = [{"warehouse_id": w["warehouse_id"], "quantity": 7} for w in sku["inventory"]]
    result = seller.ok(
        "POST",
        f"/product/202309/products/{first['id']}/inventory/update",
        None,
        {"skus": [{"id": sku["id"], "inventory": rows}, {"id": "1", "inventory": rows}]},
    )
    conforms("products/update-inventory", result)
    assert [e["code"] for e in result["errors"]] == [12052556]
