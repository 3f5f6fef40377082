"""``services.data_export``: streamed in chunks, with progress, and all-or-nothing on failure."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.services.data_export import ExportError, ExportProgress, export_csv
from creatorflow.services.setup import initialize
from creatorflow.store.tables import Order, OrderLine, Shop

T0 = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """A store with 25 orders of two lines each."""
    environ = {"CREATORFLOW_HOME": str(tmp_path / "home")}
    built = Services(paths=resolve_paths(environ), environ=environ)
    initialize(built)
    with built.store.write() as session:
        session.add(Shop(id="shop", cipher="c", name="Shop", region="US", authorized_at=T0))
        session.flush()
        for n in range(25):
            session.add(
                Order(
                    id=f"o{n:02}",
                    shop_id="shop",
                    status="AWAITING_SHIPMENT",
                    tiktok_created_at=T0,
                    tiktok_updated_at=T0,
                    total_amount=Decimal("19.9900"),
                    currency="USD",
                    units=2,
                    recipient_name=f"Buyer {n}",
                )
            )
            session.flush()
            for line in range(2):
                session.add(
                    OrderLine(
                        id=f"o{n:02}-{line}",
                        order_id=f"o{n:02}",
                        sku_id="s",
                        product_id="p",
                        product_name='Mug, "blue"\nlarge',
                        unit_price=Decimal("9.995"),
                        currency="USD",
                    )
                )
    yield built
    built.close()


def test_rows_stream_in_chunks_with_progress(services: Services, tmp_path: Path) -> None:
    seen: list[ExportProgress] = []
    summary = export_csv(services, tmp_path / "out", chunk_size=10, progress=seen.append)
    assert [(f.name, f.rows) for f in summary.files] == [
        ("orders.csv", 25),
        ("order_lines.csv", 50),
        ("shipments.csv", 0),
        ("order_events.csv", 0),
    ]
    assert all(step.total == 75 for step in seen)
    assert [step.done for step in seen] == sorted(step.done for step in seen)
    assert [step.done for step in seen if step.file == "orders.csv"] == [10, 20, 25]
    assert seen[-1].done == 75
    lines = (tmp_path / "out" / "order_lines.csv").read_text(encoding="utf-8")
    # Quotes and newlines in a value survive; exact amounts keep their places.
    assert '"Mug, ""blue""\nlarge",,9.995,' in lines
    orders = (tmp_path / "out" / "orders.csv").read_text(encoding="utf-8")
    assert ",19.99," in orders


def test_a_failed_export_leaves_the_previous_files(services: Services, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "orders.csv").write_text("previous\n", encoding="utf-8")

    def disk_full(step: ExportProgress) -> None:
        if step.file == "order_lines.csv":
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError) as caught:
        export_csv(services, target, chunk_size=10, progress=disk_full)
    assert caught.value.hint is not None
    assert "disk is full" in caught.value.hint
    assert sorted(path.name for path in target.iterdir()) == ["orders.csv"]
    assert (target / "orders.csv").read_text(encoding="utf-8") == "previous\n"
