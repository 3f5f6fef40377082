"""Packing slips (4x6, one per order) as PDF, and labels interleaved with their slips.

The inputs are plain dataclasses defined here (:class:`SlipOrder`, :class:`SlipLine`): the
services layer fills them from the store, so this module needs no database and no clock. Slips
carry the buyer's *first name only*, never an address. Pick lists live in
:mod:`creatorflow.documents.picklist` and are re-exported here.

**Text and fonts.** fpdf2 bundles no Unicode font. By default the built-in Helvetica is used,
which covers Latin-1 (``é``, ``ü``, ``ñ``, ``ß``…): any other character is *replaced* —
typographic quotes and dashes by their ASCII look-alikes, letters with other accents by the
base letter (``ł`` → ``l``, ``ź`` → ``z``), and everything else (CJK, Arabic, emoji) by ``?`` —
so no name can make PDF generation fail. Pass ``font=`` a TrueType font file (DejaVu Sans, Noto
Sans CJK…) to print those scripts; characters that font lacks are still replaced the same way.
Right-to-left scripts are printed unshaped, left to right.

fpdf2 and pypdf are imported inside the functions: importing this module costs nothing at
start-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.documents._pdf import LETTER, PdfText, new_pdf, pdf_bytes
from creatorflow.documents.code128 import code128_modules
from creatorflow.documents.labels import LABEL_4X6, merge_labels
from creatorflow.documents.picklist import PickItem, pick_list, sum_pick_items

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "LETTER",
    "SLIP_4X6",
    "PickItem",
    "SlipLine",
    "SlipOrder",
    "interleave",
    "packing_slip",
    "packing_slips",
    "pick_list",
    "sum_pick_items",
]

SLIP_4X6 = LABEL_4X6
"""A 4x6 inch slip in PDF points (288 x 432)."""


@dataclass(frozen=True, slots=True)
class SlipLine:
    """One product line of an order (TikTok's per-unit lines already grouped, or not)."""

    seller_sku: str
    product_name: str
    sku_name: str | None
    units: int
    is_gift: bool = False


@dataclass(frozen=True, slots=True)
class SlipOrder:
    """What a packing slip shows for one order.

    ``created_at`` is printed as given: pass it in the seller's local time.
    """

    order_id: str
    buyer_first_name: str | None
    created_at: datetime
    lines: Sequence[SlipLine]
    buyer_message: str | None = None
    shop_name: str | None = None


def _group_lines(lines: Sequence[SlipLine]) -> list[SlipLine]:
    """Lines of the same SKU, variant and gift flag summed, in first-seen order."""
    grouped: dict[tuple[str, str, str, bool], SlipLine] = {}
    for line in lines:
        if line.units < 1:
            raise ValueError(
                f"line {line.seller_sku or line.product_name!r} has {line.units} units"
            )
        key = (line.seller_sku, line.sku_name or "", line.product_name, line.is_gift)
        seen = grouped.get(key)
        grouped[key] = line if seen is None else _add_units(seen, line.units)
    return list(grouped.values())


def _add_units(line: SlipLine, units: int) -> SlipLine:
    return SlipLine(
        line.seller_sku, line.product_name, line.sku_name, line.units + units, line.is_gift
    )


def packing_slip(
    order: SlipOrder, *, page_size: tuple[float, float] = SLIP_4X6, font: Path | None = None
) -> bytes:
    """The packing slip of one order: see :func:`packing_slips`."""
    return packing_slips([order], page_size=page_size, font=font)


def packing_slips(
    orders: Sequence[SlipOrder],
    *,
    page_size: tuple[float, float] = SLIP_4X6,
    font: Path | None = None,
) -> bytes:
    """One PDF with a packing slip per order, each starting on a new ``page_size`` page.

    A slip shows the shop, the order id (as text and as a Code 128 barcode), the buyer's first
    name, the order date, every line (units, product, variant, seller SKU, ``GIFT`` when it is
    one), the total units and the buyer's message. Lines that do not fit carry on to another
    page headed "Order … (continued)".

    Args:
        orders: the orders, in the order the slips should print.
        page_size: (width, height) in points; 4x6 inches by default.
        font: a TrueType font file for scripts beyond Latin-1 (see the module docs).

    Raises:
        ValueError: no orders, a line with fewer than one unit, a page size that is not
            positive. OSError/RuntimeError from fpdf2 if ``font`` cannot be read as a font.
    """
    if not orders:
        raise ValueError("there are no orders to make packing slips for")
    pdf = new_pdf(page_size, margin=14.0)
    pdf.set_auto_page_break(False)
    text = PdfText(pdf, font)
    for order in orders:
        _slip(pdf, text, order)
    return pdf_bytes(pdf)


def _slip(pdf: FPDF, text: PdfText, order: SlipOrder) -> None:
    width = pdf.epw
    order_id = text.clean(order.order_id)
    pdf.add_page()
    if order.shop_name:
        text.font(9)
        pdf.cell(width, 12, text.clean(order.shop_name), new_x="LMARGIN", new_y="NEXT")
    text.font(12, bold=True)
    pdf.cell(width, 16, "PACKING SLIP", new_x="LMARGIN", new_y="NEXT")
    _barcode(pdf, order.order_id, height=38.0)
    text.font(10, bold=True)
    pdf.cell(width, 13, f"Order {order_id}", new_x="LMARGIN", new_y="NEXT")
    text.font(9)
    if order.buyer_first_name:
        pdf.cell(
            width, 12, f"For: {text.clean(order.buyer_first_name)}", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.cell(width, 12, f"Ordered: {order.created_at:%Y-%m-%d}", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf)

    def continued() -> None:
        pdf.add_page()
        text.font(10, bold=True)
        pdf.cell(width, 14, f"Order {order_id} (continued)", new_x="LMARGIN", new_y="NEXT")
        _rule(pdf)

    qty_width = 34.0
    item_width = width - qty_width
    lines = _group_lines(order.lines)
    for line in lines:
        details = [f"SKU: {text.clean(line.seller_sku) or '-'}"]
        if line.sku_name:
            details.insert(0, text.clean(line.sku_name))
        text.font(9, bold=True)
        name_h = _height(pdf, item_width, 11, text.clean(line.product_name) or "-")
        text.font(8)
        details_h = _height(pdf, item_width, 10, "\n".join(details))
        needed = name_h + details_h + (11 if line.is_gift else 0) + 4
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            continued()
        top = pdf.get_y()
        text.font(11, bold=True)
        pdf.cell(qty_width, 11, f"{line.units} x")
        text.font(9, bold=True)
        pdf.multi_cell(item_width, 11, text.clean(line.product_name) or "-", align="L")
        pdf.set_x(pdf.l_margin + qty_width)
        if line.is_gift:
            pdf.cell(item_width, 11, "GIFT - do not add a price", new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(pdf.l_margin + qty_width)
        text.font(8)
        pdf.multi_cell(item_width, 10, "\n".join(details), align="L", new_x="LMARGIN")
        pdf.set_y(max(pdf.get_y(), top + 11) + 4)

    total = sum(line.units for line in lines)
    message = text.clean(order.buyer_message).strip()
    text.font(8)
    message_h = _height(pdf, width, 10, message) + 12 if message else 0.0
    if pdf.get_y() + 16 + message_h > pdf.h - pdf.b_margin:
        continued()
    _rule(pdf)
    text.font(10, bold=True)
    pdf.cell(
        width, 14, f"Total: {total} unit{'s' if total != 1 else ''}", new_x="LMARGIN", new_y="NEXT"
    )
    if message:
        text.font(9, bold=True)
        pdf.cell(width, 12, "Message from the buyer:", new_x="LMARGIN", new_y="NEXT")
        text.font(8)
        # A message longer than the page breaks onto further pages without the heading.
        pdf.set_auto_page_break(True, margin=pdf.b_margin)
        pdf.multi_cell(width, 10, message, align="L", new_x="LMARGIN")
        pdf.set_auto_page_break(False)


def _height(pdf: FPDF, width: float, line_height: float, body: str) -> float:
    lines = pdf.multi_cell(width, line_height, body, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return line_height * max(1, len(lines))


def _rule(pdf: FPDF) -> None:
    y = pdf.get_y() + 2
    pdf.set_line_width(0.75)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_y(y + 4)


def _barcode(pdf: FPDF, value: str, *, height: float) -> None:
    """A Code 128 barcode of ``value``, as wide as fits (at most 2 pt a module), centred.

    Nothing is drawn for a value Code 128 cannot carry (non-ASCII): the id is printed as text
    below it anyway.
    """
    try:
        widths = code128_modules(value)
    except ValueError:
        return
    quiet = 10
    modules = sum(widths) + 2 * quiet
    module = min(2.0, pdf.epw / modules)
    x = pdf.l_margin + (pdf.epw - modules * module) / 2 + quiet * module
    y = pdf.get_y() + 2
    pdf.set_fill_color(0, 0, 0)
    for index, span in enumerate(widths):
        if index % 2 == 0:
            pdf.rect(x, y, span * module, height, style="F")
        x += span * module
    pdf.set_y(y + height + 3)


def interleave(
    labels: Sequence[bytes],
    slips: Sequence[bytes],
    *,
    page_size: tuple[float, float] = SLIP_4X6,
) -> bytes:
    """One PDF: the label page(s) of order 1, its slip, the label of order 2, its slip, …

    ``labels[i]`` and ``slips[i]`` belong to the same order. Every page is put on a
    ``page_size`` page as :func:`~creatorflow.documents.labels.merge_labels` does (scaled to
    fit, turned if its orientation differs). For ZPL labels there is nothing to interleave:
    print the slips on a PDF printer of their own.

    Raises:
        ValueError: the two lists differ in length or are empty, or a file is not a usable PDF
            (the message names the order and whether it is its label or its slip).
    """
    if len(labels) != len(slips):
        raise ValueError(f"{len(labels)} labels but {len(slips)} packing slips: one each per order")
    if not labels:
        raise ValueError("there are no labels and slips to interleave")
    files: list[bytes] = []
    names: list[str] = []
    for number, (label, slip) in enumerate(zip(labels, slips, strict=True), start=1):
        files += [bytes(label), bytes(slip)]
        names += [f"the label of order {number}", f"the packing slip of order {number}"]
    try:
        return merge_labels(files, page_size=page_size)
    except ValueError as exc:
        found = re.match(r"label file (\d+) (.*)", str(exc), re.DOTALL)
        if found is None:
            raise
        raise ValueError(f"{names[int(found.group(1)) - 1]} {found.group(2)}") from exc
