"""TikTok's order (202309 shape) → the :class:`OrderRecord` CreatorFlow stores.

Everything a stored order must have is checked here, before any write: an order that fails
raises :class:`UnusableRecord` with a reason a human can read, and the sync quarantines it
with its raw JSON while the rest of the page lands.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from creatorflow.domain.orders import MASKED_STATUSES, LineRecord, OrderRecord, looks_masked
from creatorflow.integrations.tiktok.models import DistrictInfo, LineItem, Order

__all__ = [
    "MAX_RAW_BYTES",
    "UnusableRecord",
    "is_order_id",
    "map_order",
    "parse_amount",
    "parse_time",
]

#: Larger order payloads are refused: a real order is a few kilobytes.
MAX_RAW_BYTES = 512 * 1024
_MAX_AMOUNT = Decimal(10) ** 11
_MAX_TEXT = 4096
#: What an order id may be made of.
_PLAIN_ID = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
#: Unix seconds accepted as an order time: 2000-01-01 … 2100-01-01.
_TIME_RANGE = (946_684_800, 4_102_444_800)


class UnusableRecord(ValueError):
    """A TikTok record that cannot be stored; ``str()`` is the reason."""


def is_order_id(value: str) -> bool:
    """Whether ``value`` can be an order id: 1 to 64 ASCII letters, digits, ``_`` or ``-``,
    not starting with ``-`` (a file named so reads as an option to a command).

    TikTok's are digits. Anything else (``:``, ``/``, spaces, controls) would break the
    journal's keys (``label:{shop}:{order}:…``), the file names made from the id and the URLs
    that carry it, so such an order is quarantined and such a webhook names no order.
    """
    return 0 < len(value) <= 64 and _PLAIN_ID.issuperset(value) and value[0] != "-"


def parse_amount(text: str | None, what: str, *, required: bool = True) -> Decimal | None:
    """A TikTok money string as an exact Decimal (finite, ≤ 4 places, below 10^11)."""
    if text is None or text == "":
        if required:
            raise UnusableRecord(f"{what} is missing")
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise UnusableRecord(f"{what} is not an amount: {text[:40]!r}") from None
    if not value.is_finite() or abs(value) >= _MAX_AMOUNT:
        raise UnusableRecord(f"{what} is out of range: {text[:40]!r}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise UnusableRecord(f"{what} has more than four decimal places: {text[:40]!r}")
    return value


def parse_time(seconds: int | None, what: str, *, required: bool = False) -> datetime | None:
    """TikTok Unix seconds as an aware UTC datetime; zero and absent mean "not set"."""
    if not seconds:
        if required:
            raise UnusableRecord(f"{what} is missing")
        return None
    if not _TIME_RANGE[0] <= seconds <= _TIME_RANGE[1]:
        raise UnusableRecord(f"{what} is not a plausible time: {seconds}")
    return datetime.fromtimestamp(seconds, UTC)


def _text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        raise UnusableRecord(f"{what} contains a NUL character")
    if len(value) > _MAX_TEXT:
        raise UnusableRecord(f"{what} is {len(value)} characters long")
    return value or None


def _line(item: LineItem, currency: str) -> LineRecord:
    where = f"line item {item.id}"
    sku_id = _text(item.sku_id, f"{where} sku_id")
    if not sku_id:
        raise UnusableRecord(f"{where} has no sku_id")
    price = parse_amount(item.sale_price, f"{where} sale_price")
    assert price is not None
    return LineRecord(
        id=_text(item.id, where) or item.id,
        sku_id=sku_id,
        product_id=_text(item.product_id, f"{where} product_id") or "",
        product_name=_text(item.product_name, f"{where} product_name") or "",
        unit_price=price,
        currency=_currency(item.currency, f"{where} currency") if item.currency else currency,
        seller_sku=_text(item.seller_sku, f"{where} seller_sku"),
        sku_name=_text(item.sku_name, f"{where} sku_name"),
        original_price=parse_amount(item.original_price, f"{where} original_price", required=False),
        package_id=_text(item.package_id, f"{where} package_id"),
        is_gift=bool(item.is_gift),
        display_status=_text(item.display_status, f"{where} display_status"),
        cancel_reason=_text(item.cancel_reason, f"{where} cancel_reason"),
    )


def _country(code: str | None) -> str | None:
    code = _text(code, "region_code")
    if code is not None and (len(code) != 2 or not code.isalpha()):
        raise UnusableRecord(f"region_code is not a country code: {code[:20]!r}")
    return code


def _currency(code: str | None, what: str) -> str:
    code = _text(code, what)
    if code is None or len(code) != 3 or not code.isalpha():
        raise UnusableRecord(f"{what} is not a currency code: {code!r}")
    return code


def _level(districts: list[DistrictInfo], level: str) -> str | None:
    for district in districts:
        if district.address_level == level:
            return _text(district.address_name, f"district {level}")
    return None


def map_order(order: Order, raw: bytes, shop_id: str) -> OrderRecord:
    """Check and convert one TikTok order.

    Args:
        order: The decoded order.
        raw: Its JSON exactly as TikTok sent it (kept in ``raw``).
        shop_id: The shop it was listed under.

    Raises:
        UnusableRecord: a field the store needs is missing, malformed or implausible.
    """
    if len(raw) > MAX_RAW_BYTES:
        raise UnusableRecord(f"the order is {len(raw)} bytes of JSON")
    if not is_order_id(order.id):
        raise UnusableRecord(f"the order id is empty or malformed: {order.id[:40]!r}")
    status = _text(order.status, "status")
    if not status:
        raise UnusableRecord("status is missing")
    created = parse_time(order.create_time, "create_time", required=True)
    updated = parse_time(order.update_time, "update_time", required=True)
    assert created is not None
    assert updated is not None
    payment = order.payment
    if payment is None:
        raise UnusableRecord("payment is missing")
    currency = _currency(payment.currency, "payment.currency")
    total = parse_amount(payment.total_amount, "payment.total_amount")
    assert total is not None
    lines = tuple(_line(item, currency) for item in order.line_items)
    if len({line.id for line in lines}) != len(lines):
        raise UnusableRecord("two line items share an id")
    address = order.recipient_address
    districts = address.district_info if address is not None else []
    name = _text(address.name, "recipient name") if address else None
    line1 = _text(address.address_line1, "address_line1") if address else None
    masked = status in MASKED_STATUSES or looks_masked(name, line1)
    return OrderRecord(
        id=order.id,
        shop_id=shop_id,
        status=status,
        created_at=created,
        updated_at=updated,
        total_amount=total,
        currency=currency,
        lines=lines,
        paid_at=parse_time(order.paid_time, "paid_time"),
        # The latest time to ship (rts_sla_time) is the seller's deadline; shipping_due_time
        # is when TikTok auto-cancels, later still.
        shipping_due_at=parse_time(order.rts_sla_time or order.shipping_due_time, "rts_sla_time"),
        collection_due_at=parse_time(order.collection_due_time, "collection_due_time"),
        delivery_due_at=parse_time(order.delivery_due_time, "delivery_due_time"),
        shipping_fee=parse_amount(payment.shipping_fee, "payment.shipping_fee", required=False),
        buyer_cancel_requested=bool(order.is_buyer_request_cancel),
        address_masked=masked,
        recipient_name=name,
        recipient_phone=_text(address.phone_number, "phone_number") if address else None,
        address_line1=line1,
        address_line2=_text(address.address_line2, "address_line2") if address else None,
        address_line3=_text(address.address_line3, "address_line3") if address else None,
        address_line4=_text(address.address_line4, "address_line4") if address else None,
        city=_level(districts, "L3"),
        state=_level(districts, "L1"),
        postal_code=_text(address.postal_code, "postal_code") if address else None,
        country_code=_country(address.region_code) if address else None,
        delivery_option_id=_text(order.delivery_option_id, "delivery_option_id"),
        shipping_type=_text(order.shipping_type, "shipping_type"),
        fulfillment_type=_text(order.fulfillment_type, "fulfillment_type"),
        buyer_message=_text(order.buyer_message, "buyer_message"),
        raw=raw.decode("utf-8", "replace"),
    )
