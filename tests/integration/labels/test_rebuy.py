"""A deliberate re-buy: a second generation is bought, the old label voided, tracking fixed."""

from __future__ import annotations

from sqlalchemy import select

from creatorflow.domain.stages import Stage
from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.tracking_push import push_tracking
from creatorflow.services.voids import rebuy_label, void_labels
from creatorflow.store.tables import Order, Shipment, ShipmentState
from tests.integration.labels.conftest import World


def test_rebuy_voids_the_old_label_and_corrects_tiktok(world: World) -> None:
    approve_orders(world.services, all_ready=True)
    buy_labels(world.services, workers=2)
    push_tracking(world.services)
    with world.services.store.read() as session:
        old = session.scalars(
            select(Shipment).where(
                Shipment.provider == "shippo", Shipment.state == ShipmentState.PURCHASED
            )
        ).first()
        assert old is not None
    order_id, old_tracking = old.order_id, old.tracking_number
    refunds_before = int(world.shippo.stats()["refunds"])

    rebuy_label(world.services, order_id, reason="label got wet")
    bought = buy_labels(world.services, order_ids=[order_id])
    pushed = push_tracking(world.services, order_ids=[order_id])
    void_labels(world.services, order_ids=[order_id])

    assert bought.bought == 1
    assert pushed.pushed == 1
    assert int(world.shippo.stats()["refunds"]) == refunds_before + 1
    with world.services.store.read() as session:
        shipments = session.scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.generation)
        ).all()
        order = session.get(Order, order_id)
        assert order is not None
        assert order.stage is Stage.SHIPPED
    assert [s.generation for s in shipments] == [1, 2]
    assert shipments[0].state in (ShipmentState.REFUND_PENDING, ShipmentState.REFUNDED)
    assert shipments[1].state is ShipmentState.PURCHASED
    new_tracking = shipments[1].tracking_number
    assert new_tracking != old_tracking
    assert world.tiktok.order(order_id)["tracking_number"] == new_tracking
    assert world.duplicates() == 0
