"""TikTok Shipping for ``shipping_type=TIKTOK`` orders: services, label purchase, documents.

Simplification: buying a label (Create Packages) moves the order straight to
AWAITING_COLLECTION; the carrier scan and delivery then follow the usual lifecycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from creatorflow.sandbox.tiktok.errors import ApiError, business
from creatorflow.sandbox.tiktok.fulfilment import PROVIDERS, find_order, find_package, ready_to_ship
from creatorflow.sandbox.tiktok.model import SHIPPED_STATUSES, Order

if TYPE_CHECKING:
    from creatorflow.sandbox.tiktok.model import Call
    from creatorflow.sandbox.tiktok.simulator import TikTokShopSimulator

TIKTOK_SERVICES = (
    ("7208502187360519982", "USPS Ground Advantage", "4.85", 2, 5, True, "7117858858072016686"),
    ("7208502187360519983", "UPS Ground", "7.40", 1, 5, False, "7117859084333745966"),
    ("7208502187360519984", "FedEx 2Day", "14.20", 2, 2, False, "7129736293356391198"),
)
DOCUMENT_TYPES = frozenset(
    {
        "SHIPPING_LABEL",
        "PACKING_SLIP",
        "SHIPPING_LABEL_AND_PACKING_SLIP",
        "SHIPPING_LABEL_PICTURE",
        "HAZMAT_LABEL",
        "INVOICE_LABEL",
    }
)


def _tiktok_order(sim: TikTokShopSimulator, call: Call) -> Order:
    order = find_order(sim, call)
    if order.shipping_type != "TIKTOK":
        raise business(
            21011037,
            "There are no available shipping services for this request. "
            "Please modify the package weight or check the order.",
        )
    if order.status in SHIPPED_STATUSES or any(p.tiktok_label for p in order.packages):
        raise business(21011006, "These orders are already shipped.")
    ready_to_ship(order)
    return order


def _weight(call: Call) -> dict[str, str]:
    weight = call.body.get("weight")
    if isinstance(weight, dict) and isinstance(weight.get("value"), str):
        return {"value": weight["value"], "unit": str(weight.get("unit") or "POUND")}
    return {"value": "1", "unit": "POUND"}


def _dimension(call: Call) -> dict[str, str]:
    dim = call.body.get("dimension")
    if isinstance(dim, dict) and all(isinstance(dim.get(k), str) for k in ("length", "width")):
        return {k: str(dim.get(k) or "") for k in ("length", "width", "height")} | {
            "unit": str(dim.get("unit") or "INCH")
        }
    return {"length": "10", "width": "8", "height": "4", "unit": "INCH"}


def _service(row: tuple[str, str, str, int, int, bool, str]) -> dict[str, object]:
    sid, name, price, early, late, default, provider = row
    return {
        "id": sid,
        "name": name,
        "price": price,
        "currency": "USD",
        "earliest_delivery_days": early,
        "latest_delivery_days": late,
        "is_default": default,
        "shipping_provider_id": provider,
        "shipping_provider_name": PROVIDERS[provider].name,
    }


def shipping_services(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /fulfillment/202309/orders/{order_id}/shipping_services/query."""
    order = _tiktok_order(sim, call)
    return {
        "order_id": order.id,
        "order_line_id": [line.id for line in order.lines],
        "weight": _weight(call),
        "dimension": _dimension(call),
        "shipping_services": [_service(row) for row in TIKTOK_SERVICES],
    }


def create_packages(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /fulfillment/202309/packages: buy a TikTok Shipping label (one package)."""
    call.path_params["order_id"] = str(call.body.get("order_id") or "")
    order = _tiktok_order(sim, call)
    service_id = call.body.get("shipping_service_id") or TIKTOK_SERVICES[0][0]
    row = next((r for r in TIKTOK_SERVICES if r[0] == service_id), None)
    if row is None:
        raise business(21004008, "create label shipping service not found")
    service = _service(row)
    del service["is_default"]
    provider = PROVIDERS[row[6]]
    package = sim.new_package(order, [line.id for line in order.lines], "", provider)
    package.tiktok_label = True
    package.shipping_service = service
    package.weight, package.dimension = _weight(call), _dimension(call)
    sim.label_purchases[package.id] += 1
    return {
        "order_id": order.id,
        "order_line_item_ids": package.line_ids,
        "package_id": package.id,
        "shipping_service_info": service,
        "weight": package.weight,
        "dimension": package.dimension,
        "create_time": package.create_time,
    }


def shipping_document(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """GET /fulfillment/202309/packages/{package_id}/shipping_documents."""
    package = find_package(sim, call)
    if not package.tiktok_label:
        raise business(
            21008017,
            "This API is only applicable to TikTok Shipping orders. For "
            "seller shipping, please obtain the shipping label yourself.",
        )
    kind = call.query.get("document_type", "")
    if kind not in DOCUMENT_TYPES:
        raise ApiError(
            21001001,
            "Invalid parameters. Please ensure you are passing the correct request parameter(s).",
        )
    url = f"{call.base_url}/sandbox/documents/{package.id}-{kind.lower()}.pdf"
    return {"doc_url": url, "tracking_number": package.tracking_number}
