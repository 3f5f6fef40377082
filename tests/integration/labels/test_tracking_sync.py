"""Tracking sync against the simulators: approve → buy → push, then follow the parcels.

The simulators move parcels along their own clocks (``advance``); our clock is the ``now``
given to :func:`sync_tracking`, kept level with theirs (both start at the real now).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from creatorflow.domain.deadlines import SHOP_TIMEZONE, DispatchState
from creatorflow.domain.stages import Stage
from creatorflow.errors import AuthError
from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.tracking_push import push_tracking
from creatorflow.services.tracking_records import is_possibly_lost
from creatorflow.services.tracking_sync import (
    TrackingProgress,
    dispatch_filter_values,
    late_orders,
    sync_tracking,
)
from creatorflow.store.tables import EventKind, Order, OrderEvent, Shipment, ShipmentState
from tests.integration.labels.conftest import SHIPPO_KEY, World


class Clock:
    """Our clock and the simulators' moved together; ``ours_only`` moves ours alone."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        for sim in (self.world.tiktok, self.world.shippo, self.world.easypost):
            sim.advance(delta)
        self.offset += delta

    def at(self, extra: timedelta = timedelta(0)) -> Callable[[], datetime]:
        return lambda: datetime.now(UTC) + self.offset + extra


def _buy_everything(world: World) -> list[str]:
    """Labels for all 12 orders from all three providers (Shippo is unplugged for half)."""
    summary = approve_orders(world.services, all_ready=True)
    approved = [result.order_id for result in summary.results if result.approved]
    assert len(approved) == 12
    secrets = world.services.secrets
    secrets.delete("shippo_api_key")
    bought = buy_labels(world.services, workers=3, order_ids=approved[:6]).bought
    secrets.set("shippo_api_key", SHIPPO_KEY)
    bought += buy_labels(world.services, workers=3).bought
    assert bought == 12
    providers = {s.provider for s in _shipments(world)}
    assert providers == {"shippo", "easypost", "tiktok_shipping"}
    return approved


def _ship_everything(world: World) -> list[str]:
    approved = _buy_everything(world)
    push_tracking(world.services)
    assert _stages(world) == {"shipped": 12}
    return approved


def _stages(world: World) -> dict[str, int]:
    with world.services.store.read() as session:
        rows = session.execute(select(Order.stage, func.count()).group_by(Order.stage)).all()
        return {stage.value: int(count) for stage, count in rows}


def _orders(world: World) -> dict[str, Order]:
    with world.services.store.read() as session:
        return {order.id: order for order in session.scalars(select(Order))}


def _shipments(world: World) -> list[Shipment]:
    with world.services.store.read() as session:
        return list(
            session.scalars(select(Shipment).where(Shipment.state == ShipmentState.PURCHASED))
        )


def _notes(world: World) -> list[tuple[str, str | None, str | None]]:
    with world.services.store.read() as session:
        rows = session.execute(
            select(OrderEvent.order_id, OrderEvent.to_value, OrderEvent.actor)
            .where(OrderEvent.kind == EventKind.NOTE)
            .order_by(OrderEvent.id)
        ).all()
        return [(order_id, to_value, actor) for order_id, to_value, actor in rows]


def _event_count(world: World) -> int:
    with world.services.store.read() as session:
        return int(session.execute(select(func.count()).select_from(OrderEvent)).scalar_one())


def _set_due(world: World, due: datetime, order_ids: list[str] | None = None) -> None:
    with world.services.store.write() as session:
        query = update(Order).values(shipping_due_at=due)
        if order_ids is not None:
            query = query.where(Order.id.in_(order_ids))
        session.execute(query)


def _snapshot(world: World) -> tuple[object, ...]:
    orders = sorted(
        (o.id, o.stage, o.dispatch_state, o.possibly_lost, o.version)
        for o in _orders(world).values()
    )
    labels = sorted(
        (s.id, s.tracking_status, s.first_scan_at, s.last_scan_at, s.delivered_at)
        for s in _shipments(world)
    )
    return tuple(orders), tuple(labels), _event_count(world)


def test_parcels_move_to_in_transit_then_delivered(world: World) -> None:
    _ship_everything(world)
    clock = Clock(world)
    seen: list[TrackingProgress] = []

    before = sync_tracking(world.services, now=clock.at(), progress=seen.append)
    assert before.checked == 12
    assert before.errors == 0
    assert before.in_transit == 0
    assert _stages(world) == {"shipped": 12}  # labels exist, nothing scanned yet
    assert len(seen) == 12
    assert seen[-1].done == seen[-1].total == 12

    clock.advance(timedelta(hours=9))
    moving = sync_tracking(world.services, now=clock.at())
    assert moving.checked == 12
    assert moving.in_transit == 12
    assert _stages(world) == {"in_transit": 12}
    orders = _orders(world)
    for shipment in _shipments(world):
        assert shipment.first_scan_at is not None
        assert shipment.last_scan_at is not None
        assert shipment.first_scan_at <= shipment.last_scan_at <= clock.at()()
        assert shipment.tracking_checked_at is not None
        due = orders[shipment.order_id].shipping_due_at
        assert due is not None
        expected = DispatchState.ON_TIME if shipment.first_scan_at <= due else DispatchState.LATE
        assert orders[shipment.order_id].dispatch_state == expected.value
    first_scans = {s.id: s.first_scan_at for s in _shipments(world)}

    clock.advance(timedelta(days=10))
    arrived = sync_tracking(world.services, now=clock.at())
    assert arrived.delivered == 12
    assert arrived.in_transit == 0
    assert arrived.possibly_lost == 0
    assert _stages(world) == {"delivered": 12}
    for shipment in _shipments(world):
        assert shipment.tracking_status == "delivered"
        assert shipment.delivered_at is not None
        assert shipment.first_scan_at == first_scans[shipment.id]  # never moved later

    # Delivered orders are not tracked any more: a second run has nothing to do.
    state = _snapshot(world)
    again = sync_tracking(world.services, now=clock.at(timedelta(minutes=5)))
    assert (again.checked, again.in_transit, again.delivered, again.errors) == (0, 0, 0, 0)
    assert _snapshot(world) == state


def test_an_unscanned_order_is_flagged_before_its_ship_by_time(world: World) -> None:
    ids = _ship_everything(world)
    clock = Clock(world)
    start = clock.at()()
    due = start + timedelta(hours=4)
    relaxed = ids[0]
    _set_due(world, due)
    _set_due(world, start + timedelta(days=2), [relaxed])
    events_before = _event_count(world)

    flagged = sync_tracking(world.services, now=clock.at())
    assert flagged.at_risk == 11
    assert flagged.late == 0
    orders = _orders(world)
    assert orders[relaxed].dispatch_state == DispatchState.WAITING.value
    at_risk = {i for i, o in orders.items() if o.dispatch_state == DispatchState.AT_RISK.value}
    assert at_risk == set(ids) - {relaxed}
    notes = _notes(world)
    assert sorted(order for order, to, _ in notes if to == "at_risk") == sorted(at_risk)
    assert all(actor == "daemon" for _, _, actor in notes)
    assert _event_count(world) == events_before + 11

    # A minute before the deadline: still at risk, and nothing is logged twice.
    just_before = clock.at(timedelta(hours=3, minutes=59))
    assert just_before() < due
    state = _snapshot(world)
    again = sync_tracking(world.services, now=just_before)
    assert again.at_risk == 11
    assert _snapshot(world) == state
    flagged_ids = {order.order_id for order in late_orders(world.services)}
    assert flagged_ids == at_risk
    assert set(dispatch_filter_values()["late"]) == {"at_risk", "overdue", "late"}

    # Past the deadline with still no scan: overdue, logged once.
    overdue = sync_tracking(world.services, now=clock.at(timedelta(hours=5)))
    assert overdue.late == 11
    assert overdue.at_risk == 0
    assert sum(1 for _, to, _ in _notes(world) if to == "overdue") == 11

    # The carriers scan at last: each order is judged by its first scan against the deadline.
    clock.advance(timedelta(hours=9))
    scanned = sync_tracking(world.services, now=clock.at())
    assert scanned.in_transit == 12
    orders = _orders(world)
    firsts: dict[str, datetime] = {}
    for shipment in _shipments(world):
        assert shipment.first_scan_at is not None
        firsts[shipment.order_id] = shipment.first_scan_at
    for order_id, order in orders.items():
        assert order.shipping_due_at is not None
        late = firsts[order_id] > order.shipping_due_at
        want = DispatchState.LATE if late else DispatchState.ON_TIME
        assert order.dispatch_state == want.value
    late_ids = {i for i, o in orders.items() if o.dispatch_state == "late"}
    assert late_ids  # Shippo and EasyPost scan 6 hours after the purchase: after the 4 h due
    assert sorted(o for o, to, _ in _notes(world) if to == "late") == sorted(late_ids)


def test_a_provider_fault_on_one_label_does_not_stop_the_others(world: World) -> None:
    _ship_everything(world)
    clock = Clock(world)
    providers = {s.provider for s in _shipments(world)}
    faulty = providers & {"shippo", "easypost"}
    assert faulty == {"shippo", "easypost"}
    world.shippo.faults.fail_next(1, "5xx", "GET /tracks")
    world.easypost.faults.fail_next(1, "5xx", "/v2/shipments")
    clock.advance(timedelta(hours=9))

    summary = sync_tracking(world.services, now=clock.at(), workers=1)
    assert summary.errors == len(faulty)
    assert {failure.provider for failure in summary.failures} == faulty
    assert summary.checked == 12 - len(faulty)
    assert summary.in_transit == 12 - len(faulty)
    stuck = {failure.order_id for failure in summary.failures}
    orders = _orders(world)
    assert {i for i, o in orders.items() if o.stage is Stage.SHIPPED} == stuck
    # The failed orders were still judged (time keeps flagging them).
    assert all(orders[i].dispatch_state is not None for i in stuck)

    retry = sync_tracking(world.services, now=clock.at(timedelta(minutes=1)))
    assert retry.errors == 0
    assert retry.in_transit == len(faulty)
    assert _stages(world) == {"in_transit": 12}


def test_no_scan_for_seven_business_days_is_possibly_lost(world: World) -> None:
    _ship_everything(world)
    clock = Clock(world)
    clock.advance(timedelta(hours=9))
    sync_tracking(world.services, now=clock.at())
    assert _stages(world) == {"in_transit": 12}
    assert not any(o.possibly_lost for o in _orders(world).values())

    # Our clock runs three weeks ahead while the carriers report nothing new.
    silent = clock.at(timedelta(days=21))
    lost = sync_tracking(world.services, now=silent)
    assert lost.possibly_lost == 12
    assert all(o.possibly_lost for o in _orders(world).values())
    assert sum(1 for _, to, _ in _notes(world) if to == "possibly_lost") == 12
    state = _snapshot(world)
    sync_tracking(world.services, now=silent)
    assert _snapshot(world) == state  # no second event, no change

    # The parcels turn up: delivered parcels are never lost.
    clock.advance(timedelta(days=21))
    found = sync_tracking(world.services, now=clock.at())
    assert found.delivered == 12
    assert found.possibly_lost == 0
    assert not any(o.possibly_lost for o in _orders(world).values())


def test_a_labelled_order_records_its_scan_and_moves_once_pushed(world: World) -> None:
    _buy_everything(world)
    clock = Clock(world)
    labelled = {i for i, o in _orders(world).items() if o.stage is Stage.LABELLED}
    assert labelled  # Shippo and EasyPost labels wait for the tracking push
    clock.advance(timedelta(hours=9))

    sync_tracking(world.services, now=clock.at())
    orders = _orders(world)
    assert {i for i, o in orders.items() if o.stage is Stage.LABELLED} == labelled
    scanned = {s.order_id for s in _shipments(world) if s.first_scan_at is not None}
    assert scanned == set(orders)  # the scan is recorded even before the push
    assert all(orders[i].dispatch_state is not None for i in labelled)

    push_tracking(world.services, now=clock.at())
    after = sync_tracking(world.services, now=clock.at(timedelta(minutes=1)))
    assert after.in_transit == len(labelled)
    assert _stages(world) == {"in_transit": 12}


def test_a_refused_api_key_stops_the_run(world: World) -> None:
    _ship_everything(world)
    world.services.secrets.set("shippo_api_key", "shippo_live_revoked")
    with pytest.raises(AuthError):
        sync_tracking(world.services, workers=1)


@pytest.mark.parametrize(
    ("now", "lost"),
    [
        # Last scan Wed 23 Dec 2026; Christmas (Fri 25) and New Year's Day (Fri 1 Jan) are
        # skipped, so the 7th business day after it is Tue 5 Jan 2027.
        (datetime(2027, 1, 4, 23, 0, tzinfo=SHOP_TIMEZONE), False),
        (datetime(2027, 1, 5, 0, 30, tzinfo=SHOP_TIMEZONE), True),
    ],
)
def test_possibly_lost_counts_business_days_and_holidays(now: datetime, lost: bool) -> None:
    last = datetime(2026, 12, 23, 15, 0, tzinfo=SHOP_TIMEZONE)
    bought = last - timedelta(days=1)
    assert (
        is_possibly_lost(last_scan_at=last, bought_at=bought, status="in_transit", now=now) is lost
    )
    # Never scanned: counted from the purchase (one business day earlier).
    assert is_possibly_lost(last_scan_at=None, bought_at=bought, status=None, now=now)
    assert not is_possibly_lost(last_scan_at=last, bought_at=bought, status="delivered", now=now)
