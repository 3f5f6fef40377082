"""Orders as TikTok renders them (202309 shape), with US address masking by status."""

from __future__ import annotations

from creatorflow.sandbox.tiktok.model import (
    AWAITING_COLLECTION,
    CANCELLED,
    COMPLETED,
    DELIVERED,
    IN_TRANSIT,
    ON_HOLD,
    PARTIALLY_SHIPPING,
    UNPAID,
    Address,
    Line,
    Order,
)

DAY = 86400
# Per §5.3: UNPAID and CANCELLED orders come masked; ON_HOLD ones come with the address emptied.
MASKED_STATUSES = frozenset({UNPAID, CANCELLED})
PACKAGE_STATUS = {
    PARTIALLY_SHIPPING: "PROCESSING",
    AWAITING_COLLECTION: "PROCESSING",
    IN_TRANSIT: "FULFILLING",
    DELIVERED: "COMPLETED",
    COMPLETED: "COMPLETED",
}


def mask_text(value: str) -> str:
    """TikTok's masking of a name-like value: ``Jason`` → ``J***n``."""
    if len(value) <= 1:
        return "*" * len(value)
    if len(value) == 2:
        return value[0] + "*"
    return f"{value[0]}***{value[-1]}"


def mask_phone(phone: str) -> str:
    """``(+1)2135550150`` → ``(+1)213*****50``."""
    prefix, _, number = phone.rpartition(")")
    return f"{prefix})" + number[:3] + "*" * (len(number) - 5) + number[-2:]


def district_info(address: Address, *, mask_city: bool) -> list[dict[str, str]]:
    """US levels: L0 country, L1 state, L2 county, L3 city (there is no ``city`` field)."""
    city = mask_text(address.city) if mask_city else address.city
    return [
        {"address_level_name": "Country", "address_name": "United States", "address_level": "L0"},
        {"address_level_name": "State", "address_name": address.state, "address_level": "L1"},
        {"address_level_name": "County", "address_name": address.county, "address_level": "L2"},
        {"address_level_name": "City", "address_name": city, "address_level": "L3"},
    ]


def full_address(line1: str, line2: str, city: str, state_code: str, postal: str) -> str:
    """``1199 Coleman Ave Suite 100, San Jose, CA 95110``."""
    street = f"{line1} {line2}".strip()
    return f"{street}, {city}, {state_code} {postal}"


def recipient(order: Order) -> dict[str, object]:
    """The ``recipient_address`` object as the order's status allows it to be seen."""
    a = order.address
    platform = order.shipping_type == "TIKTOK"
    if order.status == ON_HOLD:
        return {
            "full_address": "",
            "phone_number": mask_phone(a.phone),
            "name": "",
            "first_name": "",
            "last_name": "",
            "address_detail": "",
            "address_line1": "",
            "address_line2": "",
            "postal_code": a.postal_code[:3] + "**",
            "region_code": "US",
            "district_info": [],
        }
    if order.status in MASKED_STATUSES:
        line1, line2 = "******", ("***" if a.line2 else "")
        postal = a.postal_code[:3] + "**"
        return {
            "full_address": full_address(line1, line2, mask_text(a.city), a.state_code, postal),
            "phone_number": mask_phone(a.phone),
            "name": mask_text(a.name),
            "first_name": mask_text(a.first_name),
            "last_name": mask_text(a.last_name),
            "address_detail": f"{line1} {line2}".strip(),
            "address_line1": line1,
            "address_line2": line2,
            "postal_code": postal,
            "region_code": "US",
            "district_info": district_info(a, mask_city=True),
            "delivery_preferences": {"drop_off_location": "***" if a.drop_off else ""},
        }
    return {
        "full_address": full_address(a.line1, a.line2, a.city, a.state_code, a.postal_code),
        "phone_number": mask_phone(a.phone) if platform else a.phone,
        "name": mask_text(a.name) if platform else a.name,
        "first_name": mask_text(a.first_name) if platform else a.first_name,
        "last_name": mask_text(a.last_name) if platform else a.last_name,
        "address_detail": f"{a.line1} {a.line2}".strip(),
        "address_line1": a.line1,
        "address_line2": a.line2,
        "postal_code": a.postal_code,
        "region_code": "US",
        "district_info": district_info(a, mask_city=False),
        "delivery_preferences": {"drop_off_location": a.drop_off},
    }


def line_status(order: Order, line: Line) -> str:
    """A line's ``display_status`` (ON_HOLD shows as AWAITING_SHIPMENT at line level)."""
    if order.status in (ON_HOLD, PARTIALLY_SHIPPING):
        return AWAITING_COLLECTION if line.package_id else "AWAITING_SHIPMENT"
    return order.status


def render_line(order: Order, line: Line, *, detail: bool) -> dict[str, object]:
    """One ``line_items`` entry."""
    sku = line.sku
    out: dict[str, object] = {
        "id": line.id,
        "sku_id": sku.id,
        "product_id": sku.product_id,
        "product_name": line.product_name,
        "sku_name": sku.name,
        "sku_image": sku.image,
        "seller_sku": sku.seller_sku,
        "original_price": line.original_price,
        "sale_price": line.sale_price,
        "seller_discount": line.seller_discount,
        "platform_discount": line.platform_discount,
        "currency": "USD",
        "display_status": line_status(order, line),
        "is_gift": line.is_gift,
        "sku_type": "NORMAL",
        "is_dangerous_good": False,
        "needs_prescription": False,
    }
    if line.tax_amount != "0.00":
        out["item_tax"] = [
            {"tax_type": "SALES_TAX", "tax_amount": line.tax_amount, "tax_rate": line.tax_rate}
        ]
    if line.is_gift:
        out["gift_retail_price"] = line.gift_retail_price
    if order.status == CANCELLED:
        out["cancel_reason"] = order.cancel_reason
        out["cancel_user"] = order.cancellation_initiator
    package = next((p for p in order.packages if p.id == line.package_id), None)
    if package is not None:
        out["package_id"] = package.id
        out["package_status"] = PACKAGE_STATUS.get(order.status, "PROCESSING")
        out["tracking_number"] = package.tracking_number
        out["shipping_provider_id"] = package.provider_id
        out["shipping_provider_name"] = package.provider_name
        out["rts_time"] = package.create_time
    if detail and sku.combined:
        out["combined_listing_skus"] = [
            {
                "sku_id": part.id,
                "sku_count": count,
                "product_id": part.product_id,
                "seller_sku": part.seller_sku,
            }
            for part, count in sku.combined
        ]
    return out


def render_order(order: Order, *, detail: bool) -> dict[str, object]:
    """The whole order; list entries lack the payment-method details and bundle SKUs."""
    created = order.create_time
    out: dict[str, object] = {
        "id": order.id,
        "status": order.status,
        "create_time": created,
        "update_time": order.update_time,
        "user_id": order.user_id,
        "buyer_email": order.buyer_email,
        "buyer_message": order.buyer_message,
        "seller_note": "",
        "payment": order.payment,
        "payment_method_name": order.payment_method[0],
        "recipient_address": recipient(order),
        "line_items": [render_line(order, line, detail=detail) for line in order.lines],
        "packages": [{"id": p.id} for p in order.packages],
        "shipping_type": order.shipping_type,
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "delivery_type": "HOME_DELIVERY",
        "delivery_option_id": order.delivery_option_id,
        "delivery_option_name": order.delivery_option_name,
        "warehouse_id": order.warehouse_id,
        "commerce_platform": "TIKTOK_SHOP",
        "order_type": "NORMAL",
        "is_cod": False,
        "is_sample_order": False,
        "is_replacement_order": False,
        "is_exchange_order": False,
        "is_buyer_request_cancel": False,
        "is_on_hold_order": order.is_on_hold_order,
        "has_updated_recipient_address": False,
        "rts_sla_time": created + 3 * DAY,
        "tts_sla_time": created + 4 * DAY,
        "shipping_due_time": created + 5 * DAY,
        "collection_due_time": created + 7 * DAY,
        "delivery_sla_time": created + 8 * DAY,
        "delivery_option_required_delivery_time": created + 10 * DAY,
        "delivery_due_time": created + 20 * DAY,
    }
    if order.paid_time:
        out["paid_time"] = order.paid_time
    if order.packages:
        first = order.packages[0]
        out["tracking_number"] = first.tracking_number
        out["shipping_provider"] = first.provider_name
        out["shipping_provider_id"] = first.provider_id
        out["rts_time"] = order.rts_time
    if order.collection_time:
        out["collection_time"] = order.collection_time
    if order.delivery_time:
        out["delivery_time"] = order.delivery_time
    if order.status == CANCELLED:
        out["cancel_reason"] = order.cancel_reason
        out["cancellation_initiator"] = order.cancellation_initiator
        out["cancel_time"] = order.cancel_time
    if detail:
        _, code, card_type, auth = order.payment_method
        out["payment_method_code"] = code
        if card_type:
            out["payment_card_type"] = card_type
        out["payment_auth_code"] = auth
    return out
