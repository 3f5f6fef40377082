"""``creatorflow rules``: how a provider and service are chosen, and why for one order."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, JsonOption, emit_rows, plain

app = typer.Typer(help="Label rules: which provider and service each order gets, and why.")


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the rules in force (change them with `creatorflow config set rules.…`)."""
    from creatorflow.services.labels import list_rules

    rows = [plain(rule) for rule in list_rules(state.services(ctx))]
    emit_rows(
        rows,
        (Column("rule", "Rule"), Column("value", "Value"), Column("effect", "What it does")),
        as_json=as_json,
    )


@app.command("test")
def explain(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Show what would be bought for an order now, and why (quotes; nothing is bought)."""
    from datetime import UTC, datetime

    from creatorflow.cli.output import print_json, stderr_console, stdout_console
    from creatorflow.services.purchase_planning import explain_purchase

    with stderr_console().status("Quoting…"):
        plan = explain_purchase(state.services(ctx), order_id, now=datetime.now(UTC))
    data = {
        "order_id": order_id,
        "allowed": not plan.refusals and plan.rate is not None,
        "refusals": [{"code": r.code.value, "reason": r.reason} for r in plan.refusals],
        "parcel": None
        if plan.parcel is None
        else {
            "weight_oz": str(plan.parcel.weight_oz),
            "dimensions_in": [
                str(plan.parcel.length_in),
                str(plan.parcel.width_in),
                str(plan.parcel.height_in),
            ],
            "box": plan.parcel.preset,
            "reasons": list(plan.parcel.reasons),
        },
        "rates_quoted": plan.quoted,
        "choice": plain(plan.rate),
        "explanation": list(plan.explanation),
    }
    if as_json:
        print_json(data)
        return
    console = stdout_console()
    for refusal in plan.refusals:
        console.print(f"[red]✗[/] {refusal.reason}", highlight=False)
    if plan.parcel is not None:
        for reason in plan.parcel.reasons:
            console.print(f"• {reason}", markup=False, highlight=False)
    for line in plan.explanation:
        console.print(line, markup=False, highlight=False)
