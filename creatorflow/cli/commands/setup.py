"""``creatorflow init`` and ``creatorflow doctor``: set up an installation and check it."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption, print_json

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def init(
    ctx: typer.Context,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Also point CreatorFlow at the running `creatorflow sandbox serve` and "
            "connect its shop, Shippo and EasyPost.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create config.toml and the database (safe to run again), and print where they live.

    With --sandbox, also wire the config, secrets and SKU parcels to the running sandbox
    and sync its orders, so `creatorflow orders approve --all-ready` works at once.
    """
    from creatorflow.cli.output import stderr_console, stdout_console
    from creatorflow.services.setup import initialize

    if sandbox:
        _init_sandbox(ctx, as_json=as_json)
        return
    report = initialize(state.services(ctx))
    if as_json:
        print_json(report)
        return
    schema = report.schema
    verb = "created" if report.config_created else "kept"
    lines = [f"Config    {report.config_file} ({verb})", f"Database  {report.database}"]
    if schema.changed:
        lines.append(f"Schema    {schema.from_revision or 'empty'} → {schema.to_revision}")
    else:
        lines.append(f"Schema    {schema.to_revision} (up to date)")
    if schema.backup:
        lines.append(f"Backup    {schema.backup}")
    lines += [f"Data      {report.data_dir}", f"Logs      {report.log_dir}"]
    stdout_console().print("\n".join(lines), markup=False, highlight=False)
    stderr_console().print("Next: [bold]creatorflow doctor[/] checks the set-up.")


def _init_sandbox(ctx: typer.Context, *, as_json: bool) -> None:
    from creatorflow.cli.output import stderr_console, stdout_console
    from creatorflow.services.setup import init_sandbox

    console = stderr_console()
    with console.status("Connecting to the sandbox…"):
        report = init_sandbox(state.services(ctx))
    if report.secrets_file_enabled:
        console.print(
            "warning: no system keyring can hold secrets here, so secrets.allow_file is now "
            "on and the sandbox's fake keys are kept in a plain-text 0600 file: "
            f"{report.secrets_backend}. Real keys stored later in this home go there too.",
            markup=False,
            soft_wrap=True,
        )
    for name, variable in report.overridden.items():
        console.print(
            f"warning: {variable} is set and overrides {name} from config.toml.",
            markup=False,
            soft_wrap=True,
        )
    if as_json:
        print_json(report)
        return
    lines = [
        f"Config    {report.init.config_file}",
        f"Sandbox   {report.settings['tiktok.api_base']} (control {report.control_url})",
        f"Billing   {report.billing_url} (sign in with `creatorflow billing login`)",
        f"Shops     {', '.join(report.shops) or 'none'}",
        f"Secrets   {report.secrets_backend}",
        f"SKUs      {report.skus} ({report.skus_given_parcels} given a weight and size)",
        f"Orders    {report.orders_synced} synced",
    ]
    stdout_console().print("\n".join(lines), markup=False, highlight=False)
    console.print(
        "Next: [bold]creatorflow orders approve --all-ready[/], then [bold]creatorflow "
        "labels buy[/] (or [bold]creatorflow daemon run[/]). For a plan: [bold]creatorflow "
        "billing login[/] (approve the code on the page it shows), then [bold]creatorflow "
        "billing upgrade growth[/]."
    )


def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check config, schema, secret backend, daemon and printer: one line each.

    Exits 1 when a check fails (warnings alone exit 0).
    """
    from creatorflow.cli.output import stdout_console
    from creatorflow.errors import ExitCode
    from creatorflow.services.doctor import run_checks

    checks = run_checks(state.services(ctx))
    if as_json:
        print_json(checks)
    else:
        from rich.markup import escape
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        for check in checks:
            grid.add_row(_MARK[check.status], f"[bold]{check.name}[/]", escape(check.summary))
            if check.hint and check.status != "ok":
                grid.add_row("", "", f"[dim]→ {escape(check.hint)}[/]")
        stdout_console().print(grid)
    if any(check.status == "fail" for check in checks):
        raise typer.Exit(ExitCode.FAILURE)


def register(app: typer.Typer) -> None:
    """Add the set-up commands to the root application."""
    app.command("init")(init)
    app.command("doctor")(doctor)
