"""Automatic printing: each new label printed once; a printer failure leaves the labels to
the next run; a missing file skips only that label; parcels already scanned never print."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from creatorflow.integrations.printing import PrinterError
from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.printing import print_new_labels
from creatorflow.store.tables import PrintJob, Shipment, ShipmentState
from tests.integration.labels.conftest import World


def _labels(world: World) -> dict[str, Shipment]:
    with world.services.store.read() as session:
        return {
            s.order_id: s
            for s in session.scalars(
                select(Shipment).where(Shipment.state == ShipmentState.PURCHASED)
            )
        }


def test_new_labels_print_once_and_a_failed_print_is_retried(world: World, tmp_path: Path) -> None:
    approve_orders(world.services, all_ready=True)
    buy_labels(world.services, workers=2)
    labels = _labels(world)
    assert len(labels) >= 3
    scanned, missing, *rest = sorted(labels)
    with world.services.store.write() as session:
        session.execute(
            update(Shipment)
            .where(Shipment.order_id == scanned)
            .values(first_scan_at=datetime.now(UTC))
        )
    Path(str(labels[missing].label_path)).unlink()

    # A thermal printer on port 9100 refuses PDFs: nothing counts as printed.
    with pytest.raises(PrinterError):
        print_new_labels(world.services, printer="raw:127.0.0.1:9")
    assert all(s.print_count == 0 for s in _labels(world).values())

    folder = tmp_path / "printed"
    summary = print_new_labels(world.services, printer=f"folder:{folder}")
    assert summary.printed == len(rest)
    assert sorted(summary.orders) == sorted(rest)
    assert summary.missing == [missing]
    assert summary.where is not None
    assert Path(summary.where).parent == folder
    after = _labels(world)
    assert {o for o, s in after.items() if s.print_count == 1} == set(rest)
    assert after[scanned].print_count == 0
    with world.services.store.read() as session:
        assert session.scalars(select(PrintJob.batch)).all() == ["auto"]

    again = print_new_labels(world.services, printer=f"folder:{folder}")
    assert again.printed == 0
    assert again.missing == [missing]
    assert len(list(folder.iterdir())) == 1


def test_nothing_to_print_needs_no_printer(world: World) -> None:
    # printer.kind = none would refuse; with no new label the printer is never asked for.
    assert print_new_labels(world.services, printer="nonsense:").printed == 0
