"""Purchases refused with 201 ERROR, settling rules, refunds and duplicate-purchase counting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from shippo.models import components, errors

from tests.sandbox.shippo.conftest import Env, address, buy, make_env, shipment


def test_expired_rate_is_201_error_with_messages(env: Env) -> None:
    shp = shipment(env.sdk)
    env.sim.advance(timedelta(days=7, seconds=1))
    txn = buy(env.sdk, shp.rates[0].object_id)
    assert txn.status == components.TransactionStatusEnum.ERROR
    assert txn.messages
    assert "7 days" in str(txn.messages[0].text)
    assert txn.tracking_number == ""
    assert txn.label_url == ""
    assert txn.created_by is None
    assert env.sim.stats()["purchases"] == 0


def test_invalid_address_is_201_error(env: Env) -> None:
    shp = shipment(env.sdk, to=address(street1="1 Invalid Way", zip="60611"))
    assert shp.rates
    txn = buy(env.sdk, shp.rates[0].object_id)
    assert txn.status == components.TransactionStatusEnum.ERROR
    assert txn.messages
    assert txn.messages[0].code == "address_error"
    assert env.sdk.transactions.get(txn.object_id).status == components.TransactionStatusEnum.ERROR


def test_rejected_purchase_hook(env: Env) -> None:
    env.sim.reject_next_purchase("No USPS today", code="carrier_timeout")
    shp = shipment(env.sdk)
    first = buy(env.sdk, shp.rates[0].object_id)
    assert first.status == components.TransactionStatusEnum.ERROR
    assert first.messages
    assert first.messages[0].text == "No USPS today"
    second = buy(env.sdk, shp.rates[0].object_id)
    assert second.status == components.TransactionStatusEnum.QUEUED


@pytest.fixture
def slow_env() -> Iterator[Env]:
    yield from make_env(queued_polls=2, purchase_seconds=60.0)


def test_queued_for_some_polls_or_until_the_clock(slow_env: Env) -> None:
    env = slow_env
    shp = shipment(env.sdk)
    txn = buy(env.sdk, shp.rates[0].object_id)
    statuses = [env.sdk.transactions.get(txn.object_id).status.value for _ in range(3)]
    assert statuses == ["QUEUED", "QUEUED", "SUCCESS"]
    other = buy(env.sdk, shp.rates[1].object_id)
    env.sim.advance(timedelta(seconds=61))
    assert env.sim.transaction(other.object_id)["status"] == "QUEUED"  # no read yet
    assert env.sdk.transactions.get(other.object_id).status.value == "SUCCESS"


def test_duplicate_purchases_count_labels_beyond_the_first_per_metadata(env: Env) -> None:
    shp = shipment(env.sdk)
    buy(env.sdk, shp.rates[0].object_id, metadata="label:1")
    assert env.sim.stats()["duplicate_purchases"] == 0
    buy(env.sdk, shp.rates[1].object_id, metadata="label:1")
    buy(env.sdk, shp.rates[0].object_id, metadata="label:2")
    stats = env.sim.stats()
    assert stats["duplicate_purchases"] == 1
    assert stats["purchases_by_metadata"] == {"label:1": 2, "label:2": 1}
    assert stats["purchases_by_rate"][shp.rates[0].object_id] == 2
    assert stats["purchases"] == 3


def test_refund_queued_then_success(env: Env) -> None:
    shp = shipment(env.sdk)
    txn = env.sdk.transactions.get(buy(env.sdk, shp.rates[0].object_id).object_id)
    refund = env.sdk.refunds.create(txn.object_id)
    assert refund.status == components.RefundStatus.QUEUED
    assert refund.transaction == txn.object_id
    assert env.sim.transaction(txn.object_id)["status"] == "REFUNDPENDING"
    done = env.sdk.refunds.get(refund.object_id)
    assert done.status == components.RefundStatus.SUCCESS
    assert env.sdk.transactions.get(txn.object_id).status == (
        components.TransactionStatusEnum.REFUNDED
    )
    listing = env.sdk.refunds.list()
    assert [r.object_id for r in listing.results or []] == [refund.object_id]
    with pytest.raises(errors.SDKError) as caught:
        env.sdk.refunds.create(txn.object_id)
    assert caught.value.status_code == 400
    assert "already" in caught.value.body
    stats = env.sim.stats()
    assert stats["refunds"] == 1
    assert stats["refunds_by_outcome"] == {"SUCCESS": 1}


def test_refund_of_a_scanned_label_is_rejected(env: Env) -> None:
    shp = shipment(env.sdk)
    txn = env.sdk.transactions.get(buy(env.sdk, shp.rates[0].object_id).object_id)
    env.sim.advance(timedelta(hours=7))  # accepted at the origin facility: scanned
    refund = env.sdk.refunds.create(txn.object_id, async_=False)
    assert refund.status == components.RefundStatus.ERROR
    assert env.sdk.transactions.get(txn.object_id).status == (
        components.TransactionStatusEnum.REFUNDREJECTED
    )


def test_refund_of_unknown_or_failed_transactions_is_400(env: Env) -> None:
    with pytest.raises(errors.SDKError) as caught:
        env.sdk.refunds.create("nope")
    assert caught.value.status_code == 400
    env.sim.reject_next_purchase()
    shp = shipment(env.sdk)
    failed = buy(env.sdk, shp.rates[0].object_id)
    with pytest.raises(errors.SDKError) as caught:
        env.sdk.refunds.create(failed.object_id)
    assert caught.value.status_code == 400
