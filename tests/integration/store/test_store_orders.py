"""Order moves and the database constraints that protect money, on each backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from creatorflow.domain.stages import Actor, Stage, plan_transition
from creatorflow.errors import InvalidTransitionError, StoreError
from creatorflow.store.order_events import apply_stage_change, record_status_change
from creatorflow.store.session import Store
from creatorflow.store.tables import (
    Effect,
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentState,
)

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
ORDER = "576000000000000001"
AddOrder = Callable[..., Order]


def _events(store: Store) -> list[tuple[str, str | None, str | None, str, str | None]]:
    with store.read() as session:
        rows = session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
        return [(e.kind, e.from_value, e.to_value, e.actor, e.reason) for e in rows]


def test_stage_change_moves_the_order_and_logs_it(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
    change = plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=NOW)
    with store.write() as session:
        apply_stage_change(session, ORDER, change)
    with store.read() as session:
        order = session.get_one(Order, ORDER)
        assert order.stage is Stage.APPROVED
        assert order.stage_changed_at == NOW
        assert order.version == 2
    assert _events(store) == [("stage", "new", "approved", "cli", None)]


def test_hold_reason_is_kept_while_held_and_cleared_after(
    store: Store, add_order: AddOrder
) -> None:
    with store.write() as session:
        add_order(session, ORDER)
    hold = plan_transition(
        Stage.NEW, Stage.HELD, actor=Actor.RULE, now=NOW, reason="missing weight"
    )
    release = plan_transition(
        Stage.HELD, Stage.NEW, actor=Actor.TUI, now=NOW + timedelta(minutes=5)
    )
    with store.write() as session:
        apply_stage_change(session, ORDER, hold)
    with store.read() as session:
        assert session.get_one(Order, ORDER).hold_reason == "missing weight"
    with store.write() as session:
        apply_stage_change(session, ORDER, release)
    with store.read() as session:
        order = session.get_one(Order, ORDER)
        assert order.hold_reason is None
        assert order.stage_changed_at == NOW + timedelta(minutes=5)
    assert [event[1:] for event in _events(store)] == [
        ("new", "held", "rule", "missing weight"),
        ("held", "new", "tui", None),
    ]


def test_attention_reason_follows_needs_attention(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER, Stage.PURCHASING)
        apply_stage_change(
            session,
            ORDER,
            plan_transition(
                Stage.PURCHASING,
                Stage.NEEDS_ATTENTION,
                actor=Actor.DAEMON,
                now=NOW,
                reason="Shippo: address invalid",
            ),
        )
        order = session.get_one(Order, ORDER)
        assert order.attention_reason == "Shippo: address invalid"
        assert order.hold_reason is None
        apply_stage_change(
            session,
            ORDER,
            plan_transition(Stage.NEEDS_ATTENTION, Stage.APPROVED, actor=Actor.CLI, now=NOW),
        )
        assert session.get_one(Order, ORDER).attention_reason is None


def test_stale_from_stage_is_refused_and_nothing_is_logged(
    store: Store, add_order: AddOrder
) -> None:
    with store.write() as session:
        add_order(session, ORDER, Stage.APPROVED)
    stale = plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=NOW)
    with pytest.raises(InvalidTransitionError) as info, store.write() as session:
        apply_stage_change(session, ORDER, stale)
    assert "'approved'" in info.value.message
    assert _events(store) == []
    with store.read() as session:
        assert session.get_one(Order, ORDER).version == 1


def test_stage_change_of_an_unknown_order_is_a_store_error(store: Store) -> None:
    change = plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=NOW)
    with pytest.raises(StoreError, match="not in the local store"), store.write() as session:
        apply_stage_change(session, "nope", change)


def _overwrite(store: Store, copy: Order) -> None:
    with store.write() as session:
        merged = session.merge(copy, load=False)
        merged.buyer_message = "written from an old copy"


def test_stale_orm_copy_cannot_overwrite_a_stage_change(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
    with store.read() as session:
        stale = session.get_one(Order, ORDER)
    with store.write() as session:
        apply_stage_change(
            session, ORDER, plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=NOW)
        )
    with pytest.raises(StaleDataError):
        _overwrite(store, stale)


def test_status_changes_are_logged_once(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
        assert record_status_change(session, ORDER, "UNPAID", "AWAITING_SHIPMENT", NOW)
        assert not record_status_change(
            session, ORDER, "AWAITING_SHIPMENT", "AWAITING_SHIPMENT", NOW
        )
    assert _events(store) == [("status", "UNPAID", "AWAITING_SHIPMENT", "sync", None)]


def _shipment(order_id: str = ORDER, generation: int = 1) -> Shipment:
    return Shipment(
        order_id=order_id,
        package_key="pkg-1",
        generation=generation,
        provider="shippo",
        cost=Decimal("7.42"),
        currency="USD",
    )


def test_one_label_per_package_and_generation(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
        session.add(_shipment())
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(_shipment())
    with store.write() as session:
        session.add(_shipment(generation=2))  # a deliberate re-buy
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == 2
        assert session.scalar(select(func.sum(Shipment.cost))) == Decimal("14.84")


def test_effect_keys_are_unique(store: Store, add_order: AddOrder) -> None:
    key = f"label:7000001:{ORDER}:pkg-1:1"
    with store.write() as session:
        add_order(session, ORDER)
        session.add(Effect(key=key, kind="buy_label", order_id=ORDER))
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(Effect(key=key, kind="buy_label", order_id=ORDER))


def test_unknown_stage_is_refused_by_the_database(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
    with pytest.raises(IntegrityError), store.write() as session:
        session.execute(text("UPDATE orders SET stage = 'teleported'"))


def test_shipment_state_reads_back_as_its_enum(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
        session.add(_shipment())
    with store.read() as session:
        assert session.scalars(select(Shipment.state)).one() is ShipmentState.PURCHASING


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.write() as session:
        session.add(_shipment(order_id="no-such-order"))


def test_deleting_an_order_removes_its_lines_and_events(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        order = add_order(session, ORDER)
        order.lines.append(
            OrderLine(
                id="line-1",
                sku_id="sku-1",
                product_id="p-1",
                product_name="Mug",
                unit_price=Decimal("12.50"),
                currency="USD",
            )
        )
        record_status_change(session, ORDER, None, "AWAITING_SHIPMENT", NOW)
    with store.write() as session:
        session.execute(text("DELETE FROM orders"))
    with store.read() as session:
        assert session.scalars(select(OrderLine)).all() == []
        assert session.scalars(select(OrderEvent)).all() == []


def test_event_kind_constraint(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        add_order(session, ORDER)
    with pytest.raises(IntegrityError), store.write() as session:
        session.execute(
            text(
                "INSERT INTO order_events (order_id, at, actor, kind) "
                "VALUES (:o, :at, 'cli', 'gossip')"
            ),
            {"o": ORDER, "at": NOW},
        )
    assert EventKind("note") is EventKind.NOTE


def test_loaded_order_stays_usable_after_a_stage_change(store: Store, add_order: AddOrder) -> None:
    with store.write() as session:
        order = add_order(session, ORDER)
        apply_stage_change(
            session, ORDER, plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=NOW)
        )
        assert order.stage is Stage.APPROVED
        order.buyer_message = "please gift wrap"
        session.flush()
        assert order.version == 3
