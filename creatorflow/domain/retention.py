"""Buyer data retention: what of a finished order is the buyer's, and goes after the retention.

An order delivered or cancelled more than ``retention.buyer_data_days`` ago loses the buyer's
name, phone, street address, postal code and message, and its stored TikTok payload keeps only
what money and reports need (ids, status, times, amounts, line items, packages, shipping
choices). The ship-to city and postal code go; the state and country stay (they identify no
one and sales reports group by them). Unknown payload fields are dropped: whatever TikTok adds
later is treated as personal until listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "FINISHED_STATUSES",
    "PURGED_NOTE",
    "kept_payload_key",
    "scrub_order_payload",
]

#: TikTok statuses after which nothing more is shipped for an order.
FINISHED_STATUSES = frozenset({"DELIVERED", "COMPLETED", "CANCELLED"})

#: ``to_value`` of the note event written when an order's buyer data is purged.
PURGED_NOTE = "buyer_data_purged"

#: Top-level fields of a TikTok order kept after a purge (plus ``*_time``, ``is_*``, ``has_*``).
_KEPT = frozenset(
    {
        "id",
        "status",
        "payment",
        "payment_method_name",
        "line_items",
        "packages",
        "delivery_option_id",
        "delivery_option_name",
        "delivery_type",
        "shipping_type",
        "fulfillment_type",
        "shipping_provider",
        "shipping_provider_id",
        "tracking_number",
        "warehouse_id",
        "split_or_combine_tag",
        "auto_combine_group_id",
        "cancel_reason",
        "cancellation_initiator",
        "order_type",
        "handling_duration",
        "commerce_platform",
        "replaced_order_id",
        "exchange_source_order_id",
    }
)


def kept_payload_key(key: str) -> bool:
    """Whether a top-level field of a TikTok order survives a purge."""
    return key in _KEPT or key.endswith("_time") or key.startswith(("is_", "has_"))


def scrub_order_payload(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A TikTok order payload without the buyer's data (see the module docstring)."""
    if raw is None:
        return None
    return {key: value for key, value in raw.items() if kept_payload_key(str(key))}
