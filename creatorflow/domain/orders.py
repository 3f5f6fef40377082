"""Orders as CreatorFlow keeps them: the record a sync stores, and the rules for a first sight.

TikTok sends one line item per unit; :class:`OrderRecord` keeps every unit as a
:class:`LineRecord` and counts them in ``units``. Everything here is pure: no clock, no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from creatorflow.domain.stages import Stage

__all__ = [
    "MASKED_STATUSES",
    "LineRecord",
    "OrderRecord",
    "SkuUnits",
    "group_units",
    "initial_stage",
    "looks_masked",
]

#: TikTok statuses in which a US order's address is masked or empty (reference §5.3).
MASKED_STATUSES = frozenset({"UNPAID", "ON_HOLD", "CANCELLED"})

#: The stage an order first seen in a TikTok status starts in. Orders TikTok already shows as
#: shipped (by the seller in Seller Center, or before CreatorFlow was installed) must not look
#: like work to do; anything not listed (including statuses TikTok adds later) starts ``new``.
_FIRST_STAGE: Mapping[str, Stage] = {
    "AWAITING_COLLECTION": Stage.SHIPPED,
    "IN_TRANSIT": Stage.IN_TRANSIT,
    "DELIVERED": Stage.DELIVERED,
    "COMPLETED": Stage.DELIVERED,
    "CANCELLED": Stage.CANCELLED,
}


def initial_stage(status: str) -> Stage:
    """The stage of an order CreatorFlow sees for the first time in TikTok ``status``."""
    return _FIRST_STAGE.get(status, Stage.NEW)


def looks_masked(*parts: str | None) -> bool:
    """Whether an address is masked (``J***n``) or withheld (everything empty).

    TikTok masks with asterisks and empties the address while an order is on hold; an
    address with no name and no first line cannot be shipped to either way.
    """
    present = [part for part in parts if part]
    return not present or any("*" in part for part in present)


@dataclass(frozen=True, slots=True)
class LineRecord:
    """One unit of one SKU in an order."""

    id: str
    sku_id: str
    product_id: str
    product_name: str
    unit_price: Decimal
    currency: str
    seller_sku: str | None = None
    sku_name: str | None = None
    original_price: Decimal | None = None
    package_id: str | None = None
    is_gift: bool = False
    display_status: str | None = None
    cancel_reason: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order ready to store: TikTok's view of it, checked and converted.

    ``raw`` is TikTok's JSON of the order as text, kept for support and unmapped fields.
    """

    id: str
    shop_id: str
    status: str
    created_at: datetime
    updated_at: datetime
    total_amount: Decimal
    currency: str
    lines: tuple[LineRecord, ...]
    paid_at: datetime | None = None
    shipping_due_at: datetime | None = None
    collection_due_at: datetime | None = None
    delivery_due_at: datetime | None = None
    shipping_fee: Decimal | None = None
    buyer_cancel_requested: bool = False
    address_masked: bool = True
    recipient_name: str | None = None
    recipient_phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    address_line4: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    delivery_option_id: str | None = None
    shipping_type: str | None = None
    fulfillment_type: str | None = None
    buyer_message: str | None = None
    raw: str | None = field(default=None, compare=False)

    @property
    def units(self) -> int:
        """How many units the order holds (one line per unit)."""
        return len(self.lines)


@dataclass(frozen=True, slots=True)
class SkuUnits:
    """The lines of one SKU at one price, counted: what a packer and a buyer call a line."""

    sku_id: str
    seller_sku: str | None
    product_name: str
    sku_name: str | None
    units: int
    unit_price: Decimal
    currency: str


def group_units(lines: Iterable[LineRecord]) -> list[SkuUnits]:
    """Group per-unit lines by SKU and price, in the order each SKU first appears.

    A gift of the same SKU has another price (usually zero), so it stays a line of its own.
    """
    groups: dict[tuple[str, Decimal, str], list[LineRecord]] = {}
    for line in lines:
        groups.setdefault((line.sku_id, line.unit_price, line.currency), []).append(line)
    return [
        SkuUnits(
            sku_id=first.sku_id,
            seller_sku=first.seller_sku,
            product_name=first.product_name,
            sku_name=first.sku_name,
            units=len(members),
            unit_price=first.unit_price,
            currency=first.currency,
        )
        for members in groups.values()
        for first in members[:1]
    ]
