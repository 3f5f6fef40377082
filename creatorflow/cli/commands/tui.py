"""``creatorflow tui``: the dashboard (Textual is imported only when it runs)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from creatorflow.cli import state

if TYPE_CHECKING:
    from creatorflow.services.context import Services


def register(app: typer.Typer) -> None:
    """Add ``tui`` to the root command."""
    app.command("tui")(tui)


def _sandbox_services(orders: int) -> Services:
    """Run the demo on the built-in simulators in a new folder; services over that folder.

    The sandbox never uses the user's home, database or settings (``CREATORFLOW_*``), even
    when ``CREATORFLOW_HOME`` is set: ``creatorflow demo`` fills that one on purpose.
    """
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.context import build_services
    from creatorflow.services.demo import run_demo

    environ = {k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")}
    console = stderr_console()
    with console.status("Filling a sandbox store…") as status:
        summary = run_demo(
            orders=orders, environ=environ, step=lambda text: status.update(text + "…")
        )
    return build_services({**environ, "CREATORFLOW_HOME": summary.home})


def tui(
    ctx: typer.Context,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Open on a sandbox store filled by the demo (no accounts needed).",
        ),
    ] = False,
    orders: Annotated[
        int,
        typer.Option("--orders", help="Orders of the sandbox shop (--sandbox).", min=1, max=2000),
    ] = 30,
) -> None:
    """Open the dashboard: dispatch queue, orders, labels, daemon, reports and billing.

    Keys: a approve, h hold, p print, v void, / search, r refresh, ? help, q quit; every
    command is also in the command palette (Ctrl+P).
    """
    services = _sandbox_services(orders) if sandbox else state.services(ctx)
    # Open the store before the screen takes over, so a missing or old database is one
    # clear error on the terminal rather than a notification on every screen.
    _ = services.store
    from creatorflow.tui import make_app

    try:
        make_app(services, sandbox=sandbox).run()
    finally:
        if sandbox:
            services.close()
