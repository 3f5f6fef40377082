"""``creatorflow db``: the database schema, backups, and copying the store elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption, emit_object, plain

app = typer.Typer(help="The database: its schema, upgrades, backups, and moving it.")


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


@app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="The empty database to fill, e.g. postgresql+psycopg://user@host/creatorflow.",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Copy the whole store into an empty database (e.g. SQLite → PostgreSQL), then check it.

    The target is migrated to this version's schema first, every table is copied in one
    transaction, and the rows of each table are counted on both sides. A target that already
    holds CreatorFlow data is refused. The current store is only read: switch over afterwards
    with `config set database.url URL` (or CREATORFLOW_DATABASE_URL).
    """
    from creatorflow.cli.output import Column, emit_rows, print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.db_copy import copy_database

    with progress_bar("Copying") as advance:

        def report(table: str, done: int, total: int) -> None:
            advance(done, total, table)

        result = copy_database(state.services(ctx), to, progress=report)
    if as_json:
        print_json(result)
        return
    rows = [plain(table) for table in result.tables]
    columns = [
        Column("table", "Table"),
        Column("source_rows", "Source rows", justify="right"),
        Column("target_rows", "Copied rows", justify="right"),
    ]
    emit_rows(rows, columns)
    stderr_console().print(
        f"Copied {result.rows} row(s) in {len(result.tables)} table(s) at schema "
        f"{result.revision} in {result.seconds:.1f} s, from {result.source} to "
        f"{result.target}; every table's count matches.\n"
        f"Next, on each station: creatorflow config set database.url '{result.target}'"
    )


@app.command("backup")
def backup(
    ctx: typer.Context,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="FILE",
            help="A new file to write (default: a dated file in data/backups/).",
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the SQLite store while it is in use (SQLite's online backup; file mode 0600).

    A PostgreSQL store is backed up on the server instead, with pg_dump.
    """
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.database import backup_database

    result = backup_database(state.services(ctx), to)
    if as_json:
        emit_object(plain(result), as_json=True)
        return
    sys.stdout.write(f"{result.path}\n")
    stderr_console().print(
        f"Backed up {result.bytes} bytes (schema {result.revision or 'empty'}). "
        "To restore: stop CreatorFlow, delete creatorflow.db-wal and creatorflow.db-shm, and "
        "put this file in place of creatorflow.db."
    )
