"""Seller fulfilment: shipping providers, Mark Package As Shipped, tracking fixes, packages.

Business errors answer HTTP 200 with TikTok's code (see ``errors``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from creatorflow.sandbox.tiktok.errors import NOT_OWNED, business
from creatorflow.sandbox.tiktok.model import (
    AWAITING_SHIPMENT,
    CANCELLED,
    DELIVERED,
    ON_HOLD,
    PARTIALLY_SHIPPING,
    UNPAID,
    Order,
    Package,
)
from creatorflow.sandbox.tiktok.render import PACKAGE_STATUS

if TYPE_CHECKING:
    from creatorflow.sandbox.tiktok.model import Call
    from creatorflow.sandbox.tiktok.simulator import TikTokShopSimulator

UPDATE_WINDOW = 72 * 3600


@dataclass(frozen=True)
class Provider:
    """A shipping provider and the tracking numbers it issues."""

    id: str
    name: str
    pattern: re.Pattern[str]


PROVIDERS = {
    p.id: p
    for p in (
        Provider("7117858858072016686", "USPS", re.compile(r"9[2-5]\d{20}")),
        Provider("7117859084333745966", "UPS", re.compile(r"1Z[0-9A-Z]{16}")),
        Provider("7129736293356391198", "FedEx", re.compile(r"\d{12}|\d{15}|\d{20}")),
        Provider("7212608507307099946", "DHL eCommerce", re.compile(r"GM\d{16,18}|420\d{27,31}")),
        Provider("7117860040710686510", "OnTrac", re.compile(r"[CD]\d{14}")),
        Provider("7248600717110282027", "Amazon Logistics", re.compile(r"TBA\d{12}")),
    )
}
STANDARD, EXPRESS, TIKTOK_OPTION = (
    "7091146663229654785",
    "7091146663229654786",
    "7091146663229654787",
)
OPTION_PROVIDERS = {
    STANDARD: list(PROVIDERS),
    EXPRESS: ["7117859084333745966", "7129736293356391198"],
}
TRACKING_CHARS = re.compile(r"[A-Za-z0-9]+")
ON_HOLD_ERROR = (21011044, "Order status is on hold, please try again later.")
ALREADY_SHIPPED = (21011020, "These orders are already shipped.")
CANCELLED_ERROR = (21011041, "Cannot complete the operation when order is cancelled.")


def find_order(sim: TikTokShopSimulator, call: Call) -> Order:
    """The path's order, if it belongs to the calling shop (21008111 otherwise)."""
    order = sim.book.orders.get(call.path_params.get("order_id", ""))
    if order is None or order.shop_id != call.shop.id:
        raise business(*NOT_OWNED)
    return order


def find_package(sim: TikTokShopSimulator, call: Call) -> Package:
    """The path's package, if it belongs to the calling shop (21008111 otherwise)."""
    package = sim.packages.get(call.path_params.get("package_id", ""))
    if package is None or package.shop_id != call.shop.id:
        raise business(*NOT_OWNED)
    return package


def shipping_providers(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """GET /logistics/202309/delivery_options/{id}/shipping_providers."""
    option = call.path_params["delivery_option_id"]
    if option == TIKTOK_OPTION:
        raise business(
            21008117,
            "The delivery of the specified delivery_option_id is fulfilled by TikTok. "
            "No shipping provider is available.",
        )
    if option not in OPTION_PROVIDERS:
        raise business(21008116, "No Subscription without specified delivery option.")
    providers = [{"id": p, "name": PROVIDERS[p].name} for p in OPTION_PROVIDERS[option]]
    return {"shipping_providers": providers}


def _check_tracking(order: Order, tracking: object, provider_id: object) -> Provider:
    if not isinstance(tracking, str) or not tracking or not isinstance(provider_id, str):
        raise business(
            21011022, "Invalid tracking number or provider ID. Please double check and try again."
        )
    if not TRACKING_CHARS.fullmatch(tracking):
        raise business(21004012, "Tracking number has special characters, verify failed.")
    if provider_id not in OPTION_PROVIDERS.get(order.delivery_option_id, []):
        raise business(
            21011022, "Invalid tracking number or provider ID. Please double check and try again."
        )
    return PROVIDERS[provider_id]


def _warning(provider: Provider, tracking: str) -> dict[str, str] | None:
    if provider.pattern.fullmatch(tracking):
        return None
    matches = [p for p in PROVIDERS.values() if p.pattern.fullmatch(tracking)]
    if not matches:
        return {
            "message": "No logistics provider could be found for this tracking number. "
            "Please check the tracking number and selected logistics provider."
        }
    if len(matches) > 1:
        return {
            "message": "This tracking number matches multiple logistics providers. "
            "Please check that you selected the right logistics provider."
        }
    return {
        "message": "The tracking number does not match your selected logistics provider. "
        f"Did you mean to select {matches[0].name}?"
    }


def mark_shipped(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /fulfillment/202309/orders/{order_id}/packages (Mark Package As Shipped)."""
    order = find_order(sim, call)
    sim.ship_calls[order.id] += 1
    if order.shipping_type == "TIKTOK":
        raise business(21008025, "Seller cannot operate orders which are fulfilled by platform")
    ready_to_ship(order)
    tracking, provider_id = call.body.get("tracking_number"), call.body.get("shipping_provider_id")
    provider = _check_tracking(order, tracking, provider_id)
    assert isinstance(tracking, str)
    owner = sim.tracking_numbers.get(tracking)
    if owner is not None and owner != order.id:
        raise business(21011025, "Duplicate tracking number.")
    unshipped = [line.id for line in order.lines if not line.package_id]
    wanted = call.body.get("order_line_item_ids") or unshipped
    if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
        raise business(
            21001001,
            "Invalid parameters. Please ensure you are passing the correct request parameter(s).",
        )
    known = {line.id: line for line in order.lines}
    if any(i not in known for i in wanted):
        raise business(21011029, "order does not belong to fulfill unit")
    if any(known[i].package_id for i in wanted):
        raise business(*ALREADY_SHIPPED)
    package = sim.new_package(order, list(wanted), tracking, provider)
    data: dict[str, object] = {
        "order_id": order.id,
        "order_line_item_ids": package.line_ids,
        "package_id": package.id,
    }
    warning = _warning(provider, tracking)
    if warning is not None:
        data["warning"] = warning
    return data


def ready_to_ship(order: Order) -> None:
    """Refuse orders that cannot ship now: cancelled, on hold, unpaid or already shipped."""
    if order.status == CANCELLED:
        raise business(*CANCELLED_ERROR)
    if order.status == ON_HOLD:
        raise business(*ON_HOLD_ERROR)
    if order.status == UNPAID:
        raise business(
            21042057,
            "These orders are not in the Awaiting shipment status. "
            "Couldn't create labels for them.",
        )
    if order.status not in (AWAITING_SHIPMENT, PARTIALLY_SHIPPING):
        raise business(*ALREADY_SHIPPED)


def update_shipping_info(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /fulfillment/202309/orders/{order_id}/shipping_info/update: once, within 72 h."""
    order = find_order(sim, call)
    if order.status == CANCELLED:
        raise business(*CANCELLED_ERROR)
    if order.shipping_type == "TIKTOK":
        raise business(
            21011004,
            "This API cannot be used to update package shipping "
            "information for packages that are not shipped by seller.",
        )
    if not order.packages:
        raise business(21011043, "The package has not been shipped yet.")
    if order.status == DELIVERED:
        raise business(
            21011030,
            "Package has already been delivered. If you would still like "
            "to update the tracking number, please contact the platform.",
        )
    package = order.packages[0]
    now = sim.clock_now()
    if now - package.create_time > UPDATE_WINDOW:
        raise business(
            21011049,
            "Due to platform rule limitations, you are unable to update the tracking number.",
        )
    if package.tracking_updates >= 1:
        raise business(21011051, "The tracking number can only be updated once.")
    tracking = call.body.get("tracking_number")
    provider = _check_tracking(order, tracking, call.body.get("shipping_provider_id"))
    assert isinstance(tracking, str)
    owner = sim.tracking_numbers.get(tracking)
    if owner is not None and owner != order.id:
        raise business(21011025, "Duplicate tracking number.")
    sim.tracking_numbers.pop(package.tracking_number, None)
    sim.tracking_numbers[tracking] = order.id
    package.tracking_number, package.provider_id = tracking, provider.id
    package.provider_name = provider.name
    package.tracking_updates += 1
    package.update_time = now
    sim.book.changed(order, now)
    return {}


def package_detail(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """GET /fulfillment/202309/packages/{package_id}."""
    package = find_package(sim, call)
    order = sim.book.orders[package.order_id]
    lines = [line for line in order.lines if line.id in package.line_ids]
    a, shop = order.address, call.shop
    data: dict[str, object] = {
        "package_id": package.id,
        "orders": [{"id": order.id}],
        "package_status": PACKAGE_STATUS.get(order.status, "PROCESSING"),
        "split_and_combine_tag": "DEFAULT",
        "has_multi_skus": len({line.sku.id for line in lines}) > 1,
        "note_tag": "BUYER_NOTED" if order.buyer_message else "BUYER_UNNOTED",
        "shipping_provider_name": package.provider_name,
        "shipping_provider_id": package.provider_id,
        "shipping_type": order.shipping_type,
        "delivery_option_name": order.delivery_option_name,
        "delivery_option_id": order.delivery_option_id,
        "tracking_number": package.tracking_number,
        "create_time": package.create_time,
        "update_time": max(package.update_time, order.update_time),
        "handover_method": "DROP_OFF",
        "order_line_item_ids": package.line_ids,
        "recipient_address": {
            "full_address": f"{a.line1} {a.line2}".strip() + f", {a.city}, {a.state_code} "
            f"{a.postal_code}",
            "phone_number": a.phone,
            "name": a.name,
            "postal_code": a.postal_code,
            "address_detail": f"{a.line1} {a.line2}".strip(),
            "region_code": "US",
            "address_line1": a.line1,
            "address_line2": a.line2,
        },
        "sender_address": {
            "full_address": "2150 E 37th St, Los Angeles, CA 90058",
            "phone_number": "(+1)2135550100",
            "name": shop.name,
            "postal_code": "90058",
            "address_detail": "2150 E 37th St",
            "region_code": "US",
            "address_line1": "2150 E 37th St",
            "address_line2": "",
        },
    }
    if package.weight is not None:
        data["weight"] = package.weight
    if package.dimension is not None:
        data["dimension"] = package.dimension
    return data


def tracking(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """GET /fulfillment/202309/orders/{order_id}/tracking (times in milliseconds, newest first)."""
    order = find_order(sim, call)
    events: list[dict[str, object]] = []
    if order.packages:
        events.append(
            {
                "description": "Shipping label created, awaiting carrier pickup",
                "update_time_millis": order.packages[0].create_time * 1000,
            }
        )
    if order.collection_time:
        events.append(
            {
                "description": "Package picked up by carrier",
                "update_time_millis": order.collection_time * 1000,
            }
        )
        events.append(
            {
                "description": "In transit to the next facility",
                "update_time_millis": (order.collection_time + 5 * 3600) * 1000,
            }
        )
    if order.delivery_time:
        events.append(
            {
                "description": "Delivered, in/at mailbox",
                "update_time_millis": order.delivery_time * 1000,
            }
        )
    now_ms = sim.clock_now() * 1000
    events = [
        e
        for e in events
        if isinstance(e["update_time_millis"], int) and e["update_time_millis"] <= now_ms
    ]
    return {"tracking": list(reversed(events))}
