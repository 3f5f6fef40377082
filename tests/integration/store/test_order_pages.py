"""Storing synced pages of orders: bulk insert, update, never backwards, events, quarantine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from creatorflow.domain.orders import LineRecord, OrderRecord
from creatorflow.domain.stages import Stage
from creatorflow.store.order_pages import store_order_page
from creatorflow.store.session import Store
from creatorflow.store.shops import ShopData, upsert_shops
from creatorflow.store.sync_state import (
    Rejected,
    advance_watermark,
    quarantine,
    quarantined_count,
    read_cursor,
)
from creatorflow.store.tables import EventKind, Order, OrderEvent, OrderLine

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SHOP = "7494049642642441621"


def _record(order_id: str, status: str = "AWAITING_SHIPMENT", minutes: int = 0) -> OrderRecord:
    lines = tuple(
        LineRecord(
            id=f"{order_id}-{n}",
            sku_id="1729592969712207012",
            product_id="1729592969712203012",
            product_name="Café mug, 12 oz",
            unit_price=Decimal("12.50"),
            currency="USD",
            seller_sku="MUG-12",
        )
        for n in range(3)
    )
    return OrderRecord(
        id=order_id,
        shop_id=SHOP,
        status=status,
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=1) + timedelta(minutes=minutes),
        total_amount=Decimal("41.47"),
        currency="USD",
        lines=lines,
        address_masked=status in {"UNPAID", "ON_HOLD"},
        recipient_name="Zoë Ñúñez" if status not in {"UNPAID", "ON_HOLD"} else "Z***z",
        raw=f'{{"id": "{order_id}", "status": "{status}"}}',
    )


def _with_shop(store: Store) -> None:
    with store.write() as session:
        upsert_shops(
            session,
            [ShopData(SHOP, "Mugs & More", "US", "ROW_cipher")],
            access_expires_at=None,
            refresh_expires_at=None,
            now=NOW,
        )


def _events(store: Store, order_id: str) -> list[tuple[str, str | None, str | None]]:
    with store.read() as session:
        rows = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        ).all()
        return [(event.kind.value, event.from_value, event.to_value) for event in rows]


def test_new_orders_land_with_lines_units_and_a_status_event(store: Store) -> None:
    _with_shop(store)
    with store.write() as session:
        outcome = store_order_page(session, [_record("1"), _record("2", "ON_HOLD")], now=NOW)
    assert (outcome.new, outcome.updated, outcome.unchanged) == (2, 0, 0)
    with store.read() as session:
        order = session.get(Order, "1")
        assert order is not None
        assert order.units == 3
        assert order.stage is Stage.NEW
        assert order.recipient_name == "Zoë Ñúñez"
        assert order.total_amount == Decimal("41.47")
        assert order.raw == {"id": "1", "status": "AWAITING_SHIPMENT"}
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 6
        held = session.get(Order, "2")
        assert held is not None
        assert held.address_masked
    assert _events(store, "1") == [("status", None, "AWAITING_SHIPMENT")]


def test_an_older_update_never_moves_an_order_backwards(store: Store) -> None:
    _with_shop(store)
    with store.write() as session:
        store_order_page(session, [_record("1", "AWAITING_COLLECTION", minutes=30)], now=NOW)
    with store.write() as session:
        outcome = store_order_page(session, [_record("1", "AWAITING_SHIPMENT")], now=NOW)
    assert outcome.stale == 1
    with store.read() as session:
        order = session.get(Order, "1")
        assert order is not None
        assert order.status == "AWAITING_COLLECTION"
        assert order.version == 1


def test_a_newer_update_changes_status_logs_it_and_replaces_lines(store: Store) -> None:
    _with_shop(store)
    with store.write() as session:
        store_order_page(session, [_record("1", "ON_HOLD")], now=NOW)
    newer = replace(_record("1", "AWAITING_SHIPMENT", minutes=60), lines=_record("1").lines[:2])
    with store.write() as session:
        outcome = store_order_page(session, [newer], now=NOW)
    assert outcome.updated == 1
    assert outcome.status_changes == [("1", "ON_HOLD", "AWAITING_SHIPMENT")]
    with store.read() as session:
        order = session.get(Order, "1")
        assert order is not None
        assert (order.status, order.units, order.address_masked) == ("AWAITING_SHIPMENT", 2, False)
        assert order.version == 2
        assert len(order.lines) == 2
    assert _events(store, "1") == [
        ("status", None, "ON_HOLD"),
        ("status", "ON_HOLD", "AWAITING_SHIPMENT"),
    ]


def test_the_same_version_is_unchanged_unless_it_unmasks_the_address(store: Store) -> None:
    _with_shop(store)
    masked = replace(_record("1"), address_masked=True, recipient_name="Z***z")
    with store.write() as session:
        store_order_page(session, [masked], now=NOW)
    with store.write() as session:
        assert store_order_page(session, [masked], now=NOW).unchanged == 1
    with store.write() as session:
        assert store_order_page(session, [_record("1")], now=NOW).updated == 1
    with store.read() as session:
        order = session.get(Order, "1")
        assert order is not None
        assert order.recipient_name == "Zoë Ñúñez"


def test_cancellation_ends_a_new_order_and_first_sight_of_a_shipped_order_is_shipped(
    store: Store,
) -> None:
    _with_shop(store)
    with store.write() as session:
        store_order_page(session, [_record("1"), _record("2", "IN_TRANSIT")], now=NOW)
    with store.write() as session:
        store_order_page(session, [_record("1", "CANCELLED", minutes=5)], now=NOW)
    with store.read() as session:
        cancelled = session.get(Order, "1")
        transit = session.get(Order, "2")
        assert cancelled is not None
        assert cancelled.stage is Stage.CANCELLED
        assert transit is not None
        assert transit.stage is Stage.IN_TRANSIT
    assert (EventKind.STAGE.value, "new", "cancelled") in _events(store, "1")


def test_watermark_only_moves_forward_and_quarantine_keeps_the_payload(store: Store) -> None:
    _with_shop(store)
    with store.write() as session:
        advance_watermark(session, SHOP, "orders", NOW, now=NOW, finished=True)
        advance_watermark(session, SHOP, "orders", NOW - timedelta(days=1), now=NOW)
        quarantine(
            session, SHOP, "orders", [Rejected('{"id":"9","x":"\x00"}', "bad", "9")], now=NOW
        )
    with store.read() as session:
        cursor = read_cursor(session, SHOP, "orders")
        assert cursor is not None
        assert cursor.watermark == NOW
        assert cursor.last_success_at == NOW
        assert quarantined_count(session, "orders") == 1
