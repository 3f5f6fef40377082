"""``creatorflow tracking``: follow every parcel to delivery."""

from __future__ import annotations

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption

app = typer.Typer(help="Carrier tracking: in transit, delivered, late, possibly lost.")


@app.command("sync")
def sync(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Ask the carriers where every shipped parcel is; flag late and possibly lost ones."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.tracking_sync import sync_tracking

    with progress_bar("Tracking") as advance:
        summary = sync_tracking(
            state.services(ctx),
            progress=lambda step: advance(step.done, step.total, ""),
        )
    if as_json:
        print_json(summary)
        return
    stderr_console().print(
        f"Tracked {summary.checked} parcel(s): {summary.in_transit} now in transit, "
        f"{summary.delivered} delivered; {summary.late} late, {summary.at_risk} at risk, "
        f"{summary.possibly_lost} possibly lost"
        + (f"; {summary.errors} could not be checked" if summary.errors else "")
        + ".",
        markup=False,
    )
