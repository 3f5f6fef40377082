"""``creatorflow db``: the database schema."""

from __future__ import annotations

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption, emit_object, plain

app = typer.Typer(help="Database schema: where it stands, and upgrading it.")


@app.command("current")
def current(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the schema revision of the database and of this version of CreatorFlow.

    Exits 2 when they differ, so scripts can check before starting the daemon.
    """
    from creatorflow.errors import ExitCode
    from creatorflow.services.database import database_state

    db = database_state(state.services(ctx))
    emit_object(plain(db), as_json=as_json)
    if db.state != "current":
        raise typer.Exit(ExitCode.USAGE)


@app.command("upgrade")
def upgrade(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Bring the schema up to date (a SQLite database is backed up first)."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.database import upgrade_database

    result = upgrade_database(state.services(ctx))
    if as_json:
        emit_object(plain(result), as_json=True)
        return
    console = stderr_console()
    if not result.changed:
        console.print(f"Schema already at {result.to_revision}; nothing to do.")
        return
    console.print(f"Schema upgraded: {result.from_revision or 'empty'} → {result.to_revision}")
    if result.backup:
        console.print(f"Backup of the old database: {result.backup}")
