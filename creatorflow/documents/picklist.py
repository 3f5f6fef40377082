"""Pick lists: every SKU of a batch once, units summed, in the order a picker walks the shelves.

The input is :class:`PickItem`, a plain dataclass the services layer fills (one per order
line, or already summed). Text the font cannot show is replaced, never an error: see
:mod:`creatorflow.documents._pdf`. fpdf2 is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from creatorflow.documents._pdf import LETTER, PdfText, natural_key, new_pdf, pdf_bytes

__all__ = ["PickItem", "pick_list", "sum_pick_items"]


@dataclass(frozen=True, slots=True)
class PickItem:
    """Units of one SKU to pick, from one order or already summed; ``location`` is its shelf."""

    seller_sku: str
    product_name: str
    sku_name: str | None
    units: int
    location: str | None = None


def sum_pick_items(items: Sequence[PickItem]) -> list[PickItem]:
    """Units summed per SKU (seller SKU and variant), sorted by location, SKU, variant, name.

    Items without a location come last. A SKU's product name and location are the first
    given. Items without a seller SKU are told apart by their product name too.

    Raises:
        ValueError: an item with fewer than one unit.
    """
    summed: dict[tuple[str, str, str], PickItem] = {}
    for item in items:
        if item.units < 1:
            raise ValueError(
                f"pick item {item.seller_sku or item.product_name!r} has {item.units} units"
            )
        key = (item.seller_sku, item.sku_name or "", "" if item.seller_sku else item.product_name)
        seen = summed.get(key)
        if seen is None:
            summed[key] = item
        else:
            summed[key] = PickItem(
                seen.seller_sku,
                seen.product_name,
                seen.sku_name,
                seen.units + item.units,
                seen.location or item.location,
            )
    return sorted(
        summed.values(),
        key=lambda i: (
            i.location is None,
            natural_key(i.location or ""),
            natural_key(i.seller_sku),
            natural_key(i.sku_name or ""),
            natural_key(i.product_name),
        ),
    )


def pick_list(
    items: Sequence[PickItem],
    *,
    title: str,
    page_size: tuple[float, float] = LETTER,
    font: Path | None = None,
) -> bytes:
    """A pick list: every SKU of the batch once, units summed (:func:`sum_pick_items`).

    A table of location, SKU, product and variant, units and a box to tick, in the order a
    picker walks the shelves, its heading repeated on every page; then the total units.

    Args:
        items: per-order (or already summed) items; the same SKU may appear many times.
        title: the heading, e.g. "Pick list 2025-01-02 (38 orders)".
        page_size: (width, height) in points; US letter by default.
        font: a TrueType font file for scripts beyond Latin-1 (see the module docs).

    Raises:
        ValueError: no items, an item with fewer than one unit, a page size that is not
            positive.
    """
    if not items:
        raise ValueError("there is nothing to pick")
    rows = sum_pick_items(items)
    pdf = new_pdf(page_size, margin=36.0 if page_size[0] > 400 else 14.0)
    pdf.set_auto_page_break(True, margin=pdf.b_margin)
    text = PdfText(pdf, font)
    pdf.add_page()
    text.font(14, bold=True)
    pdf.multi_cell(pdf.epw, 18, text.clean(title) or "Pick list", align="L", new_x="LMARGIN")
    pdf.ln(6)
    text.font(9)
    with pdf.table(
        col_widths=(16, 22, 48, 9, 5),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "CENTER"),
        line_height=12,
        padding=3,
    ) as table:
        heading = table.row()
        for label in ("Location", "SKU", "Product", "Units", ""):
            heading.cell(label)
        for item in rows:
            product = text.clean(item.product_name)
            if item.sku_name:
                product += f"\n{text.clean(item.sku_name)}"
            row = table.row()
            row.cell(text.clean(item.location) or "-")
            row.cell(text.clean(item.seller_sku) or "-")
            row.cell(product or "-")
            row.cell(str(item.units))
            row.cell("[  ]")
    total = sum(item.units for item in rows)
    pdf.ln(8)
    text.font(11, bold=True)
    units = f"{total} unit{'s' if total != 1 else ''}"
    skus = f"{len(rows)} SKU{'s' if len(rows) != 1 else ''}"
    pdf.cell(
        pdf.epw,
        14,
        f"Total: {units} of {skus}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return pdf_bytes(pdf)
