"""Typed TikTok Shop API responses: the envelope, orders (202309) and authorized shops.

Field names follow TikTok's own response field lists (reference tiktok-shop.md §4, §5, §9.1).
Every field but an object's ``id`` is optional: TikTok leaves out what does not apply to a
market or an order state (addresses are empty while ``ON_HOLD``, ``package_id`` is missing
before shipping for US/UK local sellers). Enumerations stay ``str`` so that values added by
TikTok later still decode; compare with :class:`OrderStatus` through :func:`order_status`.
Amounts stay decimal strings and times Unix seconds, as TikTok sends them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import msgspec

from creatorflow.errors import ProviderError

__all__ = [
    "AuthorizedShopsData",
    "CombinedListingSku",
    "DeliveryPreferences",
    "DistrictInfo",
    "Envelope",
    "HandlingDuration",
    "ItemTax",
    "LineItem",
    "Order",
    "OrderDetailData",
    "OrderSearchData",
    "OrderStatus",
    "Package",
    "Payment",
    "RecipientAddress",
    "Shop",
    "TikTokDecodeError",
    "decode_data",
    "decode_envelope",
    "order_status",
]

T = TypeVar("T")


class TikTokDecodeError(ProviderError):
    """A TikTok Shop response is not JSON or does not have the documented shape."""

    title = "Unexpected TikTok response"


class Envelope(msgspec.Struct, kw_only=True):
    """The wrapper of every TikTok Shop response; ``code`` 0 means success.

    ``data`` is kept undecoded (``None`` when absent or ``null``) so that the caller can
    check ``code`` first and then pick the model with :func:`decode_data`.
    """

    code: int
    message: str = ""
    request_id: str | None = None
    data: msgspec.Raw | None = None


class _WireEnvelope(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    # msgspec cannot decode ``Raw | None``; an empty Raw marks a missing ``data``.
    code: int
    message: str = ""
    request_id: str | None = None
    data: msgspec.Raw = msgspec.Raw()


# gc=False: decoded responses are trees that never form reference cycles, so the cyclic
# collector need not track them; a 20,000-order sync allocates millions of them.
class _Model(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, gc=False):
    pass


class OrderStatus(StrEnum):
    """Order statuses of the 202309 Order API (reference §5.4)."""

    UNPAID = "UNPAID"
    ON_HOLD = "ON_HOLD"
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
    AWAITING_COLLECTION = "AWAITING_COLLECTION"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


def order_status(value: str) -> OrderStatus | None:
    """The known status for ``value``, or ``None`` for one this version does not know."""
    try:
        return OrderStatus(value)
    except ValueError:
        return None


class Package(_Model):
    """A package of an order; only its id is listed on the order."""

    id: str


class Payment(_Model):
    """An order's money breakdown; every amount is a decimal string in ``currency``."""

    currency: str | None = None
    sub_total: str | None = None
    shipping_fee: str | None = None
    seller_discount: str | None = None
    platform_discount: str | None = None
    total_amount: str | None = None
    original_total_product_price: str | None = None
    original_shipping_fee: str | None = None
    shipping_fee_seller_discount: str | None = None
    shipping_fee_platform_discount: str | None = None
    shipping_fee_cofunded_discount: str | None = None
    tax: str | None = None
    small_order_fee: str | None = None
    shipping_fee_tax: str | None = None
    product_tax: str | None = None
    retail_delivery_fee: str | None = None
    buyer_service_fee: str | None = None
    handling_fee: str | None = None
    shipping_insurance_fee: str | None = None
    item_insurance_fee: str | None = None
    item_insurance_tax: str | None = None


class DistrictInfo(_Model):
    """One level of an address (``L0`` country … ``L3`` city in the US)."""

    address_level_name: str | None = None
    address_name: str | None = None
    address_level: str | None = None


class DeliveryPreferences(_Model):
    """Buyer delivery wishes attached to the address."""

    drop_off_location: str | None = None


class RecipientAddress(_Model):
    """Where the order ships; parts are masked or empty in some order states (§5.3).

    There is no city or state field: derive them from :attr:`district_info`.
    """

    full_address: str | None = None
    phone_number: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    first_name_local_script: str | None = None
    last_name_local_script: str | None = None
    address_detail: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    address_line4: str | None = None
    district_info: list[DistrictInfo] = msgspec.field(default_factory=list)
    delivery_preferences: DeliveryPreferences | None = None
    postal_code: str | None = None
    region_code: str | None = None
    post_town: str | None = None


class CombinedListingSku(_Model):
    """A SKU inside a virtual bundle line item."""

    sku_id: str | None = None
    sku_count: int | None = None
    product_id: str | None = None
    seller_sku: str | None = None


class ItemTax(_Model):
    """A tax charged on a line item."""

    tax_type: str | None = None
    tax_amount: str | None = None
    tax_rate: str | None = None


class LineItem(_Model):
    """One unit of a SKU: TikTok has no quantity, three units are three line items."""

    id: str
    sku_id: str | None = None
    combined_listing_skus: list[CombinedListingSku] = msgspec.field(default_factory=list)
    display_status: str | None = None
    product_name: str | None = None
    seller_sku: str | None = None
    sku_image: str | None = None
    sku_name: str | None = None
    product_id: str | None = None
    sale_price: str | None = None
    pfand_fee: str | None = None
    platform_discount: str | None = None
    seller_discount: str | None = None
    sku_type: str | None = None
    cancel_reason: str | None = None
    original_price: str | None = None
    rts_time: int | None = None
    package_status: str | None = None
    currency: str | None = None
    shipping_provider_name: str | None = None
    cancel_user: str | None = None
    shipping_provider_id: str | None = None
    is_gift: bool | None = None
    item_tax: list[ItemTax] = msgspec.field(default_factory=list)
    tracking_number: str | None = None
    package_id: str | None = None
    retail_delivery_fee: str | None = None
    buyer_service_fee: str | None = None
    small_order_fee: str | None = None
    handling_duration_days: str | None = None
    is_dangerous_good: bool | None = None
    needs_prescription: bool | None = None
    gift_retail_price: str | None = None


class HandlingDuration(_Model):
    """Time a pre-order or made-to-order item needs before it can ship."""

    days: str | None = None
    type: str | None = None


class Order(_Model):
    """An order as Search Orders and Get Order Detail return it (202309).

    Search results lack the ``payment_*`` codes and ``channel_entity_national_registry_id``;
    only Search returns ``fulfillment_priority_level`` and ``recommended_shipping_time``.
    """

    id: str
    status: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    paid_time: int | None = None
    rts_sla_time: int | None = None
    tts_sla_time: int | None = None
    rts_time: int | None = None
    shipping_due_time: int | None = None
    collection_due_time: int | None = None
    delivery_due_time: int | None = None
    delivery_sla_time: int | None = None
    delivery_option_required_delivery_time: int | None = None
    collection_time: int | None = None
    delivery_time: int | None = None
    pick_up_cut_off_time: int | None = None
    fast_dispatch_sla_time: int | None = None
    cancel_order_sla_time: int | None = None
    request_cancel_time: int | None = None
    cancel_time: int | None = None
    release_date: int | None = None
    recommended_shipping_time: int | None = None
    is_on_hold_order: bool | None = None
    is_sample_order: bool | None = None
    is_replacement_order: bool | None = None
    replaced_order_id: str | None = None
    is_exchange_order: bool | None = None
    exchange_source_order_id: str | None = None
    is_cod: bool | None = None
    is_buyer_request_cancel: bool | None = None
    has_updated_recipient_address: bool | None = None
    buyer_message: str | None = None
    seller_note: str | None = None
    buyer_email: str | None = None
    user_id: str | None = None
    payment: Payment | None = None
    payment_method_name: str | None = None
    payment_method_code: str | None = None
    payment_card_type: str | None = None
    payment_auth_code: str | None = None
    recipient_address: RecipientAddress | None = None
    line_items: list[LineItem] = msgspec.field(default_factory=list)
    packages: list[Package] = msgspec.field(default_factory=list)
    delivery_option_id: str | None = None
    delivery_option_name: str | None = None
    delivery_type: str | None = None
    shipping_type: str | None = None
    fulfillment_type: str | None = None
    shipping_provider: str | None = None
    shipping_provider_id: str | None = None
    tracking_number: str | None = None
    warehouse_id: str | None = None
    split_or_combine_tag: str | None = None
    auto_combine_group_id: str | None = None
    cancel_reason: str | None = None
    cancellation_initiator: str | None = None
    order_type: str | None = None
    handling_duration: HandlingDuration | None = None
    commerce_platform: str | None = None
    need_upload_invoice: str | None = None
    cpf: str | None = None
    cpf_name: str | None = None
    channel_entity_national_registry_id: str | None = None
    fast_delivery_program: str | None = None
    fulfillment_priority_level: int | None = None
    consultation_id: str | None = None


class OrderSearchData(_Model):
    """``data`` of Search Orders; an empty or missing ``next_page_token`` ends the listing."""

    orders: list[Order] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
    total_count: int | None = None


class OrderDetailData(_Model):
    """``data`` of Get Order Detail."""

    orders: list[Order] = msgspec.field(default_factory=list)


class Shop(_Model):
    """A shop the seller authorized; ``cipher`` goes into the ``shop_cipher`` parameter."""

    id: str
    name: str | None = None
    region: str | None = None
    seller_type: str | None = None
    cipher: str | None = None
    code: str | None = None


class AuthorizedShopsData(_Model):
    """``data`` of Get Authorized Shops."""

    shops: list[Shop] = msgspec.field(default_factory=list)


def decode_envelope(raw: bytes) -> Envelope:
    """Decode a response body into its envelope, leaving ``data`` undecoded.

    Args:
        raw: The response body, whatever the HTTP status (errors carry an envelope too).

    Returns:
        The envelope; ``data`` is ``None`` when the body has none or it is ``null``.

    Raises:
        TikTokDecodeError: The body is not JSON or lacks an integer ``code``.
    """
    try:
        wire = msgspec.json.decode(raw, type=_WireEnvelope)
    # msgspec raises UnicodeDecodeError, not a MsgspecError, for a string that is not UTF-8.
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as exc:
        raise TikTokDecodeError(
            f"TikTok sent a body that is not an API response: {exc}",
            hint="TikTok may be down or a proxy may be in the way; try again later.",
        ) from exc
    raw = wire.data
    # Compare sizes first: copying a whole page of orders to test for "null" is waste.
    data = None if len(raw) == 0 or (len(raw) == 4 and bytes(raw) == b"null") else raw
    return Envelope(code=wire.code, message=wire.message, request_id=wire.request_id, data=data)


def decode_data(envelope: Envelope, type_: type[T]) -> T:
    """Decode an envelope's ``data`` into ``type_`` (for example :class:`OrderSearchData`).

    Args:
        envelope: A successful envelope from :func:`decode_envelope`.
        type_: The model of the endpoint's ``data``.

    Returns:
        The decoded data. Unknown fields are ignored.

    Raises:
        TikTokDecodeError: ``data`` is missing, or a field has another type than the
            documented one; the message names the field's path.
    """
    request = f" (request_id {envelope.request_id})" if envelope.request_id else ""
    if envelope.data is None:
        raise TikTokDecodeError(f"TikTok sent no data{request}.")
    try:
        return msgspec.json.decode(envelope.data, type=type_)
    except msgspec.ValidationError as exc:
        # msgspec paths start at ``data``; make them read as paths into the whole body.
        detail = str(exc).replace("`$", "`$.data")
        raise TikTokDecodeError(
            f"TikTok sent data that does not fit {type_.__name__}{request}: {detail}",
            hint="TikTok may have changed this API; report it with the request id.",
        ) from exc
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as exc:
        raise TikTokDecodeError(f"TikTok sent unreadable data{request}: {exc}") from exc
