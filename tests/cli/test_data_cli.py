"""``creatorflow data export`` and ``data purge`` over orders written into the store."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from creatorflow.domain.stages import Stage
from creatorflow.services.context import build_services
from creatorflow.services.orders import show_order
from creatorflow.store.tables import ShipmentState
from tests.cli.conftest import Invoke, parse_json
from tests.cli.store_seed import Seed, seed

SHIPPO_KEY = "shippo_live_do_not_leak_9f8e7d"
RAW_MARKER = "raw-payload-marker-5c4b"
DAY = timedelta(days=1)
FILES = {"orders.csv", "order_lines.csv", "shipments.csv", "order_events.csv"}


@pytest.fixture
def shop(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret stored, a delivered order finished 200 days ago and a recent one."""
    monkeypatch.setenv("CREATORFLOW_SECRETS_ALLOW_FILE", "true")
    assert cli("init").exit_code == 0
    stored = cli("secrets", "set", "shippo_api_key", "--stdin", input=SHIPPO_KEY + "\n")
    assert stored.exit_code == 0, stored.stderr
    bought = ("4.25", ShipmentState.PURCHASED, None)
    seed(
        [
            Seed(
                "OLD",
                200 * DAY,
                [("s1", "10.00"), ("s2", "5.00")],
                [bought],
                status="DELIVERED",
                stage=Stage.DELIVERED,
                raw={"note": RAW_MARKER},
            ),
            Seed("NEW", 2 * DAY, [("s1", "10.00")], [bought], raw={"note": RAW_MARKER}),
        ]
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _buyer(order_id: str) -> str | None:
    services = build_services()
    try:
        address = show_order(services, order_id).address
    finally:
        services.close()
    return None if address is None else address.name


def test_export_writes_four_files_with_every_row_and_no_secret(
    shop: None, cli: Invoke, tmp_path: Path
) -> None:
    target = tmp_path / "export"
    summary = parse_json(cli("data", "export", "--csv", str(target), "--json"))
    counts = {item["name"]: item["rows"] for item in summary["files"]}
    assert counts == {
        "orders.csv": 2,
        "order_lines.csv": 3,
        "shipments.csv": 2,
        "order_events.csv": 2,
    }
    assert summary["rows"] == 9
    assert {path.name for path in target.iterdir()} == FILES  # no temporary file left over
    for name, count in counts.items():
        assert len(_rows(target / name)) == count
        text = (target / name).read_text(encoding="utf-8")
        assert SHIPPO_KEY not in text
        assert RAW_MARKER not in text  # TikTok's raw payloads stay out
    orders = {row["id"]: row for row in _rows(target / "orders.csv")}
    assert "raw" not in orders["OLD"]
    assert orders["OLD"]["total_amount"] == "15.00"  # Decimal as a string, no float
    assert orders["OLD"]["tiktok_created_at"].endswith("+00:00")  # ISO-8601 UTC
    assert orders["OLD"]["address_masked"] == "false"
    assert (target / "orders.csv").stat().st_mode & 0o077 == 0  # buyer data: owner only


def test_export_replaces_older_files_and_reports_on_stderr(
    shop: None, cli: Invoke, tmp_path: Path
) -> None:
    target = tmp_path / "export"
    target.mkdir()
    (target / "orders.csv").write_text("stale\n", encoding="utf-8")
    result = cli("data", "export", "--csv", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Exported 9 row(s)" in result.stderr
    assert len(_rows(target / "orders.csv")) == 2


def test_export_into_a_file_fails_with_a_hint(shop: None, cli: Invoke, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = cli("data", "export", "--csv", str(blocker / "export"))
    assert result.exit_code == 1
    assert "Export failed" in result.stderr


def test_purge_refuses_without_a_terminal_or_yes(shop: None, cli: Invoke) -> None:
    result = cli("data", "purge")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert _buyer("OLD") == "Jane Buyer"  # nothing was touched


def test_purge_with_yes_clears_only_orders_past_retention(shop: None, cli: Invoke) -> None:
    summary = parse_json(cli("data", "purge", "--yes", "--json"))  # default: 90 days
    assert summary["orders"] == 1
    assert summary["dry_run"] is False
    assert _buyer("OLD") is None
    assert _buyer("NEW") == "Jane Buyer"
    [total] = parse_json(cli("report", "--days", "365", "--json"))["totals"]
    assert total["revenue"] == "25.00"  # reports are unchanged by a purge


def test_older_than_takes_spans_and_dry_run_only_counts(shop: None, cli: Invoke) -> None:
    counted = parse_json(cli("data", "purge", "--older-than", "1d", "--dry-run", "--json"))
    assert (counted["dry_run"], counted["orders"]) == (True, 1)  # NEW is not finished
    assert _buyer("OLD") == "Jane Buyer"
    longer = parse_json(cli("data", "purge", "--older-than", "30w", "--dry-run", "--json"))
    assert longer["orders"] == 0
    assert cli("data", "purge", "--older-than", "ninety", "--yes").exit_code == 2


def test_retention_setting_is_the_default(
    shop: None, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_RETENTION_BUYER_DATA_DAYS", "365")
    assert parse_json(cli("data", "purge", "--dry-run", "--json"))["orders"] == 0


def test_a_terminal_is_asked_first(
    shop: None, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("creatorflow.cli.state.stdin_is_terminal", lambda: True)
    declined = cli("data", "purge", input="n\n")
    assert declined.exit_code == 1
    assert "1 order(s)" in declined.stderr  # the question says how many
    assert _buyer("OLD") == "Jane Buyer"
    accepted = cli("data", "purge", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert "Removed the buyer data of 1 order(s)" in accepted.stderr
    assert _buyer("OLD") is None
