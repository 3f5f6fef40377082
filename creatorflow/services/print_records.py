"""The transactions of printing: taking unprinted labels, giving them back, recording a print.

Several packing stations may share one PostgreSQL database, each with its own printer. A label
is *taken* by the station about to print it (``claim_unprinted``: a conditional update that
only one station can win), so ``labels print --batch unprinted`` and automatic printing never
print one label on two stations; a print that fails gives its labels back
(``release_claims``). Every print is a ``print_jobs`` row naming the station that printed it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.services.printing import PrintSummary
    from creatorflow.store.tables import Shipment

__all__ = ["claim_unprinted", "record_print", "release_claims"]


def record_print(
    services: Services,
    kind: str,
    summary: PrintSummary,
    batch: str | None,
    to_count: list[Shipment],
) -> None:
    """Write the ``print_jobs`` row, naming this station, and count ``to_count`` as printed."""
    from creatorflow.store.tables import PrintJob

    now = datetime.now(UTC)
    with services.store.write() as session:
        session.add(
            PrintJob(
                kind=kind,
                printer=summary.printer,
                station=services.station,
                batch=batch,
                order_ids=summary.orders,
                file_path=summary.where if summary.printer.startswith("folder") else None,
                pages=summary.pages,
                created_at=now,
            )
        )
        for shipment in to_count:
            row = session.merge(shipment)
            row.printed_at = now
            row.print_count = (row.print_count or 0) + 1


def claim_unprinted(services: Services, shipments: list[Shipment]) -> list[Shipment]:
    """Count still-unprinted labels as printed *before* sending them; the ones this call won.

    Two stations printing ``unprinted`` (or auto-printing) at once would otherwise both print
    the same labels; the conditional update lets exactly one of them take each label.
    """
    from creatorflow.store.tables import Shipment

    ids = [s.id for s in shipments]
    with services.store.write() as session:
        won = set(
            session.scalars(
                update(Shipment)
                .where(Shipment.id.in_(ids), Shipment.print_count == 0)
                .values(print_count=1, printed_at=datetime.now(UTC))
                .returning(Shipment.id)
                .execution_options(synchronize_session=False)
            )
        )
    return [s for s in shipments if s.id in won]


def release_claims(services: Services, shipments: list[Shipment]) -> None:
    """Undo ``claim_unprinted`` when the labels could not be sent: they are unprinted again."""
    from creatorflow.store.tables import Shipment

    with services.store.write() as session:
        session.execute(
            update(Shipment)
            .where(Shipment.id.in_([s.id for s in shipments]), Shipment.print_count == 1)
            .values(print_count=0, printed_at=None)
            .execution_options(synchronize_session=False)
        )
