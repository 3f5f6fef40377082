"""``creatorflow documents``: packing slips and pick lists for a batch."""

from __future__ import annotations

import typer

from creatorflow.cli import state
from creatorflow.cli.commands.labels import BatchOption, OrderOption, PrinterOption
from creatorflow.cli.output import JsonOption

app = typer.Typer(help="Packing slips and pick lists (PDF) for a batch of labelled orders.")


def _print(
    ctx: typer.Context,
    kind: str,
    order: str | None,
    batch: str | None,
    printer: str | None,
    as_json: bool,
) -> None:
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.services.printing import print_documents

    summary = print_documents(
        state.services(ctx), kind, order_id=order, batch=batch, printer=printer
    )
    if as_json:
        print_json(summary)
        return
    stderr_console().print(
        f"{kind.replace('-', ' ').capitalize()} for {len(summary.orders)} order(s), "
        f"{summary.pages} page(s), sent to {summary.where}.",
        markup=False,
    )


@app.command("packing-slips")
def packing_slips(
    ctx: typer.Context,
    order: OrderOption = None,
    batch: BatchOption = None,
    printer: PrinterOption = None,
    as_json: JsonOption = False,
) -> None:
    """One 4x6 packing slip per order: lines, units, gifts, the buyer's message."""
    _print(ctx, "packing-slips", order, batch, printer, as_json)


@app.command("pick-list")
def pick_list(
    ctx: typer.Context,
    order: OrderOption = None,
    batch: BatchOption = None,
    printer: PrinterOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every SKU of the batch with its total units, to pick the shelves once."""
    _print(ctx, "pick-list", order, batch, printer, as_json)
