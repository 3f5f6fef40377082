"""``services.reports`` against a store of known orders, labels, refunds and scans.

Every expected figure below was worked out by hand from the fixture (see the table in
``shop``), never by calling the code under test. The clock is Friday 20 November 2026,
12:00 in the shop's time zone (US Pacific, 20:00 UTC); a 7-day report covers the local days
14 to 20 November.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.domain.stages import Stage
from creatorflow.errors import UsageError
from creatorflow.services.context import Services
from creatorflow.services.reports import Report, ReportRow, dashboard, report
from creatorflow.services.setup import initialize
from creatorflow.store.tables import Order, OrderLine, Shipment, ShipmentState, Shop
from tests.postgres import postgres_schema

NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


SKUS = {
    "sku-1": ("MUG-BLUE", "Blue mug", Decimal("10.00")),
    "sku-2": ("CARD-SET", "Card set", Decimal("5.50")),
    "sku-3": ("LAMP", "Desk lamp", Decimal("20.00")),
    "sku-4": ("TEA-UK", "Tea tin", Decimal("8.00")),
}

#: order → (created, status, stage, currency, due, paid, [(sku, cancelled line?)], labels)
#: each label: (cost, state, refund_state, bought, first scan)
ORDERS: dict[str, Any] = {
    # Local 18 Nov (10:00): on time, valid tracking. 6.31 split 2/3 : 1/3 by units.
    "A": (utc(18, 18), "IN_TRANSIT", Stage.IN_TRANSIT, "USD", utc(20, 7, 59), None,
          [("sku-1", False), ("sku-1", False), ("sku-2", False)],
          [("6.31", ShipmentState.PURCHASED, None, utc(18, 19), utc(19, 1))]),
    # 03:00 UTC on the 19th is still the 18th in Pacific time. First scan after ship-by: late.
    # Its first label was refunded: it costs nothing.
    "B": (utc(19, 3), "IN_TRANSIT", Stage.IN_TRANSIT, "USD", utc(20, 7, 59), None,
          [("sku-1", False)],
          [("4.10", ShipmentState.REFUNDED, "refunded", utc(19, 3, 30), None),
           ("4.00", ShipmentState.PURCHASED, None, utc(19, 4), utc(20, 10))]),
    # Cancelled, refund refused: no sale, but its label is a cost (local 16 Nov).
    "C": (utc(16, 12), "CANCELLED", Stage.NEEDS_ATTENTION, "USD", utc(18, 7, 59), None,
          [("sku-2", True)],
          [("3.00", ShipmentState.PURCHASED, "rejected", utc(16, 13), None)]),
    # Local 17 Nov: never scanned and its ship-by time has passed: late; label too young to
    # judge its tracking.
    "D": (utc(17, 16), "AWAITING_COLLECTION", Stage.SHIPPED, "USD", utc(19, 7, 59), None,
          [("sku-3", False)],
          [("5.00", ShipmentState.PURCHASED, None, utc(17, 17), None)]),
    # Unpaid: not a sale, not counted anywhere.
    "E": (utc(20, 15), "UNPAID", Stage.NEW, "USD", None, None, [("sku-1", False)], []),
    # GBP (local 15 Nov); its label was voided at a carrier that bills on scan: free.
    "F": (utc(15, 10), "AWAITING_SHIPMENT", Stage.VOIDED, "GBP", utc(17, 7, 59), None,
          [("sku-4", False)],
          [("2.00", ShipmentState.VOIDED, "not_applicable", utc(15, 11), None)]),
    # Before the window (local 10 Nov).
    "G": (utc(10, 18), "DELIVERED", Stage.DELIVERED, "USD", utc(12, 7, 59), None,
          [("sku-1", False)],
          [("5.00", ShipmentState.PURCHASED, None, utc(10, 19), utc(11, 1))]),
    # Local Sat 14 Nov 01:00, no ship-by from TikTok: due end of Tue 17 Nov Pacific
    # (2 business days) = 18 Nov 07:59:59 UTC. Scanned 17 Nov 20:00 UTC: on time (two
    # calendar days would have said late). One line cancelled: it carries no revenue,
    # units nor label share.
    "H": (utc(14, 9), "IN_TRANSIT", Stage.IN_TRANSIT, "USD", None, utc(14, 9, 5),
          [("sku-3", False), ("sku-1", True)],
          [("7.00", ShipmentState.PURCHASED, None, utc(14, 10), utc(17, 20))]),
    # Local 14 Nov: never scanned, label 6 days old: late and invalid tracking.
    "I": (utc(14, 20), "AWAITING_COLLECTION", Stage.SHIPPED, "USD", utc(18, 7, 59), None,
          [("sku-2", False)],
          [("3.20", ShipmentState.PURCHASED, None, utc(14, 21), None)]),
    # Local 19 Nov, two labels, one scanned: not decided yet, tracking not judged yet.
    "J": (utc(19, 18), "AWAITING_COLLECTION", Stage.SHIPPED, "USD", utc(21, 7, 59), None,
          [("sku-1", False), ("sku-3", False)],
          [("3.00", ShipmentState.PURCHASED, None, utc(19, 19), utc(19, 22)),
           ("2.50", ShipmentState.PURCHASED, None, utc(19, 19), None)]),
}  # fmt: skip


def _fill(services: Services) -> None:
    with services.store.write() as session:
        session.add(Shop(id="shop", cipher="c", name="Shop", region="US", authorized_at=utc(1, 0)))
        session.flush()
        for order_id, (
            created,
            status,
            stage,
            currency,
            due,
            paid,
            lines,
            labels,
        ) in ORDERS.items():
            session.add(
                Order(
                    id=order_id,
                    shop_id="shop",
                    status=status,
                    stage=stage,
                    tiktok_created_at=created,
                    tiktok_updated_at=created,
                    paid_at=paid,
                    shipping_due_at=due,
                    total_amount=sum((SKUS[sku][2] for sku, _ in lines), Decimal(0)),
                    currency=currency,
                    units=len(lines),
                )
            )
            session.flush()
            for n, (sku, cancelled) in enumerate(lines):
                seller_sku, name, price = SKUS[sku]
                session.add(
                    OrderLine(
                        id=f"{order_id}-{n}",
                        order_id=order_id,
                        sku_id=sku,
                        seller_sku=seller_sku,
                        product_id="p",
                        product_name=name,
                        unit_price=price,
                        currency=currency,
                        display_status="CANCELLED" if cancelled else None,
                    )
                )
            for generation, (cost, state, refund, bought, scan) in enumerate(labels, 1):
                session.add(
                    Shipment(
                        order_id=order_id,
                        package_key="pkg",
                        generation=generation,
                        provider="shippo",
                        cost=Decimal(cost),
                        currency=currency,
                        state=state,
                        refund_state=refund,
                        first_scan_at=scan,
                        created_at=bought,
                    )
                )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """An installation holding the orders of :data:`ORDERS`, on each backend."""
    environ = {"CREATORFLOW_HOME": str(tmp_path / "home")}
    with (
        postgres_schema(request.getfixturevalue("postgres_url"))
        if request.param == "postgres"
        else _no_schema()
    ) as url:
        if url:
            environ["CREATORFLOW_DATABASE_URL"] = url
        services = Services(paths=resolve_paths(environ), environ=environ)
        initialize(services)
        _fill(services)
        yield services
        services.close()


class _no_schema:
    def __enter__(self) -> str:
        return ""

    def __exit__(self, *exc: object) -> None:
        return None


def _by_key(rows: list[ReportRow]) -> dict[tuple[str, str], ReportRow]:
    return {(row.key, row.currency): row for row in rows}


def _figures(row: ReportRow) -> tuple[Any, ...]:
    return (
        row.orders,
        row.units,
        row.revenue,
        row.label_spend,
        row.margin,
        row.shipped,
        row.dispatch_decided,
        row.late,
        row.late_dispatch_rate,
        row.tracking_judged,
        row.tracking_valid,
        row.valid_tracking_rate,
    )


D = Decimal


def test_days_cover_the_shop_calendar_with_every_figure(shop: Services) -> None:
    result = report(shop, days=7, by="day", now=NOW)
    assert result.since == datetime(2026, 11, 14, 8, tzinfo=UTC)  # midnight PST
    assert result.until == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert [row.key for row in result.rows if row.currency == "USD"] == [
        f"2026-11-{day}" for day in range(14, 21)
    ]
    assert len(result.rows) == 14  # every day, for each of the two currencies
    rows = _by_key(result.rows)
    # H (20.00, its cancelled line left out) and I (5.50); labels 7.00 + 3.20.
    assert _figures(rows["2026-11-14", "USD"]) == (
        2, 2, D("25.50"), D("10.20"), D("15.30"), 2, 2, 1, 0.5, 2, 1, 0.5,
    )  # fmt: skip
    assert _figures(rows["2026-11-15", "GBP"]) == (
        1, 1, D("8.00"), D("0.00"), D("8.00"), 0, 0, 0, None, 0, 0, None,
    )  # fmt: skip
    # Only C's label, whose refund was refused.
    assert _figures(rows["2026-11-16", "USD"]) == (
        0, 0, D("0.00"), D("3.00"), D("-3.00"), 0, 0, 0, None, 0, 0, None,
    )  # fmt: skip
    assert _figures(rows["2026-11-17", "USD"]) == (
        1, 1, D("20.00"), D("5.00"), D("15.00"), 1, 1, 1, 1.0, 0, 0, None,
    )  # fmt: skip
    # A (25.50) and B (10.00, created on the 19th in UTC); B's refunded label is free.
    assert _figures(rows["2026-11-18", "USD"]) == (
        2, 4, D("35.50"), D("10.31"), D("25.19"), 2, 2, 1, 0.5, 2, 2, 1.0,
    )  # fmt: skip
    assert _figures(rows["2026-11-19", "USD"]) == (
        1, 2, D("30.00"), D("5.50"), D("24.50"), 1, 0, 0, None, 0, 0, None,
    )  # fmt: skip
    # E is unpaid: the day is empty.
    assert _figures(rows["2026-11-20", "USD"]) == (
        0, 0, D("0.00"), D("0.00"), D("0.00"), 0, 0, 0, None, 0, 0, None,
    )  # fmt: skip


def test_totals_are_per_currency_and_exact(shop: Services) -> None:
    result = report(shop, days=7, by="day", now=NOW)
    totals = _by_key(result.totals)
    assert set(totals) == {("total", "GBP"), ("total", "USD")}
    # Late: I, D, B of the five decided (H, I, D, A, B); valid: H, A, B of four judged.
    assert _figures(totals["total", "USD"]) == (
        6, 9, D("111.00"), D("34.01"), D("76.99"), 6, 5, 3, 0.6, 4, 3, 0.75,
    )  # fmt: skip
    assert _figures(totals["total", "GBP"]) == (
        1, 1, D("8.00"), D("0.00"), D("8.00"), 0, 0, 0, None, 0, 0, None,
    )  # fmt: skip


def test_skus_share_label_spend_by_units(shop: Services) -> None:
    result = report(shop, days=7, by="sku", now=NOW)
    assert [(row.currency, row.key) for row in result.rows] == [
        ("GBP", "sku-4"),
        ("USD", "sku-3"),  # by revenue: 60, 40, 11
        ("USD", "sku-1"),
        ("USD", "sku-2"),
    ]
    rows = _by_key(result.rows)
    assert rows["sku-1", "USD"].label == "MUG-BLUE — Blue mug"
    # A 6.31 * 2/3 = 4.2067 → 4.21, B 4.00, J 5.50 / 2 = 2.75; H's cancelled line: nothing.
    assert _figures(rows["sku-1", "USD"]) == (
        3, 4, D("40.00"), D("10.96"), D("29.04"), 3, 2, 1, 0.5, 2, 2, 1.0,
    )  # fmt: skip
    # A 6.31 * 1/3 = 2.1033 → 2.10, C 3.00 (all its lines cancelled: they carry it), I 3.20.
    assert _figures(rows["sku-2", "USD"]) == (
        2, 2, D("11.00"), D("8.30"), D("2.70"), 2, 2, 1, 0.5, 2, 1, 0.5,
    )  # fmt: skip
    # D 5.00, H 7.00 (its only live line), J 2.75.
    assert _figures(rows["sku-3", "USD"]) == (
        3, 3, D("60.00"), D("14.75"), D("45.25"), 3, 2, 1, 0.5, 1, 1, 1.0,
    )  # fmt: skip
    assert _figures(rows["sku-4", "GBP"])[:5] == (1, 1, D("8.00"), D("0.00"), D("8.00"))
    # Totals stay exact; the rounded shares add up to within a cent of them.
    usd = _by_key(result.totals)["total", "USD"]
    assert usd.label_spend == D("34.01")
    shares = sum(row.label_spend for row in result.rows if row.currency == "USD")
    assert abs(shares - usd.label_spend) <= D("0.01")


def test_a_short_window_has_rows_only_for_currencies_sold_in_it(shop: Services) -> None:
    two_days = report(shop, days=2, by="day", now=NOW)
    assert [(row.key, row.currency, row.orders) for row in two_days.rows] == [
        ("2026-11-19", "USD", 1),
        ("2026-11-20", "USD", 0),
    ]
    today = report(shop, days=1, by="day", now=NOW)  # only the unpaid order E
    assert (today.rows, today.totals) == ([], [])


def test_dashboard_gives_today_the_period_and_the_series(shop: Services) -> None:
    board = dashboard(shop, days=7, now=NOW)
    assert [(row.key, row.currency) for row in board.today] == [
        ("2026-11-20", "GBP"),
        ("2026-11-20", "USD"),
    ]
    assert {row.currency: row.revenue for row in board.period} == {
        "GBP": D("8.00"),
        "USD": D("111.00"),
    }
    assert len(board.daily) == 14


def test_an_empty_store_reports_nothing(tmp_path: Path) -> None:
    environ = {"CREATORFLOW_HOME": str(tmp_path / "empty")}
    services = Services(paths=resolve_paths(environ), environ=environ)
    initialize(services)
    result: Report = report(services, days=30, now=NOW)
    assert result.rows == []
    assert result.totals == []
    services.close()


@pytest.mark.parametrize(("days", "by"), [(0, "day"), (1001, "day"), (7, "week")])
def test_bad_arguments_are_usage_errors(shop: Services, days: int, by: str) -> None:
    with pytest.raises(UsageError):
        report(shop, days=days, by=by, now=NOW)
