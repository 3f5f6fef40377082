"""Two packing stations on one store: events and print jobs name the station that wrote them,
and a label printed by one station is never printed again by the other's ``unprinted`` batch
or automatic printing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from creatorflow.domain.stages import Stage
from creatorflow.errors import NotFoundError
from creatorflow.services.approval import approve_orders
from creatorflow.services.context import Services
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.orders import show_order
from creatorflow.services.print_records import claim_unprinted
from creatorflow.services.printing import print_labels, print_new_labels
from creatorflow.store.tables import OrderEvent, PrintJob, Shipment, ShipmentState
from tests.integration.labels.conftest import World


def _station(world: World, name: str) -> Services:
    """Another process on the same store, whose ``station.name`` is ``name``."""
    environ = {**world.services.environ, "CREATORFLOW_STATION_NAME": name}
    return Services(
        paths=world.services.paths, environ=environ, secret_store=world.services.secrets
    )


def _labels(services: Services) -> list[Shipment]:
    with services.store.read() as session:
        query = select(Shipment).where(Shipment.state == ShipmentState.PURCHASED)
        return list(session.scalars(query.order_by(Shipment.id)))


def test_events_and_print_jobs_name_their_station(world: World, tmp_path: Path) -> None:
    a, b = _station(world, "pack-a"), _station(world, "pack-b")
    approve_orders(a, all_ready=True)
    buy_labels(b, workers=2)
    shipment = _labels(b)[0]
    with b.store.read() as session:
        moves = {
            (event.to_value, event.station)
            for event in session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == shipment.order_id)
            )
        }
    assert (Stage.APPROVED.value, "pack-a") in moves
    assert (Stage.LABELLED.value, "pack-b") in moves
    history = show_order(a, shipment.order_id).events
    assert {e.station for e in history if e.to_value == Stage.LABELLED.value} == {"pack-b"}

    summary = print_labels(b, batch="unprinted", printer=f"folder:{tmp_path / 'b'}")
    assert sorted(summary.orders) == sorted(s.order_id for s in _labels(b))
    # Station A's "unprinted" batch and its automatic printing find nothing left to print.
    with pytest.raises(NotFoundError):
        print_labels(a, batch="unprinted", printer=f"folder:{tmp_path / 'a'}")
    assert print_new_labels(a, printer=f"folder:{tmp_path / 'a'}").printed == 0
    assert not (tmp_path / "a").exists()
    with a.store.read() as session:
        jobs = session.execute(select(PrintJob.station, PrintJob.batch)).all()
    assert [tuple(job) for job in jobs] == [("pack-b", "unprinted")]
    assert all(s.print_count == 1 for s in _labels(a))
    a.close()
    b.close()


def test_two_stations_racing_for_unprinted_labels_split_them(world: World, tmp_path: Path) -> None:
    a, b = _station(world, "pack-a"), _station(world, "pack-b")
    approve_orders(a, all_ready=True)
    buy_labels(a, workers=2)
    labels = _labels(a)
    assert len(labels) >= 3
    # Both read the same unprinted labels; A takes them first, B gets none of them.
    assert claim_unprinted(a, labels[:2]) == labels[:2]
    assert claim_unprinted(b, labels) == labels[2:]
    assert claim_unprinted(a, labels) == []
    assert print_new_labels(b, printer=f"folder:{tmp_path}").printed == 0
    a.close()
    b.close()


def test_unprinted_leaves_labels_whose_file_is_on_another_station(
    world: World, tmp_path: Path
) -> None:
    a = _station(world, "pack-a")
    approve_orders(a, all_ready=True)
    buy_labels(a, workers=2)
    elsewhere, *here = _labels(a)
    Path(str(elsewhere.label_path)).unlink()  # as on a station that did not buy it
    summary = print_labels(a, batch="unprinted", printer=f"folder:{tmp_path}")
    assert summary.missing == [elsewhere.order_id]
    assert sorted(summary.orders) == sorted(s.order_id for s in here)
    counts = {s.order_id: s.print_count for s in _labels(a)}
    assert counts.pop(elsewhere.order_id) == 0  # still waiting for the station that has it
    assert set(counts.values()) == {1}
    with pytest.raises(NotFoundError) as refused:
        print_labels(a, batch="unprinted", printer=f"folder:{tmp_path}")
    assert refused.value.hint is not None
    assert elsewhere.order_id in refused.value.hint
    a.close()
