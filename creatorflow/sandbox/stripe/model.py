"""The simulator's state: Stripe objects as dataclasses, ids reproducible from the seed.

Times are Unix seconds on the simulator's clock. ``seq`` orders objects created in the same
second (lists are newest first, as Stripe's are).
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Stripe's id lengths after the prefix, roughly as the SDK's fixtures show them.
_LENGTHS = {"cus_": 14, "cs_test_": 58, "bps_": 24, "li_": 24, "req_": 14, "whsec_": 32}


class IdMaker:
    """Prefixed Stripe-looking ids (``cus_…``, ``sub_…``) from the seed and a counter."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def token(self, length: int, salt: str = "") -> str:
        """`length` base62 characters, fresh each call."""
        n = self._next()
        digest = hashlib.sha512(f"stripe/{self._seed}/{salt}/{n}".encode()).digest()
        number = int.from_bytes(digest, "big")
        chars = []
        for _ in range(length):
            number, rem = divmod(number, 62)
            chars.append(_ALPHABET[rem])
        return "".join(chars)

    def new(self, prefix: str) -> str:
        """A fresh id with `prefix` (``"cus_"``, ``"sub_"``…)."""
        return prefix + self.token(_LENGTHS.get(prefix, 24), prefix)

    def seq(self) -> int:
        """A fresh sequence number (creation order)."""
        return self._next()


def add_interval(start: int, interval: str, count: int, times: int = 1) -> int:
    """`start` plus `times` * (`count` `interval`s), calendar-aware for months and years.

    Months keep the anchor's day of month and clamp to the month's end, as Stripe's billing
    cycle does (Jan 31 → Feb 28 → Mar 31 when counted from the anchor).
    """
    if interval == "day":
        return start + 86400 * count * times
    if interval == "week":
        return start + 7 * 86400 * count * times
    months = count * times * (12 if interval == "year" else 1)
    anchor = datetime.fromtimestamp(start, UTC)
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return int(anchor.replace(year=year, month=month, day=day).timestamp())


@dataclass
class Customer:
    """A ``customer`` (``invoices_issued`` numbers its invoices)."""

    id: str
    created: int
    seq: int
    email: str | None = None
    name: str | None = None
    description: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    invoice_prefix: str = ""
    invoices_issued: int = 0


@dataclass
class Product:
    """A ``product``."""

    id: str
    created: int
    seq: int
    name: str
    active: bool = True
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    updated: int = 0


@dataclass
class Recurring:
    """A price's ``recurring`` hash."""

    interval: str
    interval_count: int = 1
    usage_type: str = "licensed"
    meter: str | None = None


@dataclass
class Price:
    """A ``price``: per-unit or tiered, one-time or recurring (licensed or metered)."""

    id: str
    created: int
    seq: int
    product: str
    currency: str
    unit_amount: int | None
    unit_amount_decimal: Decimal | None
    recurring: Recurring | None = None
    lookup_key: str | None = None
    nickname: str | None = None
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)
    billing_scheme: str = "per_unit"
    tiers_mode: str | None = None
    tiers: list[dict[str, Any]] = field(default_factory=list)
    tax_behavior: str = "unspecified"


@dataclass
class LineItem:
    """One line of a Checkout Session."""

    id: str
    price: str
    quantity: int | None


@dataclass
class CheckoutSession:
    """A ``checkout.session`` (``declined`` counts declined attempts on the page)."""

    id: str
    created: int
    seq: int
    mode: str
    line_items: list[LineItem]
    base_url: str
    expires_at: int
    customer: str | None = None
    customer_email: str | None = None
    client_reference_id: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    subscription_metadata: dict[str, str] = field(default_factory=dict)
    subscription_description: str | None = None
    trial_period_days: int | None = None
    allow_promotion_codes: bool | None = None
    locale: str | None = None
    ui_mode: str = "hosted_page"
    status: str = "open"
    payment_status: str = "unpaid"
    subscription: str | None = None
    customer_details: dict[str, Any] | None = None
    declined: int = 0


@dataclass
class PortalSession:
    """A ``billing_portal.session``."""

    id: str
    created: int
    seq: int
    customer: str
    base_url: str
    return_url: str | None = None
    configuration: str = ""
    flow: dict[str, Any] | None = None
    locale: str | None = None


@dataclass
class Item:
    """A ``subscription_item``, which carries the billing period (basil+)."""

    id: str
    created: int
    seq: int
    subscription: str
    price: str
    quantity: int | None
    current_period_start: int
    current_period_end: int
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Subscription:
    """A ``subscription``; ``cancellation`` is ``cancellation_details``."""

    id: str
    created: int
    seq: int
    customer: str
    currency: str
    items: list[Item]
    status: str
    start_date: int
    billing_cycle_anchor: int
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    cancellation: dict[str, str | None] = field(
        default_factory=lambda: {"comment": None, "feedback": None, "reason": None}
    )
    latest_invoice: str | None = None
    trial_start: int | None = None
    trial_end: int | None = None

    def period(self) -> tuple[int, int]:
        """The first item's current period (all items share the cycle here)."""
        return self.items[0].current_period_start, self.items[0].current_period_end


@dataclass
class InvoiceLine:
    """One ``line_item`` of an invoice."""

    id: str
    price: str
    quantity: int
    amount: int
    description: str
    period_start: int
    period_end: int
    subscription_item: str | None


@dataclass
class Invoice:
    """An ``invoice`` of a subscription."""

    id: str
    created: int
    seq: int
    customer: str
    subscription: str | None
    subscription_metadata: dict[str, str]
    number: str
    billing_reason: str
    currency: str
    lines: list[InvoiceLine]
    period_start: int
    period_end: int
    status: str = "draft"
    attempt_count: int = 0
    attempted: bool = False
    next_payment_attempt: int | None = None
    finalized_at: int | None = None
    paid_at: int | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Sum of the lines (no tax, no discounts)."""
        return sum(line.amount for line in self.lines)


@dataclass
class Meter:
    """A ``billing.meter``."""

    id: str
    created: int
    seq: int
    display_name: str
    event_name: str
    formula: str
    customer_key: str = "stripe_customer_id"
    value_key: str = "value"
    event_time_window: str | None = None
    status: str = "active"
    updated: int = 0


@dataclass
class MeterEvent:
    """An accepted v1 meter event (``canceled`` by an adjustment)."""

    event_name: str
    identifier: str
    payload: dict[str, str]
    timestamp: int
    created: int
    meter: str
    customer: str
    value: Decimal
    canceled: bool = False


@dataclass
class WebhookEndpoint:
    """A ``webhook_endpoint`` with its signing secret."""

    id: str
    created: int
    seq: int
    url: str
    enabled_events: list[str]
    secret: str
    api_version: str | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "enabled"

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint subscribed to `event_type`."""
        return self.status == "enabled" and (
            "*" in self.enabled_events or event_type in self.enabled_events
        )


@dataclass
class Event:
    """An ``event``: ``data`` holds the object snapshot and ``previous_attributes``."""

    id: str
    created: int
    seq: int
    type: str
    data: dict[str, Any]
    api_version: str
    request_id: str | None
    idempotency_key: str | None
    pending_webhooks: int = 0


def price_amount(price: Price, quantity: Decimal) -> int:
    """What `quantity` units of `price` cost, in the currency's minor unit.

    ``per_unit`` multiplies; ``tiered`` follows ``tiers_mode`` (``graduated``: each tier prices
    its own slice; ``volume``: the tier the total falls in prices everything).
    """
    if price.billing_scheme != "tiered":
        unit = price.unit_amount_decimal
        if unit is None:
            unit = Decimal(price.unit_amount or 0)
        return int((unit * quantity).to_integral_value())
    total = Decimal(0)
    if price.tiers_mode == "volume":
        for tier in price.tiers:
            if tier["up_to"] is None or quantity <= tier["up_to"]:
                flat = Decimal(tier["flat_amount"] or 0) if quantity > 0 else Decimal(0)
                return int((_unit(tier) * quantity + flat).to_integral_value())
        return 0
    floor = Decimal(0)
    for tier in price.tiers:
        cap = Decimal(tier["up_to"]) if tier["up_to"] is not None else None
        if quantity <= floor:
            break
        top = quantity if cap is None else min(quantity, cap)
        total += _unit(tier) * (top - floor) + Decimal(tier["flat_amount"] or 0)
        if cap is None:
            break
        floor = cap
    return int(total.to_integral_value())


def _unit(tier: dict[str, Any]) -> Decimal:
    if tier.get("unit_amount_decimal") is not None:
        return Decimal(tier["unit_amount_decimal"])
    return Decimal(tier.get("unit_amount") or 0)
