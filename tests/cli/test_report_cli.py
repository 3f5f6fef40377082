"""``creatorflow report``: the table, ``--json`` and ``--csv`` over orders of known worth."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from creatorflow.cli.commands.reports import bar
from creatorflow.store.tables import ShipmentState
from tests.cli.conftest import Invoke, parse_json
from tests.cli.store_seed import Seed, seed

DAY = timedelta(days=1)


@pytest.fixture
def shop(cli: Invoke) -> None:
    """Two sales in the last 30 days (one label refunded) and one older sale."""
    assert cli("init").exit_code == 0
    seed(
        [
            # 2 x 12.50 of s1, label 4.25.
            Seed("P1", 2 * DAY, [("s1", "12.50"), ("s1", "12.50")], [("4.25", _BOUGHT, None)]),
            # 7.00 of s2; its first label was refunded, the second cost 3.10.
            Seed(
                "P2",
                3 * DAY,
                [("s2", "7.00")],
                [("3.00", ShipmentState.REFUNDED, "refunded"), ("3.10", _BOUGHT, None)],
            ),
            # 40 days old: only in a longer report.
            Seed("P3", 40 * DAY, [("s1", "99.00")], [("9.00", _BOUGHT, None)]),
        ]
    )


_BOUGHT = ShipmentState.PURCHASED


def test_json_carries_rows_and_exact_totals(shop: None, cli: Invoke) -> None:
    report = parse_json(cli("report", "--json"))
    assert report["by"] == "day"
    assert report["days"] == 30
    assert len(report["rows"]) == 30  # every day of the window, empty ones too
    assert sum(row["orders"] for row in report["rows"]) == 2
    [total] = report["totals"]
    assert total["currency"] == "USD"
    # 25.00 + 7.00 of goods; 4.25 + 3.10 of labels (the refunded 3.00 costs nothing).
    assert (total["orders"], total["units"]) == (2, 3)
    assert (total["revenue"], total["label_spend"], total["margin"]) == ("32.00", "7.35", "24.65")
    assert total["shipped"] == 2
    assert total["late_dispatch_rate"] == 0.0  # scanned 5 hours after purchase, due in 2 days


def test_a_longer_window_reaches_older_orders(shop: None, cli: Invoke) -> None:
    [total] = parse_json(cli("report", "--days", "60", "--json"))["totals"]
    assert (total["orders"], total["revenue"], total["label_spend"]) == (3, "131.00", "16.35")


def test_csv_by_sku_parses_with_one_row_per_sku(shop: None, cli: Invoke) -> None:
    result = cli("report", "--by", "sku", "--csv")
    assert result.exit_code == 0, result.stderr
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == {"s1", "s2"}
    assert (rows["s1"]["units"], rows["s1"]["revenue"], rows["s1"]["label_spend"]) == (
        "2",
        "25.00",
        "4.25",
    )
    assert (rows["s2"]["revenue"], rows["s2"]["label_spend"], rows["s2"]["margin"]) == (
        "7.00",
        "3.10",
        "3.90",
    )
    assert rows["s1"]["label"] == "S1 — Product s1"


def test_the_table_shows_totals_and_bars(shop: None, cli: Invoke) -> None:
    result = cli("report", "--days", "7")
    assert result.exit_code == 0, result.stderr
    assert "Total" in result.stdout
    assert "$32.00" in result.stdout
    assert "█" in result.stdout  # the revenue bar of the busiest day
    assert "net of refunds" in result.stdout


def test_an_empty_store_says_so_on_stderr(cli: Invoke) -> None:
    assert cli("init").exit_code == 0
    result = cli("report")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No sales" in result.stderr


@pytest.mark.parametrize(
    "args",
    [("--json", "--csv"), ("--by", "week"), ("--days", "0"), ("--days", "5000")],
)
def test_bad_options_exit_2(shop: None, cli: Invoke, args: tuple[str, ...]) -> None:
    assert cli("report", *args).exit_code == 2


def test_bars_are_drawn_in_eighths_of_a_cell() -> None:
    assert bar(Decimal(10), Decimal(10), 4) == "████"
    assert bar(Decimal(5), Decimal(10), 4) == "██"
    assert bar(Decimal(1), Decimal(3), 1) == "▍"  # 8/3 eighths, rounded to 3
    assert bar(Decimal(0), Decimal(10), 4) == ""
    assert bar(Decimal(-2), Decimal(10), 4) == ""
