"""``creatorflow orders approve | hold | release``: what gets a label, and what waits."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.commands.orders import app
from creatorflow.cli.output import Column, JsonOption, emit_rows


@app.command("approve")
def approve(
    ctx: typer.Context,
    order_ids: Annotated[
        list[str] | None, typer.Argument(help="TikTok order ids.", show_default=False)
    ] = None,
    all_ready: Annotated[
        bool, typer.Option("--all-ready", help="Every new order TikTok says is ready to ship.")
    ] = False,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this provider (shippo, easypost).")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Only this service (its token or name).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the guards, change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Approve orders for a label: every guard is checked, refusals are stored and shown.

    Exits with 5 when any order was refused (over the plan's limit too, once signed in to
    billing).
    """
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.errors import BlockedError
    from creatorflow.services.approval import approve_orders

    summary = approve_orders(
        state.services(ctx),
        order_ids or [],
        all_ready=all_ready,
        provider=provider,
        service=service,
        dry_run=dry_run,
    )
    rows = [
        {
            "order_id": result.order_id,
            "approved": result.approved,
            "stage": result.stage.value,
            "refusals": [refusal.code.value for refusal in result.refusals],
            "reason": result.reason,
        }
        for result in summary.results
    ]
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "approved": summary.approved,
                "refused": summary.refused,
                "refusal_counts": summary.refusal_counts(),
                "orders": rows,
            }
        )
    else:
        emit_rows(
            rows,
            (
                Column("order_id", "Order", no_wrap=True),
                Column("approved", "Approved"),
                Column("stage", "Stage"),
                Column("reason", "Why not"),
            ),
            empty="No order is ready: sync first, or give order ids.",
        )
        verb = "would be approved" if dry_run else "approved"
        stderr_console().print(f"{summary.approved} {verb}, {summary.refused} refused.")
    if summary.refused:
        if "plan_limit" in summary.refusal_counts():
            hint = (
                "Your plan's limit for this period is reached: `creatorflow billing upgrade`, "
                "then approve them again."
            )
        else:
            hint = (
                "Each reason says what to do; `creatorflow orders release ID` after fixing a "
                "held one."
            )
        raise BlockedError(f"{summary.refused} order(s) cannot get a label now.", hint=hint)


@app.command("hold")
def hold(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to whoever looks next).")],
) -> None:
    """Hold an order: no label is bought for it until it is released."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.approval import hold_order

    hold_order(state.services(ctx), order_id, reason)
    stderr_console().print(f"Order {order_id} is held.")


@app.command("release")
def release(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
) -> None:
    """Release a held order back to new (approve it again to queue its label)."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.approval import release_order

    release_order(state.services(ctx), order_id)
    stderr_console().print(f"Order {order_id} is new again; approve it to queue its label.")
