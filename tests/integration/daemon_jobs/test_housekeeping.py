"""The buyer-data purge: PII of orders finished before the retention goes (label files and
prints with it), money, dates and tracking stay, recent and open orders are untouched; and
the daily housekeeping prunes job history and tidies the database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from creatorflow.domain.retention import PURGED_NOTE
from creatorflow.domain.stages import Stage
from creatorflow.errors import UsageError
from creatorflow.services.context import Services
from creatorflow.services.housekeeping import housekeeping, purge_buyer_data
from creatorflow.store.tables import (
    EventKind,
    JobRun,
    Order,
    OrderEvent,
    PrintJob,
    QuarantinedRecord,
    Shipment,
    ShipmentState,
)
from tests.integration.daemon_jobs.conftest import NOW, MakeServices, add_order

RETENTION = timedelta(days=90)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=10)
BUYER = {
    "recipient_name": "Ada Lovelace",
    "recipient_phone": "+1 555 0100",
    "address_line1": "12 Analytical Way",
    "address_line2": "Apt 3",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country_code": "US",
    "buyer_message": "Leave it with Charles next door",
}


def _raw(order_id: str) -> dict[str, object]:
    return {
        "id": order_id,
        "status": "DELIVERED",
        "create_time": 1_760_000_000,
        "payment": {"total_amount": "24.99", "currency": "USD"},
        "recipient_address": {"name": "Ada Lovelace", "full_address": "12 Analytical Way"},
        "buyer_email": "ada@example.com",
        "buyer_message": BUYER["buyer_message"],
    }


def _with_label(services: Services, order_id: str, at: object) -> Path:
    label = services.paths.data_dir / "labels" / f"{order_id}-1.pdf"
    label.parent.mkdir(parents=True, exist_ok=True)
    label.write_bytes(b"%PDF-1.4 Ada Lovelace 12 Analytical Way")
    with services.store.write() as session:
        session.add(
            Shipment(
                order_id=order_id,
                package_key="1",
                provider="shippo",
                carrier="USPS",
                service="usps_ground_advantage",
                tracking_number=f"9400{order_id}",
                cost=Decimal("4.35"),
                currency="USD",
                label_format="pdf_4x6",
                label_path=str(label),
                state=ShipmentState.PURCHASED,
                delivered_at=at,
                created_at=at,
            )
        )
    return label


@pytest.fixture
def services(make_services: MakeServices) -> Services:
    services = make_services()
    common = {"status": "DELIVERED", "tiktok_updated_at": OLD, **BUYER}
    # Delivered 120 days ago (our stage moved then), with its label file and a payload.
    add_order(
        services, "OLD1", stage=Stage.DELIVERED, stage_changed_at=OLD, raw=_raw("OLD1"), **common
    )
    # First seen already delivered (imported last week), but TikTok's last update is old.
    add_order(services, "OLD2", stage=Stage.DELIVERED, stage_changed_at=RECENT, **common)
    # Cancelled on TikTok long ago.
    add_order(
        services,
        "OLD3",
        stage=Stage.CANCELLED,
        stage_changed_at=OLD,
        **{**common, "status": "CANCELLED"},
    )
    # Delivered ten days ago: kept.
    add_order(
        services,
        "NEW1",
        stage=Stage.DELIVERED,
        stage_changed_at=RECENT,
        **{**common, "tiktok_updated_at": RECENT},
    )
    # Old, but still on its way (no final stage, TikTok still shows it in transit): kept.
    add_order(
        services,
        "OPEN",
        stage=Stage.IN_TRANSIT,
        stage_changed_at=OLD,
        **{**common, "status": "IN_TRANSIT"},
    )
    return services


def _order(services: Services, order_id: str) -> Order:
    with services.store.read() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order


def test_buyer_data_of_old_finished_orders_goes_and_money_stays(services: Services) -> None:
    old_label = _with_label(services, "OLD1", OLD)
    new_label = _with_label(services, "NEW1", RECENT)
    summary = purge_buyer_data(services, RETENTION, NOW)
    assert summary.orders == 3
    assert summary.label_files == 1
    assert summary.files_failed == 0
    assert not old_label.exists()
    assert new_label.exists()

    for order_id in ("OLD1", "OLD2", "OLD3"):
        order = _order(services, order_id)
        assert all(
            getattr(order, column) is None
            for column in (
                "recipient_name",
                "recipient_phone",
                "address_line1",
                "address_line2",
                "city",
                "postal_code",
                "buyer_message",
            )
        ), order_id
        assert order.total_amount == Decimal("24.99")
        assert order.state == "IL"
        assert order.country_code == "US"
        assert order.tiktok_updated_at == OLD
    raw = _order(services, "OLD1").raw
    assert raw == {
        "id": "OLD1",
        "status": "DELIVERED",
        "create_time": 1_760_000_000,
        "payment": {"total_amount": "24.99", "currency": "USD"},
    }
    for order_id in ("NEW1", "OPEN"):
        order = _order(services, order_id)
        assert order.recipient_name == "Ada Lovelace"
        assert order.buyer_message == BUYER["buyer_message"]

    with services.store.read() as session:
        shipment = session.scalars(select(Shipment).where(Shipment.order_id == "OLD1")).one()
        notes = session.scalars(
            select(OrderEvent.order_id).where(
                OrderEvent.kind == EventKind.NOTE, OrderEvent.to_value == PURGED_NOTE
            )
        ).all()
    assert shipment.tracking_number == "9400OLD1"
    assert shipment.cost == Decimal("4.35")
    assert shipment.carrier == "USPS"
    assert shipment.label_path is None
    assert sorted(notes) == ["OLD1", "OLD2", "OLD3"]


def test_a_purge_runs_again_without_touching_purged_orders(services: Services) -> None:
    assert purge_buyer_data(services, RETENTION, NOW).orders == 3
    assert purge_buyer_data(services, RETENTION, NOW).orders == 0
    # TikTok updated an order after the purge and the sync wrote the address back.
    with services.store.write() as session:
        session.execute(update(Order).where(Order.id == "OLD1").values(recipient_name="Ada"))
    assert purge_buyer_data(services, RETENTION, NOW).orders == 1
    assert _order(services, "OLD1").recipient_name is None


def test_a_dry_run_counts_and_changes_nothing(services: Services) -> None:
    summary = purge_buyer_data(services, RETENTION, NOW, dry_run=True)
    assert summary.dry_run is True
    assert summary.orders == 3
    assert _order(services, "OLD1").recipient_name == "Ada Lovelace"


def test_a_shorter_period_reaches_recent_orders(services: Services) -> None:
    assert purge_buyer_data(services, timedelta(days=5), NOW).orders == 4
    assert _order(services, "NEW1").address_line1 is None
    assert _order(services, "OPEN").address_line1 == "12 Analytical Way"


def test_a_negative_period_is_refused(services: Services) -> None:
    with pytest.raises(UsageError):
        purge_buyer_data(services, timedelta(days=-1), NOW)


def test_prints_of_purged_orders_in_the_data_folder_are_deleted(
    services: Services, tmp_path: Path
) -> None:
    ours = services.paths.data_dir / "prints" / "old.pdf"
    mixed = services.paths.data_dir / "prints" / "mixed.pdf"
    elsewhere = tmp_path / "my-own-folder" / "old.pdf"
    for path in (ours, mixed, elsewhere):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 addresses")
    with services.store.write() as session:
        for path, orders in (
            (ours, ["OLD1", "OLD2"]),
            (mixed, ["OLD1", "NEW1"]),
            (elsewhere, ["OLD1"]),
        ):
            session.add(
                PrintJob(
                    kind="labels",
                    printer="folder",
                    station="st",
                    batch=None,
                    order_ids=orders,
                    file_path=str(path),
                    pages=2,
                    created_at=OLD,
                )
            )
    summary = purge_buyer_data(services, RETENTION, NOW)
    assert summary.print_files == 1
    assert not ours.exists()
    assert mixed.exists()  # NEW1 still holds buyer data
    assert elsewhere.exists()  # the seller's own folder is theirs


def test_housekeeping_prunes_history_quarantine_and_tidies(
    make_services: MakeServices, services: Services
) -> None:
    with services.store.write() as session:
        for days in (40, 31, 29, 1):
            session.add(
                JobRun(
                    job="poll_orders",
                    station="st",
                    started_at=NOW - timedelta(days=days),
                    finished_at=NOW - timedelta(days=days),
                    outcome="ok",
                )
            )
        session.add(
            JobRun(
                job="buy_labels",
                station="st",
                started_at=NOW - timedelta(days=60),
                outcome="running",
            )
        )
        for days in (200, 5):
            session.add(
                QuarantinedRecord(
                    resource="orders",
                    reason="bad",
                    raw='{"buyer_email": "x"}',
                    received_at=NOW - timedelta(days=days),
                )
            )
    configured = make_services(retention_buyer_data_days="90", retention_job_runs_days="30")
    summary = housekeeping(configured, now=NOW)
    assert summary.purge.orders == 3
    assert summary.purge.quarantined == 1
    assert summary.job_runs_pruned == 2
    assert summary.database in {"vacuum", "optimize", "analyze"}
    with services.store.read() as session:
        kept = sorted((NOW - run.started_at).days for run in session.scalars(select(JobRun)))
        quarantined = session.scalars(select(QuarantinedRecord)).all()
    assert kept == [1, 29, 60]  # a run still marked running is left for the daemon to close
    assert len(quarantined) == 1


def test_sqlite_is_vacuumed_when_mostly_empty_postgres_analyzed(
    make_services: MakeServices,
) -> None:
    from creatorflow.store.housekeeping import prune_job_runs, tidy_database

    services = make_services()
    if services.store.dialect != "sqlite":
        assert tidy_database(services.store.engine) == "analyze"
        return
    with services.store.write() as session:
        session.add_all(
            JobRun(
                job="poll_orders",
                station="st",
                started_at=NOW - timedelta(days=90),
                outcome="ok",
                error="x" * 2000,
            )
            for _ in range(2000)
        )
    with services.store.write() as session:
        assert prune_job_runs(session, NOW) == 2000
    engine = services.store.engine
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA freelist_count").scalar_one() > 0
    assert tidy_database(engine) == "vacuum"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA freelist_count").scalar_one() == 0
    assert tidy_database(engine) == "optimize"


def test_label_urls_and_alert_texts_of_purged_orders_are_blanked(services: Services) -> None:
    from creatorflow.store.tables import Effect, EffectState

    with services.store.write() as session:
        for order_id in ("OLD1", "NEW1"):
            session.add(
                Effect(
                    key=f"label:s:{order_id}:1:1",
                    kind="label",
                    order_id=order_id,
                    state=EffectState.DONE,
                    result={"label_url": "https://labels.example/a.pdf", "tracking_number": "94"},
                )
            )
            session.add(
                Effect(
                    key=f"notify:needs_attention:{order_id}:-",
                    kind="notify",
                    order_id=order_id,
                    state=EffectState.DONE,
                    request={"event": "needs_attention", "message": "Ada's address is wrong"},
                )
            )
    purge_buyer_data(services, RETENTION, NOW)
    with services.store.read() as session:
        effects = {(e.order_id, e.kind): e for e in session.scalars(select(Effect))}
    assert effects["OLD1", "label"].result == {"label_url": None, "tracking_number": "94"}
    assert effects["OLD1", "notify"].request == {
        "event": "needs_attention",
        "message": None,
        "title": None,
    }
    assert effects["NEW1", "label"].result == {
        "label_url": "https://labels.example/a.pdf",
        "tracking_number": "94",
    }
    assert effects["NEW1", "notify"].request is not None
    assert effects["NEW1", "notify"].request["message"] == "Ada's address is wrong"
