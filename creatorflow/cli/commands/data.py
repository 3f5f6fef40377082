"""``creatorflow data``: export the store as CSV, purge buyer data after the retention period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption

app = typer.Typer(help="Your data: export it as CSV, purge buyer details once kept long enough.")


@app.command("export")
def export(
    ctx: typer.Context,
    csv_dir: Annotated[
        Path,
        typer.Option(
            "--csv",
            metavar="DIR",
            help="Write orders.csv, order_lines.csv, shipments.csv and order_events.csv here.",
            file_okay=False,
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Export orders, lines, labels and order history as CSV files (replacing older ones).

    The files hold buyer names and addresses: they are created readable by you only.
    """
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.data_export import ExportProgress, export_csv

    with progress_bar("Exporting") as advance:

        def report(step: ExportProgress) -> None:
            advance(step.done, step.total, f"({step.file})")

        summary = export_csv(state.services(ctx), csv_dir, progress=report)
    if as_json:
        print_json(summary)
        return
    console = stderr_console()
    console.print(f"Exported {summary.rows:,} row(s) to {summary.directory}:", markup=False)
    for item in summary.files:
        console.print(f"  {item.name:<17} {item.rows:>10,} row(s)", markup=False)


def _retention(ctx: typer.Context, older_than: str | None) -> timedelta:
    from creatorflow.domain.durations import parse_duration

    if older_than is None:
        return timedelta(days=state.services(ctx).settings.integer("retention.buyer_data_days"))
    try:
        return parse_duration(older_than)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from None


@app.command("purge")
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="SPAN",
            help="Orders finished longer ago than this: 90d, 12h, 2w "
            "(default: retention.buyer_data_days).",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count the orders that would be purged.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove buyer names, phones, emails and addresses from orders delivered or cancelled
    long enough ago. Amounts, dates, lines and labels stay, so reports do not change.
    """
    from creatorflow.cli.output import print_json, stderr_console, when
    from creatorflow.domain.durations import format_duration
    from creatorflow.domain.stages import Actor
    from creatorflow.errors import UsageError
    from creatorflow.services.housekeeping import purge_buyer_data

    span = _retention(ctx, older_than)
    services = state.services(ctx)
    now = datetime.now(UTC)
    if not dry_run and not yes:
        if not state.stdin_is_terminal():
            raise UsageError(
                "Purging removes buyer data for good, and there is no terminal to confirm it.",
                hint="Add --yes to purge without asking (or --dry-run to count first).",
            )
        preview = purge_buyer_data(services, span, now, dry_run=True, actor=Actor.CLI)
        typer.confirm(
            f"Remove the buyer data of {preview.orders:,} order(s) delivered or cancelled "
            f"before {when(preview.cutoff)} ({format_duration(span)} ago)? "
            "This cannot be undone.",
            abort=True,
            err=True,
        )
    summary = purge_buyer_data(services, span, now, dry_run=dry_run, actor=Actor.CLI)
    if as_json:
        print_json(summary)
        return
    console = stderr_console()
    cutoff = when(summary.cutoff)
    if summary.dry_run:
        console.print(
            f"{summary.orders:,} order(s) delivered or cancelled before {cutoff} still hold "
            "buyer data; `creatorflow data purge` removes it.",
            markup=False,
        )
        return
    console.print(
        f"Removed the buyer data of {summary.orders:,} order(s) finished before {cutoff}; "
        f"deleted {summary.label_files:,} label file(s), {summary.print_files:,} print "
        f"file(s) and {summary.quarantined:,} quarantined payload(s).",
        markup=False,
    )
    if summary.files_failed:
        console.print(
            f"[yellow]{summary.files_failed} file(s) could not be deleted[/] (named in the "
            "warnings above): delete them by hand."
        )
