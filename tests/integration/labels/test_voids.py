"""Cancelled after the label, before the first scan: one void, one refund, even across a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from creatorflow.domain.stages import Stage
from creatorflow.errors import UsageError
from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.tracking_push import push_tracking
from creatorflow.services.voids import queue_voids, request_void, void_labels
from creatorflow.store.tables import Order, Shipment, ShipmentState
from tests.integration.labels.conftest import World


class SimulatedCrash(BaseException):
    """The process dying (nothing may catch it)."""


def _labelled(world: World) -> list[str]:
    approve_orders(world.services, all_ready=True)
    buy_labels(world.services, workers=2)
    push_tracking(world.services)
    with world.services.store.read() as session:
        rows = session.execute(
            select(Shipment.order_id, Shipment.provider).where(
                Shipment.state == ShipmentState.PURCHASED
            )
        ).all()
    return [order_id for order_id, provider in rows if provider == "shippo"]


def _refunds(world: World) -> int:
    return int(world.shippo.stats()["refunds"])


def _stage(world: World, order_id: str) -> Stage:
    with world.services.store.read() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.stage


def test_a_cancellation_after_labelling_is_voided_and_refunded_once(world: World) -> None:
    victims = _labelled(world)[:2]
    for order_id in victims:
        world.tiktok.set_order_status(order_id, "CANCELLED")
    assert sync_orders(world.services).voids_queued == 2
    assert queue_voids(world.services) == 0  # journaled once
    assert all(_stage(world, order_id) is Stage.VOIDING for order_id in victims)
    first = void_labels(world.services)
    assert first.requested == 2
    world.shippo.advance(timedelta(minutes=5))
    later = datetime.now(UTC) + timedelta(hours=7)
    void_labels(world.services, now=lambda: later)
    assert all(_stage(world, order_id) is Stage.VOIDED for order_id in victims)
    assert _refunds(world) == 2
    with world.services.store.read() as session:
        states = session.scalars(select(Shipment.state).where(Shipment.order_id.in_(victims))).all()
    assert set(states) == {ShipmentState.REFUNDED}


def test_a_crash_between_the_refund_and_its_record_does_not_refund_twice(world: World) -> None:
    victim = _labelled(world)[0]
    world.tiktok.set_order_status(victim, "CANCELLED")
    sync_orders(world.services)
    queue_voids(world.services)

    def crash(point: str) -> None:
        raise SimulatedCrash(point)

    with pytest.raises(SimulatedCrash):
        void_labels(world.services, crash_point=crash)
    assert _refunds(world) == 1
    world.shippo.advance(timedelta(minutes=5))
    after_lease = datetime.now(UTC) + timedelta(minutes=10)
    void_labels(world.services, now=lambda: after_lease)
    void_labels(world.services, now=lambda: after_lease + timedelta(hours=7))
    assert _refunds(world) == 1
    assert _stage(world, victim) is Stage.VOIDED


def test_void_by_hand_and_no_void_after_a_scan(world: World) -> None:
    order_id = _labelled(world)[0]
    request_void(world.services, order_id, reason="damaged label")
    summary = void_labels(world.services)
    assert summary.requested == 1
    with world.services.store.write() as session:
        shipment = session.scalars(
            select(Shipment).where(Shipment.order_id != order_id, Shipment.provider == "shippo")
        ).first()
        assert shipment is not None
        shipment.first_scan_at = datetime.now(UTC)
        other = shipment.order_id
    with pytest.raises(UsageError, match="scanned this label; it cannot be voided"):
        request_void(world.services, other)
