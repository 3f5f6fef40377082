"""The ``creatorflow`` Typer application and ``main``, the console-script entry point.

Only Typer and the small command modules are imported here; each command imports what it
needs (SQLAlchemy, keyring, Textual…) when it runs, so ``creatorflow --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow import __version__
from creatorflow.cli.commands import (
    billing,
    config,
    connect,
    daemon,
    data,
    database,
    demo,
    documents,
    labels,
    orders,
    orders_queue,
    presets,
    products,
    reports,
    rules,
    sandbox,
    secrets,
    setup,
    shops,
    tracking,
    tui,
)
from creatorflow.cli.errors import BoundaryGroup

app = typer.Typer(
    name="creatorflow",
    cls=BoundaryGroup,
    help="TikTok Shop order fulfilment from your packing station.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"creatorflow {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of error panels.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """TikTok Shop order fulfilment from your packing station."""
    ctx.obj = {"debug": debug}


setup.register(app)
demo.register(app)
app.add_typer(config.app, name="config")
app.add_typer(secrets.app, name="secrets")
app.add_typer(database.app, name="db")
app.add_typer(connect.app, name="connect")
app.add_typer(shops.app, name="shops")
app.add_typer(orders.app, name="orders")
app.add_typer(products.app, name="products")
app.add_typer(presets.app, name="presets")
app.add_typer(rules.app, name="rules")
app.add_typer(labels.app, name="labels")
app.add_typer(documents.app, name="documents")
app.add_typer(tracking.app, name="tracking")
reports.register(app)
app.add_typer(data.app, name="data")
_ = orders_queue  # registers approve, hold and release on the orders group
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(daemon.app, name="daemon")
app.add_typer(billing.app, name="billing")
tui.register(app)


def main() -> None:
    """Run the command line (the ``creatorflow`` console script)."""
    app()
