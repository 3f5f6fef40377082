"""``creatorflow report``: sales, label spend, margin and dispatch quality, by day or SKU."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption

if TYPE_CHECKING:
    from creatorflow.services.reports import Report, ReportRow


class By(StrEnum):
    """What a report row is."""

    DAY = "day"
    SKU = "sku"


#: The columns of ``--csv`` (``--json`` carries the whole report, totals included).
CSV_COLUMNS = tuple(
    Column(name, name)
    for name in (
        "key",
        "label",
        "currency",
        "orders",
        "units",
        "revenue",
        "label_spend",
        "margin",
        "shipped",
        "dispatch_decided",
        "late",
        "late_dispatch_rate",
        "tracking_judged",
        "tracking_valid",
        "valid_tracking_rate",
    )
)

_BLOCKS = " ▏▎▍▌▋▊▉█"
BAR_WIDTH = 20


def bar(value: Decimal, top: Decimal, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of Unicode blocks, ``width`` cells for ``top``, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _money(amount: Decimal, currency: str) -> str:
    from creatorflow.domain.money import Money

    return Money(amount, currency).display()


def _cells(row: ReportRow, top: Decimal, width: int) -> list[str]:
    cells = [
        row.label,
        str(row.orders),
        str(row.units),
        _money(row.revenue, row.currency),
        _money(row.label_spend, row.currency),
        _money(row.margin, row.currency),
        _percent(row.late_dispatch_rate),
        _percent(row.valid_tracking_rate),
    ]
    return [*cells, bar(row.revenue, top, width)] if width else cells


def _visible(result: Report) -> list[ReportRow]:
    """The rows worth a line: all of a short one-currency calendar (gaps show as gaps),
    otherwise only days and SKUs with sales or labels."""
    if result.by == "day" and result.days <= 31 and len(result.totals) == 1:
        return result.rows
    return [row for row in result.rows if row.orders or row.label_spend or row.shipped]


def render(result: Report) -> None:
    """Print a report as a Rich table with a revenue bar per row and a total per currency."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from creatorflow.cli.output import stdout_console

    console = stdout_console()
    rows = _visible(result)
    by_day = result.by == "day"
    period = f"{result.rows[0].key} to {result.rows[-1].key}" if by_day else ""
    notes = ["Label spend is net of refunds"]
    if not by_day:
        notes.append("each order's labels are shared across its SKUs by units")
    if len(rows) < len(result.rows):
        notes.append(f"{len(result.rows) - len(rows)} empty row(s) left out")
    notes.append(
        "late: first carrier scan after TikTok's ship-by time; valid tracking: scanned within "
        f"{result.tracking_days} days of purchase"
    )
    table = Table(
        title=f"Sales by day, {period} ({result.timezone})"
        if by_day
        else f"Sales by SKU, last {result.days} day(s)",
        caption="; ".join(notes) + ".",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Day" if by_day else "SKU", no_wrap=by_day, min_width=10)
    for header in ("Orders", "Units", "Revenue", "Labels", "Margin", "Late", "Valid"):
        table.add_column(header, justify="right", no_wrap=True)
    # The bar is decoration: it gets what the figures leave of the line.
    width = max(0, min(BAR_WIDTH, console.width - 76))
    if width:
        table.add_column("", no_wrap=True, width=width)
    top: dict[str, Decimal] = {}
    for row in rows:
        top[row.currency] = max(top.get(row.currency, Decimal(0)), row.revenue)
    for index, row in enumerate(rows):
        cells = _cells(row, top[row.currency], width)
        table.add_row(*map(Text, cells), end_section=index == len(rows) - 1)
    for total in result.totals:
        cells = _cells(total, Decimal(0), width)
        cells[0] = f"Total {total.currency}" if len(result.totals) > 1 else "Total"
        table.add_row(*(Text(cell, style="bold") for cell in cells))
    console.print(table)


def report(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", min=1, max=1000, help="Days to cover, today included.")
    ] = 30,
    by: Annotated[By, typer.Option("--by", help="One row per day or per SKU.")] = By.DAY,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Orders, units, revenue, label spend and margin, late-dispatch and valid-tracking rates.

    Days are the shop's (US Pacific, as TikTok counts them); every amount stays in its own
    currency.
    """
    from creatorflow.cli.output import emit_rows, plain, print_json, stderr_console
    from creatorflow.services.reports import report as build_report

    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    result = build_report(state.services(ctx), days=days, by=by.value)
    if as_json:
        print_json(result)
        return
    if as_csv:
        emit_rows([plain(row) for row in result.rows], CSV_COLUMNS, as_csv=True)
        return
    if not result.rows:
        stderr_console().print(
            f"No sales in the last {days} day(s). Run `creatorflow orders sync` to fetch orders."
        )
        return
    render(result)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the root application."""
    app.command("report")(report)
