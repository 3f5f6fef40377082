"""Purchase guards: every condition refuses with its own code; a clean order passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.guards import (
    OrderFacts,
    Refusal,
    RefusalCode,
    approval_refusals,
    count_refusals,
    hold_reason,
    purchase_refusals,
)
from creatorflow.domain.stages import Stage

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

CLEAN = OrderFacts(
    order_id="576000000000000001",
    status="AWAITING_SHIPMENT",
    stage=Stage.APPROVED,
    address_masked=False,
    buyer_cancel_requested=False,
    shipping_type="SELLER",
    region="US",
    country="US",
    has_ship_to_address=True,
    missing_weight_skus=(),
    units=2,
    plan_order_limit=500,
    orders_used_this_period=12,
    already_labelled=False,
)


def codes(facts: OrderFacts) -> list[RefusalCode]:
    return [refusal.code for refusal in purchase_refusals(facts, now=NOW)]


def test_a_clean_order_has_no_refusals() -> None:
    assert purchase_refusals(CLEAN, now=NOW) == ()
    assert purchase_refusals(replace(CLEAN, stage=Stage.NEW), now=NOW) == ()
    assert purchase_refusals(replace(CLEAN, plan_order_limit=None), now=NOW) == ()
    assert approval_refusals(CLEAN, now=NOW) == ()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": "UNPAID"}, RefusalCode.UNPAID),
        ({"status": "ON_HOLD"}, RefusalCode.ON_HOLD),
        ({"status": "CANCELLED"}, RefusalCode.CANCELLED),
        ({"status": "AWAITING_COLLECTION"}, RefusalCode.NOT_AWAITING_SHIPMENT),
        ({"status": "PARTIALLY_SHIPPING"}, RefusalCode.NOT_AWAITING_SHIPMENT),
        ({"status": "SOMETHING_NEW"}, RefusalCode.NOT_AWAITING_SHIPMENT),
        ({"address_masked": True}, RefusalCode.MASKED_ADDRESS),
        ({"has_ship_to_address": False}, RefusalCode.NO_ADDRESS),
        ({"buyer_cancel_requested": True}, RefusalCode.BUYER_CANCEL_REQUEST),
        ({"missing_weight_skus": ("TEE-BLK-M",)}, RefusalCode.MISSING_WEIGHT),
        ({"orders_used_this_period": 500}, RefusalCode.PLAN_LIMIT),
        ({"plan_order_limit": 0, "orders_used_this_period": 0}, RefusalCode.PLAN_LIMIT),
        ({"stage": Stage.HELD}, RefusalCode.WRONG_STAGE),
        ({"stage": Stage.PURCHASING}, RefusalCode.WRONG_STAGE),
        ({"stage": Stage.CANCELLED}, RefusalCode.WRONG_STAGE),
        ({"already_labelled": True}, RefusalCode.ALREADY_LABELLED),
    ],
)
def test_each_condition_refuses_with_its_code(changes: dict[str, Any], code: RefusalCode) -> None:
    facts = replace(CLEAN, **changes)
    assert codes(facts) == [code]
    assert [refusal.code for refusal in approval_refusals(facts, now=NOW)] == [code]


def test_a_masked_address_hides_the_missing_one() -> None:
    assert codes(replace(CLEAN, address_masked=True, has_ship_to_address=False)) == [
        RefusalCode.MASKED_ADDRESS
    ]


def test_refusals_come_in_a_fixed_order() -> None:
    facts = replace(
        CLEAN,
        status="ON_HOLD",
        stage=Stage.LABELLED,
        already_labelled=True,
        buyer_cancel_requested=True,
        address_masked=True,
        missing_weight_skus=("A", "B", "A"),
        orders_used_this_period=900,
    )
    assert codes(facts) == [
        RefusalCode.ON_HOLD,
        RefusalCode.ALREADY_LABELLED,
        RefusalCode.WRONG_STAGE,
        RefusalCode.BUYER_CANCEL_REQUEST,
        RefusalCode.MASKED_ADDRESS,
        RefusalCode.MISSING_WEIGHT,
        RefusalCode.PLAN_LIMIT,
    ]
    missing = purchase_refusals(facts, now=NOW)[5]
    assert missing.reason.startswith("No weight set for SKU A, B;")


def test_reasons_say_what_happens_next() -> None:
    (hold,) = purchase_refusals(replace(CLEAN, status="ON_HOLD"), now=NOW)
    assert hold.reason == (
        "TikTok is holding this order for the buyer's cancellation window (about an hour); "
        "it will be ready after that."
    )
    paid = replace(CLEAN, status="ON_HOLD", paid_at=NOW - timedelta(minutes=25))
    (hold,) = purchase_refusals(paid, now=NOW)
    assert hold.reason.endswith("it should be ready in about 35 min.")
    late = replace(paid, paid_at=NOW - timedelta(hours=2))
    (hold,) = purchase_refusals(late, now=NOW)
    assert hold.reason.endswith("the next sync will pick it up.")
    (limit,) = purchase_refusals(
        replace(CLEAN, plan_order_limit=1000, orders_used_this_period=1000), now=NOW
    )
    assert "1,000 orders" in limit.reason
    (stage,) = purchase_refusals(replace(CLEAN, stage=Stage.NEEDS_ATTENTION), now=NOW)
    assert stage.reason.startswith("The order is needs attention;")


def test_status_is_read_case_insensitively() -> None:
    assert codes(replace(CLEAN, status=" awaiting_shipment ")) == []
    assert codes(replace(CLEAN, status="")) == [RefusalCode.NOT_AWAITING_SHIPMENT]


def test_naive_now_and_bad_facts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        purchase_refusals(CLEAN, now=datetime(2026, 3, 2))
    with pytest.raises(ValueError):
        replace(CLEAN, units=-1)
    with pytest.raises(ValueError):
        replace(CLEAN, plan_order_limit=-5)


def test_hold_reason_and_counts() -> None:
    first = purchase_refusals(replace(CLEAN, status="ON_HOLD", address_masked=True), now=NOW)
    second = purchase_refusals(replace(CLEAN, status="ON_HOLD"), now=NOW)
    assert hold_reason(second) == second[0].reason
    assert hold_reason(()) == ""
    assert count_refusals([first, second, ()]) == {"masked_address": 1, "on_hold": 2}
    assert str(Refusal(RefusalCode.UNPAID, "x")) == "x"
    assert RefusalCode("plan_limit") is RefusalCode.PLAN_LIMIT


statuses = st.sampled_from(
    ["UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "AWAITING_COLLECTION", "CANCELLED", "IN_TRANSIT"]
)


@given(
    status=statuses,
    stage=st.sampled_from(list(Stage)),
    masked=st.booleans(),
    cancel=st.booleans(),
    address=st.booleans(),
    missing=st.lists(st.sampled_from(["A", "B"]), max_size=2).map(tuple),
    limit=st.none() | st.integers(0, 5),
    used=st.integers(0, 6),
    labelled=st.booleans(),
)
def test_no_refusal_means_every_condition_holds(
    status: str,
    stage: Stage,
    masked: bool,
    cancel: bool,
    address: bool,
    missing: tuple[str, ...],
    limit: int | None,
    used: int,
    labelled: bool,
) -> None:
    facts = replace(
        CLEAN,
        status=status,
        stage=stage,
        address_masked=masked,
        buyer_cancel_requested=cancel,
        has_ship_to_address=address,
        missing_weight_skus=missing,
        plan_order_limit=limit,
        orders_used_this_period=used,
        already_labelled=labelled,
    )
    refusals = purchase_refusals(facts, now=NOW)
    clean = (
        status == "AWAITING_SHIPMENT"
        and stage in {Stage.NEW, Stage.APPROVED}
        and not (masked or cancel or missing or labelled)
        and address
        and (limit is None or used < limit)
    )
    assert (refusals == ()) is clean
    assert len({refusal.code for refusal in refusals}) == len(refusals)
    assert all(refusal.reason.endswith(".") for refusal in refusals)
