"""Printing labels, packing slips and pick lists for a batch, in pick order.

A batch is the labels of one order (``--order``), of today (``today``, the packing station's
local day), the ones never printed (``unprinted``), or of a day (``2026-11-26``). Orders are
put in pick order (by their first SKU, then order id) so the packer walks the shelves once.
Printing reads the stored label files: a reprint never buys anything. Every print is a
``print_jobs`` row, and each label remembers when it was last printed and how often.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.errors import NotFoundError, UsageError
from creatorflow.services.context import Services
from creatorflow.services.print_records import claim_unprinted, record_print, release_claims

if TYPE_CHECKING:
    from creatorflow.documents.packing import SlipOrder
    from creatorflow.integrations.printing import Printer
    from creatorflow.store.tables import Shipment

__all__ = [
    "AutoPrintSummary",
    "PrintSummary",
    "print_documents",
    "print_labels",
    "print_new_labels",
    "resolve_printer",
]


@dataclass(frozen=True)
class PrintSummary:
    """What one print sent where."""

    kind: str
    printer: str
    where: str
    orders: list[str]
    pages: int
    bytes_sent: int
    #: ``unprinted`` only: orders left out because their label file is not on this computer
    #: (bought on another station, which prints them, or never saved).
    missing: list[str] = field(default_factory=list)


def resolve_printer(services: Services, spec: str | None = None) -> Printer:
    """The printer named by ``spec`` (``folder:PATH``, ``cups:QUEUE``, ``raw:HOST:PORT``), or
    the configured one (``printer.*`` settings).

    Raises:
        PrinterError: a bad spec. UsageError: printing is switched off.
    """
    from creatorflow.integrations.printing import parse_printer, printer_from_settings

    default_folder = services.paths.data_dir / "prints"
    if spec:
        return parse_printer(spec, default_folder=default_folder)
    settings = services.settings
    printer = printer_from_settings(
        settings.text("printer.kind"),
        settings.text("printer.name"),
        settings.text("printer.host"),
        settings.integer("printer.port"),
        settings.text("printer.folder"),
        default_folder,
    )
    if printer is None:
        raise UsageError(
            "Printing is switched off (printer.kind = none).",
            hint="Pass --printer folder:PATH, or `creatorflow config set printer.kind folder`.",
        )
    return printer


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min).astimezone()
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _batch(session: Session, *, order_id: str | None, batch: str | None) -> list[Shipment]:
    from creatorflow.store.tables import Shipment, ShipmentState

    query = select(Shipment).where(Shipment.state == ShipmentState.PURCHASED)
    if order_id:
        query = query.where(Shipment.order_id == order_id.strip())
    elif batch in (None, "today"):
        start, end = _day_bounds(datetime.now().astimezone().date())
        query = query.where(Shipment.created_at >= start, Shipment.created_at < end)
    elif batch == "unprinted":
        query = query.where(Shipment.print_count == 0)
    else:
        try:
            day = date.fromisoformat(str(batch))
        except ValueError:
            raise UsageError(
                f"{batch!r} is not a batch.",
                hint="Use --batch today, --batch unprinted, a day (2026-11-26) or --order ID.",
            ) from None
        start, end = _day_bounds(day)
        query = query.where(Shipment.created_at >= start, Shipment.created_at < end)
    return _pick_order(session, list(session.scalars(query)))


def _pick_order(session: Session, shipments: list[Shipment]) -> list[Shipment]:
    from creatorflow.store.tables import OrderLine

    first_sku = {
        order: sku or ""
        for order, sku in session.execute(
            select(OrderLine.order_id, OrderLine.seller_sku)
            .where(OrderLine.order_id.in_([s.order_id for s in shipments]))
            .order_by(OrderLine.order_id.desc(), OrderLine.seller_sku.desc())
        )
    }
    return sorted(shipments, key=lambda s: (first_sku.get(s.order_id, ""), s.order_id))


def _label_bytes(shipment: Shipment) -> bytes:
    path = Path(shipment.label_path) if shipment.label_path else None
    if path is None or not path.exists():
        raise NotFoundError(
            f"The label file of order {shipment.order_id} is missing.",
            hint="It was not saved when bought; void and re-buy, or download it from the "
            "provider's dashboard.",
        )
    return path.read_bytes()


def print_labels(
    services: Services,
    *,
    order_id: str | None = None,
    batch: str | None = None,
    printer: str | None = None,
    with_slips: bool = False,
) -> PrintSummary:
    """Print a batch's labels (PDFs merged in pick order, or ZPL sent raw).

    ``unprinted`` takes each label before sending it (``claim_unprinted``): a label another
    station prints at the same moment is left to that station; if sending fails, the labels
    are unprinted again. It also leaves out, naming them in ``missing``, labels whose file is
    not on this computer: another station bought them and keeps their file.

    Raises:
        NotFoundError: nothing to print, or a label file is missing. PrinterError: the printer.
    """
    device = resolve_printer(services, printer)
    with services.store.read() as session:
        shipments = _batch(session, order_id=order_id, batch=batch)
    claiming = order_id is None and batch == "unprinted"
    readable: dict[int, bytes] = {}
    missing: list[str] = []
    if claiming:
        readable, missing = _readable(shipments)
        shipments = claim_unprinted(services, [s for s in shipments if s.id in readable])
    if not shipments:
        raise NotFoundError(
            "There are no labels to print in this batch.",
            hint="The label files of orders "
            f"{', '.join(missing)} are not on this computer: print them on the station that "
            "bought them."
            if missing
            else None,
        )
    try:
        files = [readable[s.id] if claiming else _label_bytes(s) for s in shipments]
        title = f"Labels {order_id or batch or 'today'}"
        summary = _send(services, device, shipments, files, title, with_slips=with_slips)
    except BaseException:
        if claiming:
            release_claims(services, shipments)
        raise
    record_print(services, "labels", summary, batch, [] if claiming else shipments)
    return replace(summary, missing=missing)


def _readable(shipments: list[Shipment]) -> tuple[dict[int, bytes], list[str]]:
    """The label files found on this computer by shipment id, and the orders of the others."""
    readable: dict[int, bytes] = {}
    missing: list[str] = []
    for shipment in shipments:
        try:
            readable[shipment.id] = _label_bytes(shipment)
        except (NotFoundError, OSError):
            missing.append(shipment.order_id)
    return readable, missing


def _send(
    services: Services,
    device: Printer,
    shipments: list[Shipment],
    files: list[bytes],
    title: str,
    *,
    with_slips: bool = False,
) -> PrintSummary:
    """Send label files in one job: ZPL concatenated raw, or PDFs merged (slips between)."""
    from creatorflow.documents.labels import concat_zpl, merge_labels

    orders = [s.order_id for s in shipments]
    if all(not data.startswith(b"%PDF") for data in files):
        result = device.print_raw(concat_zpl(files), title=title)
        pages = len(files)
    else:
        if with_slips:
            from creatorflow.documents.packing import interleave, packing_slip

            slips = [packing_slip(order) for order in _slip_orders(services, orders)]
            document = interleave(files, slips)
        else:
            document = merge_labels(files)
        pages = _count_pages(document)
        result = device.print_pdf(document, title=title)
    return PrintSummary("labels", result.printer, result.where, orders, pages, result.bytes_sent)


def _count_pages(document: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(document)).pages)


def _slip_orders(services: Services, order_ids: list[str]) -> list[SlipOrder]:
    from creatorflow.documents.packing import SlipLine, SlipOrder
    from creatorflow.store.tables import Order, OrderLine, Shop

    out: list[SlipOrder] = []
    with services.store.read() as session:
        for order_id in order_ids:
            order = session.get(Order, order_id)
            if order is None:
                continue
            shop = session.get(Shop, order.shop_id)
            lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
            name = (order.recipient_name or "").split(" ")[0] if not order.address_masked else None
            out.append(
                SlipOrder(
                    order_id=order.id,
                    buyer_first_name=name or None,
                    created_at=order.tiktok_created_at,
                    lines=[
                        SlipLine(
                            seller_sku=line.seller_sku or line.sku_id,
                            product_name=line.product_name,
                            sku_name=line.sku_name,
                            units=1,
                            is_gift=line.is_gift,
                        )
                        for line in lines
                    ],
                    buyer_message=order.buyer_message,
                    shop_name=shop.name if shop else None,
                )
            )
    return out


def print_documents(
    services: Services,
    kind: str,
    *,
    order_id: str | None = None,
    batch: str | None = None,
    printer: str | None = None,
) -> PrintSummary:
    """Print a batch's packing slips (``packing-slips``) or its pick list (``pick-list``).

    Raises:
        NotFoundError: nothing in the batch. PrinterError: the printer refused.
    """
    from creatorflow.documents.packing import packing_slips
    from creatorflow.documents.picklist import PickItem, pick_list
    from creatorflow.store.tables import OrderLine

    device = resolve_printer(services, printer)
    with services.store.read() as session:
        shipments = _batch(session, order_id=order_id, batch=batch)
        orders = [s.order_id for s in shipments]
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id.in_(orders))).all()
    if not orders:
        raise NotFoundError("There are no labelled orders in this batch.")
    if kind == "packing-slips":
        document = packing_slips(_slip_orders(services, orders))
        media = "4x6"
    else:
        items = [
            PickItem(i.seller_sku or i.sku_id, i.product_name, i.sku_name, 1, None) for i in lines
        ]
        document = pick_list(items, title=f"Pick list: {order_id or batch or 'today'}")
        media = "letter"
    result = device.print_pdf(document, title=kind, media=media)
    summary = PrintSummary(
        kind, result.printer, result.where, orders, _count_pages(document), result.bytes_sent
    )
    record_print(services, kind, summary, batch, [])
    return summary


@dataclass(frozen=True)
class AutoPrintSummary:
    """What one automatic print did: labels sent where, and orders whose file is missing."""

    printed: int
    printer: str | None = None
    where: str | None = None
    orders: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _new_labels(session: Session, limit: int) -> list[Shipment]:
    from creatorflow.domain.stages import Stage
    from creatorflow.store.tables import Order, Shipment, ShipmentState

    query = (
        select(Shipment)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Shipment.state == ShipmentState.PURCHASED,
            Shipment.print_count == 0,
            Shipment.first_scan_at.is_(None),
            Order.stage.in_((Stage.LABELLED, Stage.SHIPPED)),
        )
        .order_by(Shipment.created_at, Shipment.id)
        .limit(limit)
    )
    return _pick_order(session, list(session.scalars(query)))


def print_new_labels(
    services: Services, *, printer: str | None = None, limit: int = 100
) -> AutoPrintSummary:
    """Print, once, every label bought and never printed whose parcel has not left yet.

    The daemon's ``print_labels`` job (``printer.auto_print``) calls this. Each label is
    taken (counted printed) just before it is sent, so two stations auto-printing on one shared
    database never print it twice; if the printer fails, the labels are given back and tried
    again next time (a crash in that instant leaves them counted: reprint with ``labels print
    --order``). A label whose file is missing is skipped and named in ``missing`` (it cannot
    block the others). Labels of parcels already scanned by the carrier, or of orders moved
    on (voided, cancelled), are never printed automatically.

    Raises:
        PrinterError: the printer refused or could not be reached. UsageError: printing is
            switched off (``printer.kind = none``).
    """
    with services.store.read() as session:
        candidates = _new_labels(session, limit)
    if not candidates:
        return AutoPrintSummary(0)
    device = resolve_printer(services, printer)
    readable, missing = _readable(candidates)
    shipments = claim_unprinted(services, [s for s in candidates if s.id in readable])
    if not shipments:
        return AutoPrintSummary(0, missing=missing)
    try:
        files = [readable[s.id] for s in shipments]
        summary = _send(services, device, shipments, files, "New labels")
    except BaseException:
        release_claims(services, shipments)
        raise
    record_print(services, "labels", summary, "auto", [])
    return AutoPrintSummary(len(shipments), summary.printer, summary.where, summary.orders, missing)
