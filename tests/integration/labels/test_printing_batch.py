"""A printed batch: one page per label, in pick order, recorded; a reprint buys nothing."""

from __future__ import annotations

from pathlib import Path

import pypdf
from sqlalchemy import select

from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.printing import print_labels
from creatorflow.store.tables import OrderLine, PrintJob, Shipment, ShipmentState
from tests.integration.labels.conftest import World


def test_labels_print_one_page_each_in_pick_order(world: World, tmp_path: Path) -> None:
    approve_orders(world.services, all_ready=True)
    buy_labels(world.services, workers=2)
    summary = print_labels(world.services, batch="today", printer=f"folder:{tmp_path}")
    with world.services.store.read() as session:
        shipments = session.scalars(
            select(Shipment).where(Shipment.state == ShipmentState.PURCHASED)
        ).all()
        first_sku = {}
        for line in session.scalars(select(OrderLine).order_by(OrderLine.seller_sku)):
            first_sku.setdefault(line.order_id, line.seller_sku or "")
        tracking = {s.order_id: s.tracking_number for s in shipments}
        assert all(s.print_count == 1 for s in shipments)
        assert session.scalars(select(PrintJob.kind)).all() == ["labels"]
    expected = sorted(tracking, key=lambda order: (first_sku[order], order))
    assert summary.orders == expected
    reader = pypdf.PdfReader(summary.where)
    assert len(reader.pages) == len(expected)
    texts = [page.extract_text() for page in reader.pages]
    shippo_pages = [(n, order) for n, order in enumerate(expected) if tracking[order] in texts[n]]
    assert shippo_pages  # the simulators print the tracking number on each label
    bought = world.shippo.stats()["purchases"]
    print_labels(world.services, order_id=expected[0], printer=f"folder:{tmp_path}")
    assert world.shippo.stats()["purchases"] == bought
