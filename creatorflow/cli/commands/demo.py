"""``creatorflow demo``: the whole loop on the built-in sandbox."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli.output import JsonOption


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root command."""
    app.command("demo")(demo)


def demo(
    orders: Annotated[
        int, typer.Option("--orders", help="Orders the sandbox shop starts with.", min=1, max=2000)
    ] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same shop and orders.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Run the whole loop on the built-in sandbox: sync, approve, buy labels, push tracking.

    No account is needed: TikTok Shop, Shippo, EasyPost and Stripe are local simulators, and
    the billing service runs in this process: the demo signs in, pays for the growth plan
    (scale above 900 orders), reports the labelled orders and signs out. The home folder it
    used (with the merged label PDF) is kept and printed.
    """
    from creatorflow.cli.output import print_json, stderr_console, stdout_console
    from creatorflow.services.demo import run_demo

    console = stderr_console()
    with console.status("Starting the sandbox…") as status:
        summary = run_demo(orders=orders, seed=seed, step=lambda text: status.update(text + "…"))
    if as_json:
        print_json(summary)
        return
    out = stdout_console()
    held = ", ".join(
        f"{count} {code.replace('_', ' ')}" for code, count in summary.held_reasons.items()
    )
    spend = ", ".join(f"{amount} {currency}" for currency, amount in summary.label_spend.items())
    billing = "not signed in"
    if summary.billing_plan:
        billing = (
            f"{summary.billing_plan} plan ({summary.billing_status}), "
            f"{summary.billing_used} of {summary.billing_limit:,} orders used this period"
        )
    lines = [
        f"Orders synced:        {summary.orders}",
        f"Approved:             {summary.approved}",
        f"Held:                 {summary.held}" + (f" ({held})" if held else ""),
        f"Labels bought:        {summary.labelled} ({spend or 'nothing spent'})",
        f"Tracking sent:        {summary.shipped}",
        f"Duplicate purchases:  {summary.duplicate_purchases}",
        f"Voided after cancel:  {summary.voided} ({summary.refunded} refunded)",
        f"Delivered:            {summary.delivered}"
        + (f" ({summary.late} late)" if summary.late else ""),
        f"Billing:              {billing}",
        f"Labels PDF:           {summary.label_pdf or 'none'}",
        f"Packing slips PDF:    {summary.packing_slips_pdf or 'none'}",
        f"Home:                 {summary.home}",
    ]
    for line in lines:
        out.print(line, markup=False, highlight=False)
