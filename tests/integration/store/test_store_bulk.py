"""The fast bulk insert converts exactly like SQLAlchemy and refuses rows missing defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Table, select

from creatorflow.store.bulk import insert_many
from creatorflow.store.session import Store
from creatorflow.store.tables import Order, Shop

NOW = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)
ORDERS: Table = Order.__table__  # type: ignore[assignment]


def _row(order_id: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": order_id,
        "shop_id": "s1",
        "status": "AWAITING_SHIPMENT",
        "stage": "new",
        "tiktok_created_at": NOW,
        "tiktok_updated_at": NOW,
        "total_amount": Decimal("19.9900"),
        "currency": "USD",
        "units": 2,
        "address_masked": False,
        "buyer_cancel_requested": False,
        "first_seen_at": NOW,
        "synced_at": NOW,
        "version": 1,
        "possibly_lost": False,
        "raw": {"id": order_id},
        "shipping_fee": None,
    }
    row.update(extra)
    return row


def test_rows_read_back_as_the_orm_would_have_written_them(store: Store) -> None:
    with store.write() as session:
        session.add(Shop(id="s1", cipher="c", name="n", region="US", authorized_at=NOW))
        session.flush()
        insert_many(session, ORDERS, [_row("1"), _row("2", total_amount=Decimal("0.0001"))])
    with store.read() as session:
        orders = {o.id: o for o in session.scalars(select(Order))}
    assert orders["1"].tiktok_created_at == NOW
    assert orders["1"].total_amount == Decimal("19.9900")
    assert orders["2"].total_amount == Decimal("0.0001")
    assert orders["1"].raw == {"id": "1"}
    assert orders["1"].shipping_fee is None


def test_rows_without_a_defaulted_column_are_refused(store: Store) -> None:
    row = _row("1")
    del row["version"]
    with store.write() as session, pytest.raises(ValueError, match="version"):
        insert_many(session, ORDERS, [row])
