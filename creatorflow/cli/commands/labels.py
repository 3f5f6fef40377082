"""``creatorflow labels``: buy the approved queue, list labels."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows, plain

app = typer.Typer(help="Shipping labels: buy the approved queue, list what was bought.")


@app.command("buy")
def buy(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Work at most this many orders.", min=1)
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Labels bought at once.", min=1, max=32)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Buy a label for every approved order (once each, ever), then send tracking to TikTok."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.label_buying import BuyProgress, buy_labels
    from creatorflow.services.tracking_push import push_tracking
    from creatorflow.services.voids import queue_voids, void_labels

    services = state.services(ctx)
    with progress_bar("Buying labels") as advance:

        def report(step: BuyProgress) -> None:
            advance(step.done, step.total, f"({step.bought} bought)")

        summary = buy_labels(services, limit=limit, workers=workers, progress=report)
    pushed = push_tracking(services)
    queue_voids(services)
    voided = void_labels(services)
    if as_json:
        print_json({"labels": plain(summary), "tracking": plain(pushed), "voids": plain(voided)})
        return
    spend = ", ".join(f"{amount} {currency}" for currency, amount in summary.spend.items())
    console = stderr_console()
    console.print(
        f"Labels: {summary.bought} bought, {summary.adopted} recovered, {summary.held} held, "
        f"{summary.retry_later} to retry, {summary.needs_attention} need attention"
        + (f" (spent {spend})" if spend else "")
        + "."
    )
    console.print(
        f"Tracking sent to TikTok for {pushed.pushed + pushed.already} order(s)"
        + (f", {pushed.warnings} with a warning" if pushed.warnings else "")
        + "."
    )


OrderOption = Annotated[
    str | None, typer.Option("--order", help="Only this order.", show_default=False)
]
BatchOption = Annotated[
    str | None,
    typer.Option("--batch", help="today (default), unprinted, or a day like 2026-11-26."),
]
PrinterOption = Annotated[
    str | None,
    typer.Option("--printer", help="folder:PATH, cups:QUEUE or raw:HOST[:PORT] (default: config)."),
]


@app.command("print")
def print_(
    ctx: typer.Context,
    order: OrderOption = None,
    batch: BatchOption = None,
    printer: PrinterOption = None,
    with_slips: Annotated[
        bool, typer.Option("--with-slips", help="A packing slip after each label.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print labels in pick order (a reprint never buys anything)."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.services.printing import print_labels

    summary = print_labels(
        state.services(ctx), order_id=order, batch=batch, printer=printer, with_slips=with_slips
    )
    if as_json:
        print_json(summary)
        return
    stderr_console().print(
        f"Printed {len(summary.orders)} label(s), {summary.pages} page(s), to {summary.where}.",
        markup=False,
    )
    if summary.missing:
        stderr_console().print(
            f"Left {len(summary.missing)} label(s) whose file is not on this computer (bought "
            f"on another station; print them there): {', '.join(summary.missing)}",
            markup=False,
        )


@app.command("void")
def void(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (kept in the order's history).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Void an order's label and ask for the refund (only before the carrier's first scan)."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.services.voids import request_void, void_labels

    services = state.services(ctx)
    request_void(services, order_id, reason=reason)
    summary = void_labels(services, order_ids=[order_id])
    if as_json:
        print_json(summary)
        return
    if summary.refunded:
        stderr_console().print(f"The label of order {order_id} is voided and refunded.")
    elif summary.pending:
        stderr_console().print(
            f"The void of order {order_id}'s label is requested; the refund is followed until "
            "it lands (`creatorflow labels list` shows it)."
        )
    else:
        stderr_console().print(
            f"The void of order {order_id} could not be done now; see `orders show`."
        )


@app.command("rebuy")
def rebuy(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why (damaged label, wrong box…).")],
    as_json: JsonOption = False,
) -> None:
    """Buy a new label for an order on purpose: the old one is voided, TikTok's tracking fixed.

    Only before the carrier's first scan; TikTok accepts a corrected tracking number for 72
    hours after shipping.
    """
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.services.label_buying import buy_labels
    from creatorflow.services.tracking_push import push_tracking
    from creatorflow.services.voids import rebuy_label, void_labels

    services = state.services(ctx)
    rebuy_label(services, order_id, reason=reason)
    bought = buy_labels(services, order_ids=[order_id])
    pushed = push_tracking(services, order_ids=[order_id])
    voided = void_labels(services, order_ids=[order_id])
    if as_json:
        print_json({"labels": plain(bought), "tracking": plain(pushed), "voids": plain(voided)})
        return
    stderr_console().print(
        f"Order {order_id}: {bought.bought} new label bought, old label "
        + ("refunded" if voided.refunded else "void requested")
        + (", tracking corrected on TikTok." if pushed.pushed else "."),
        markup=False,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many.")] = 100,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List labels, newest first."""
    from creatorflow.services.labels import list_labels

    rows = [plain(label) for label in list_labels(state.services(ctx), limit=limit)]
    emit_rows(
        rows,
        (
            Column("order_id", "Order", no_wrap=True),
            Column("provider", "Provider"),
            Column("carrier", "Carrier"),
            Column("service", "Service"),
            Column("tracking_number", "Tracking", no_wrap=True),
            Column("cost", "Cost", "right"),
            Column("state", "State"),
        ),
        as_json=as_json,
        as_csv=as_csv,
        empty="No labels yet. Approve orders, then `creatorflow labels buy`.",
    )
