"""``db copy`` moves a populated store into an empty database, exactly, and ``db backup`` copies
SQLite online. PostgreSQL targets need ``CREATORFLOW_TEST_POSTGRES_URL``; SQLite ones always run.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from creatorflow.domain.stages import Stage
from creatorflow.services.context import build_services
from creatorflow.store.copy import TargetNotEmptyError, copy_order, copy_tables, stored_rows
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.order_events import record_status_change
from creatorflow.store.schema import HEAD_REVISION, upgrade
from creatorflow.store.session import Store
from creatorflow.store.tables import (
    DaemonHeartbeat,
    Effect,
    EffectState,
    JobRun,
    Order,
    OrderEvent,
    ParcelPreset,
    PrintJob,
    Product,
    QuarantinedRecord,
    ShipmentState,
    Sku,
    SyncCursor,
)
from tests.cli.conftest import Invoke, parse_json
from tests.cli.store_seed import Seed, seed
from tests.postgres import postgres_schema

T0 = datetime(2026, 11, 20, 17, 30, 15, 123456, tzinfo=UTC)
#: A raw TikTok payload with what JSON round trips tend to break: big ids, unicode, nesting.
RAW = {
    "id": "576000000000119307",
    "recipient": {"name": "Zoë Ωmega 李"},
    "lines": [{"price": "12.34", "qty": 1}],
    "flag": None,
}


@pytest.fixture
def populated(cli: Invoke) -> None:
    """An initialised home whose SQLite store has rows in every table we own."""
    assert cli("init", "--json").exit_code == 0
    seed(
        [
            Seed(
                "A1",
                timedelta(days=3),
                [("sku-a", "12.34")],
                [("4.5600", ShipmentState.PURCHASED, None)],
                raw=RAW,
            ),
            Seed(
                "A2", timedelta(days=1), [("sku-b", "0.0100"), ("sku-a", "9.99")], stage=Stage.NEW
            ),
        ]
    )
    services = build_services()
    try:
        with services.store.write() as session:
            _seed_operations(session)
    finally:
        services.close()


def _seed_operations(session: Any) -> None:
    session.add(
        ParcelPreset(
            name="box",
            weight_value=Decimal("1.5"),
            weight_unit="oz",
            length=Decimal(8),
            width=Decimal(6),
            height=Decimal("2.25"),
            dimension_unit="in",
        )
    )
    session.add(
        Product(id="p", shop_id="shop", title="Thing", status="ACTIVATE", raw={"x": [1, 2]})
    )
    session.flush()
    session.add(
        Sku(
            id="sku-a",
            product_id="p",
            seller_sku="SKU-A",
            price=Decimal("12.34"),
            currency="USD",
            stock=3,
            weight_value=Decimal("5.0001"),
            weight_unit="oz",
            dimension_unit="in",
            length=Decimal(1),
            width=Decimal(2),
            height=Decimal(3),
            preset_id=1,
        )
    )
    session.add(SyncCursor(shop_id="shop", resource="orders", watermark=T0, last_run_at=T0))
    session.add(
        Effect(
            key="label:shop:A1:pkg:1",
            kind="label",
            order_id="A1",
            state=EffectState.DONE,
            attempts=2,
            request={"rate": {"amount": "4.56"}},
            result={"ok": True},
            done_at=T0,
        )
    )
    session.add(
        Effect(
            key="push:shop:A1:pkg:1",
            kind="push",
            order_id="A1",
            claimed_by="pack-1:42",
            lease_until=T0 + timedelta(minutes=5),
        )
    )
    session.add(
        JobRun(
            job="sync_orders",
            station="pack-1",
            started_at=T0,
            finished_at=T0 + timedelta(seconds=2),
            outcome="ok",
            summary={"new": 2},
        )
    )
    session.add(
        DaemonHeartbeat(
            station="pack-1", pid=42, hostname="pack-1", version="1.0", started_at=T0, beat_at=T0
        )
    )
    session.add(
        QuarantinedRecord(
            shop_id="shop", resource="orders", external_id="bad", reason="no id", raw="{not json"
        )
    )
    session.add(
        PrintJob(
            kind="labels",
            printer="folder:/tmp",
            station="pack-1",
            batch="today",
            order_ids=["A1"],
            pages=1,
            created_at=T0,
        )
    )


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through the column types, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in copy_order()
        }


def _source_engine() -> Engine:
    services = build_services()
    return make_engine(services.database_url)


def _check_copy(report: dict[str, Any], target_url: str) -> None:
    counts = {t["table"]: (t["source_rows"], t["target_rows"]) for t in report["tables"]}
    assert set(counts) == {t.name for t in copy_order()}
    assert all(source == target for source, target in counts.values())
    for table in (
        "orders",
        "order_lines",
        "shipments",
        "effects",
        "order_events",
        "job_runs",
        "print_jobs",
        "skus",
        "products",
        "parcel_presets",
        "sync_cursors",
        "daemon_heartbeats",
        "quarantined_records",
        "shops",
    ):
        assert counts[table][0] > 0, table
    assert report["revision"] == HEAD_REVISION
    assert report["rows"] == sum(source for source, _ in counts.values())
    source, target = _source_engine(), make_engine(target_url)
    try:
        assert _rows(source) == _rows(target)  # every value, as the application reads it
        store = Store(target)
        with store.read() as session:
            order = session.get(Order, "A1")
            assert order is not None
            assert order.total_amount == Decimal("12.3400")
            assert order.raw == RAW
            assert order.tiktok_created_at.tzinfo is not None
            sku = session.get(Sku, "sku-a")
            assert sku is not None
            assert sku.weight_value == Decimal("5.0001")
            effect = session.scalars(select(Effect).where(Effect.kind == "label")).one()
            assert effect.request == {"rate": {"amount": "4.56"}}
            assert effect.done_at == T0
    finally:
        source.dispose()
        target.dispose()


def test_db_copy_into_sqlite_keeps_every_row_and_value(
    cli: Invoke, populated: None, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "moved.db")
    report = parse_json(cli("db", "copy", "--to", url, "--json"))
    _check_copy(report, url)
    table = cli("db", "copy", "--to", sqlite_url(tmp_path / "again.db"))
    assert table.exit_code == 0, table.stderr
    assert "order_events" in table.stdout
    assert "every table's count matches" in table.stderr


def test_db_copy_refuses_the_database_in_use(cli: Invoke, populated: None) -> None:
    result = cli("db", "copy", "--to", build_services().database_url)
    assert result.exit_code == 2
    assert "already uses" in result.stderr


def test_a_failed_copy_leaves_the_target_empty(populated: None, tmp_path: Path) -> None:
    source = _source_engine()
    target = make_engine(sqlite_url(tmp_path / "target.db"))
    upgrade(target, backup_dir=None)

    def crash(table: str, done: int, total: int) -> None:
        if table == "orders":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        copy_tables(source, target, chunk_rows=1, progress=crash)
    assert not any(stored_rows(target).values())
    copy_tables(source, target, chunk_rows=1)  # and the copy can simply be run again
    assert stored_rows(target) == stored_rows(source)
    with pytest.raises(TargetNotEmptyError):
        copy_tables(source, target)
    source.dispose()
    target.dispose()


@pytest.mark.postgres
def test_db_copy_into_postgresql(
    cli: Invoke, populated: None, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_schema(postgres_url) as url:
        report = parse_json(cli("db", "copy", "--to", url, "--json"))
        assert report["target"] == url
        _check_copy(report, url)

        # The serial sequences were moved past the copied ids: new rows insert cleanly.
        target = make_engine(url)
        store = Store(target, station="pack-2")
        with store.read() as session:
            top = session.execute(select(func.max(OrderEvent.id))).scalar_one()
        with store.write() as session:
            assert record_status_change(session, "A1", "IN_TRANSIT", "DELIVERED", T0)
            session.add(Effect(key="void:shop:A1:pkg:1", kind="void", order_id="A1"))
            session.add(JobRun(job="sync_orders", station="pack-2", started_at=T0))
            session.flush()
            event = session.scalars(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
            assert event is not None
            assert event.id == top + 1
        target.dispose()

        # The store works from the copy: same schema, same orders.
        monkeypatch.setenv("CREATORFLOW_DATABASE_URL", url)
        assert parse_json(cli("db", "current", "--json"))["state"] == "current"
        shown = parse_json(cli("orders", "show", "A1", "--json"))
        assert shown["total_amount"] == "12.34"
        assert {e["station"] for e in shown["events"]} == {None, "pack-2"}


@pytest.mark.postgres
def test_db_copy_refuses_a_target_with_data(
    cli: Invoke, populated: None, postgres_url: str
) -> None:
    with postgres_schema(postgres_url) as url:
        assert cli("db", "copy", "--to", url, "--json").exit_code == 0
        target = make_engine(url)
        before = stored_rows(target)
        again = cli("db", "copy", "--to", url)
        assert again.exit_code == 1
        assert "already holds CreatorFlow data" in again.stderr
        assert "orders (2)" in again.stderr
        assert stored_rows(target) == before
        target.dispose()


def test_db_backup_copies_sqlite_online(cli: Invoke, populated: None, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "before-move.db"
    result = parse_json(cli("db", "backup", "--to", str(target), "--json"))
    assert result["path"] == str(target)
    assert result["revision"] == HEAD_REVISION
    assert target.stat().st_mode & 0o077 == 0
    with sqlite3.connect(target) as raw:
        assert raw.execute("select count(*) from orders").fetchone() == (2,)
        assert raw.execute("select version_num from alembic_version").fetchone() == (HEAD_REVISION,)
    refused = cli("db", "backup", "--to", str(target))
    assert refused.exit_code == 1
    assert "exists already" in refused.stderr

    dated = cli("db", "backup")
    assert dated.exit_code == 0, dated.stderr
    written = Path(dated.stdout.strip())
    assert written.parent == build_services().paths.backups_dir
    assert written.stat().st_size > 0


@pytest.mark.postgres
def test_db_backup_points_postgresql_to_pg_dump(
    cli: Invoke, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_schema(postgres_url) as url:
        monkeypatch.setenv("CREATORFLOW_DATABASE_URL", url)
        result = cli("db", "backup")
        assert result.exit_code == 2
        assert "pg_dump" in result.stderr


@pytest.mark.parametrize("url", ["", "not a url", "mysql://user@host/db"])
def test_db_copy_wants_a_sqlite_or_postgresql_url(cli: Invoke, url: str) -> None:
    result = cli("db", "copy", "--to", url)
    assert result.exit_code == 2
    assert "Usage error" in result.stderr
