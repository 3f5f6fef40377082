"""Purchase guards: the reasons an order must not get a label yet (DESIGN §5.2).

:func:`purchase_refusals` runs right before money is spent; :func:`approval_refusals` when a
seller (or an auto-approve rule) approves an order. Each :class:`Refusal` has a stable
:class:`RefusalCode` the store keeps with a held order and ``demo --json`` counts, and a short
sentence that tells the seller what happens next or what to do.

Approval refuses exactly what a purchase refuses: approving *is* asking the daemon to buy, so
an order that would be held at purchase is refused at approval instead of being queued to
fail. In particular an ON_HOLD order cannot be approved during TikTok's one-hour cancel
window; the next sync moves it to AWAITING_SHIPMENT and it can be approved then.

The USPS-through-TikTok-Shipping rule is not a guard on the order but on the rate: see
:mod:`creatorflow.domain.rules`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from creatorflow.domain.deadlines import ON_HOLD_WINDOW
from creatorflow.domain.stages import Stage

__all__ = [
    "BUYABLE_STAGES",
    "BUYABLE_STATUS",
    "OrderFacts",
    "Refusal",
    "RefusalCode",
    "approval_refusals",
    "count_refusals",
    "hold_reason",
    "purchase_refusals",
]

#: The only TikTok status in which a label may be bought.
BUYABLE_STATUS = "AWAITING_SHIPMENT"

#: The only local stages from which an order may be approved or get a label.
BUYABLE_STAGES = frozenset({Stage.NEW, Stage.APPROVED})

_SET_PARCEL = "creatorflow products set-parcel SKU --weight 12oz --dims 9x6x2in"


class RefusalCode(StrEnum):
    """Why a label may not be bought; stored with held orders and counted in reports."""

    UNPAID = "unpaid"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    NOT_AWAITING_SHIPMENT = "not_awaiting_shipment"
    WRONG_STAGE = "wrong_stage"
    ALREADY_LABELLED = "already_labelled"
    BUYER_CANCEL_REQUEST = "buyer_cancel_request"
    MASKED_ADDRESS = "masked_address"
    NO_ADDRESS = "no_address"
    MISSING_WEIGHT = "missing_weight"
    PLAN_LIMIT = "plan_limit"


@dataclass(frozen=True)
class Refusal:
    """One reason not to buy, with what to do about it."""

    code: RefusalCode
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class OrderFacts:
    """What the guards (and the rate rules) need to know about one order, read by services.

    ``status`` is TikTok's; ``stage`` ours. ``region`` is the shop's market (``"US"``),
    ``country`` the ship-to country when known. ``missing_weight_skus`` are SKUs (as the
    seller knows them) with no weight. ``plan_order_limit`` is ``None`` for unlimited plans;
    ``orders_used_this_period`` does not yet count this order. ``paid_at`` (optional) lets an
    ON_HOLD refusal say when the hold ends; ``skus`` (optional) lets per-SKU rate overrides
    apply.
    """

    order_id: str
    status: str
    stage: Stage
    address_masked: bool
    buyer_cancel_requested: bool
    shipping_type: str | None
    region: str
    country: str | None
    has_ship_to_address: bool
    missing_weight_skus: tuple[str, ...]
    units: int
    plan_order_limit: int | None
    orders_used_this_period: int
    already_labelled: bool
    paid_at: datetime | None = None
    skus: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.units < 0 or self.orders_used_this_period < 0:
            raise ValueError("units and orders used cannot be negative")
        if self.plan_order_limit is not None and self.plan_order_limit < 0:
            raise ValueError("a plan's order limit cannot be negative")


def _on_hold(facts: OrderFacts, now: datetime) -> Refusal:
    reason = (
        "TikTok is holding this order for the buyer's cancellation window (about an hour); "
        "it will be ready after that."
    )
    if facts.paid_at is not None:
        left = facts.paid_at + ON_HOLD_WINDOW - now
        if left > timedelta(0):
            minutes = max(1, int(left.total_seconds() // 60))
            reason = (
                "TikTok is holding this order for the buyer's cancellation window; "
                f"it should be ready in about {minutes} min."
            )
        else:
            reason = (
                "TikTok is still holding this order for the buyer's cancellation window, "
                "which should be over; the next sync will pick it up."
            )
    return Refusal(RefusalCode.ON_HOLD, reason)


def _status(facts: OrderFacts, now: datetime) -> Refusal | None:
    status = facts.status.strip().upper()
    if status == BUYABLE_STATUS:
        return None
    if status == "UNPAID":
        return Refusal(
            RefusalCode.UNPAID,
            "The buyer has not paid yet; the order will be ready once TikTok confirms payment.",
        )
    if status == "ON_HOLD":
        return _on_hold(facts, now)
    if status == "CANCELLED":
        return Refusal(
            RefusalCode.CANCELLED, "The order is cancelled on TikTok; there is nothing to ship."
        )
    return Refusal(
        RefusalCode.NOT_AWAITING_SHIPMENT,
        f"TikTok shows this order as {status or 'unknown'}, not awaiting shipment; it may have "
        "been shipped elsewhere. Check it in Seller Center before shipping.",
    )


def _stage(facts: OrderFacts) -> list[Refusal]:
    refusals: list[Refusal] = []
    if facts.already_labelled:
        refusals.append(
            Refusal(
                RefusalCode.ALREADY_LABELLED,
                "This order already has a label; reprint it instead, or void it first to buy "
                "a new one.",
            )
        )
    if facts.stage not in BUYABLE_STAGES:
        refusals.append(
            Refusal(
                RefusalCode.WRONG_STAGE,
                f"The order is {facts.stage.value.replace('_', ' ')}; only new or approved "
                "orders can be approved or get a label.",
            )
        )
    return refusals


def _address(facts: OrderFacts) -> Refusal | None:
    if facts.address_masked:
        return Refusal(
            RefusalCode.MASKED_ADDRESS,
            "TikTok still masks the buyer's address; sync the order again once it is "
            "awaiting shipment.",
        )
    if not facts.has_ship_to_address:
        return Refusal(
            RefusalCode.NO_ADDRESS,
            "The order has no ship-to address yet; sync it again before buying a label.",
        )
    return None


def _plan(facts: OrderFacts) -> Refusal | None:
    limit = facts.plan_order_limit
    if limit is None or facts.orders_used_this_period < limit:
        return None
    return Refusal(
        RefusalCode.PLAN_LIMIT,
        f"Your plan's {limit:,} orders for this period are used up; upgrade the plan or "
        "wait for the next period.",
    )


def purchase_refusals(facts: OrderFacts, *, now: datetime) -> tuple[Refusal, ...]:
    """Every reason not to buy a label for this order now; empty means it may be bought.

    Refusals come in a fixed order (TikTok status, stage, buyer cancel request, address,
    weights, plan limit), so the first is the most fundamental.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    refusals: list[Refusal] = []
    status = _status(facts, now)
    if status is not None:
        refusals.append(status)
    refusals.extend(_stage(facts))
    if facts.buyer_cancel_requested:
        refusals.append(
            Refusal(
                RefusalCode.BUYER_CANCEL_REQUEST,
                "The buyer asked to cancel; answer the request in Seller Center first "
                "(shipping it would reject the request).",
            )
        )
    address = _address(facts)
    if address is not None:
        refusals.append(address)
    if facts.missing_weight_skus:
        skus = ", ".join(dict.fromkeys(facts.missing_weight_skus))
        refusals.append(
            Refusal(
                RefusalCode.MISSING_WEIGHT,
                f"No weight set for SKU {skus}; set it with `{_SET_PARCEL}`.",
            )
        )
    plan = _plan(facts)
    if plan is not None:
        refusals.append(plan)
    return tuple(refusals)


def approval_refusals(facts: OrderFacts, *, now: datetime) -> tuple[Refusal, ...]:
    """Every reason not to approve this order now: the same as :func:`purchase_refusals`.

    Approval queues a purchase, so it refuses what the purchase would; an ON_HOLD order is
    refused (it is not queued) and can be approved once TikTok releases it.
    """
    return purchase_refusals(facts, now=now)


def hold_reason(refusals: Iterable[Refusal]) -> str:
    """The refusals as one stored sentence block (empty when there are none)."""
    return " ".join(refusal.reason for refusal in refusals)


def count_refusals(groups: Iterable[Iterable[Refusal]]) -> dict[str, int]:
    """How many orders each code refused (an order counts once per code), by code value."""
    counter: Counter[str] = Counter()
    for refusals in groups:
        counter.update({refusal.code.value for refusal in refusals})
    return dict(sorted(counter.items()))
