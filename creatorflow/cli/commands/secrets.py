"""``creatorflow secrets``: API keys and tokens, kept out of the config file and the database."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows, plain

app = typer.Typer(help="Store API keys and tokens (names and backends are shown, never values).")

NameArg = Annotated[
    str, typer.Argument(help="Secret name, e.g. shippo_api_key.", show_default=False)
]


@app.command("set")
def set_(
    ctx: typer.Context,
    name: NameArg,
    from_stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the value from standard input (for scripts).")
    ] = False,
) -> None:
    """Store a secret; the value is asked for with a hidden prompt, or read with --stdin."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.errors import UsageError
    from creatorflow.services.credentials import secret_env_var, store_secret

    if from_stdin:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    elif state.stdin_is_terminal():
        value = typer.prompt(f"Value for {name}", hide_input=True, prompt_suffix=": ")
    else:
        raise UsageError(
            "No terminal to ask for the secret.",
            hint=f"Pipe it in: `... | creatorflow secrets set {name} --stdin`, or set the "
            f"environment variable {secret_env_var(name)}.",
        )
    stored = store_secret(state.services(ctx), name, value)
    console = stderr_console()
    console.print(f"Stored [bold]{name}[/] in {stored.backend}.")
    if stored.shadowed:
        console.print(f"[yellow]Note:[/] {stored.answered_by} still answers for {name} first.")


@app.command("delete")
def delete(ctx: typer.Context, name: NameArg) -> None:
    """Delete a secret from every backend that can forget it."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.credentials import delete_secret

    result = delete_secret(state.services(ctx), name)
    console = stderr_console()
    if result.deleted_from:
        console.print(f"Deleted [bold]{name}[/] from {', '.join(result.deleted_from)}.")
    else:
        console.print(f"[bold]{name}[/] was not stored in any writable backend.")
    if result.still_in:
        console.print(f"[yellow]Still set in {', '.join(result.still_in)}[/]: remove it there too.")


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """List secret names, whether each is set, and which backend answers (never values)."""
    from creatorflow.services.credentials import list_secrets

    rows = [plain(entry) for entry in list_secrets(state.services(ctx))]
    columns = (
        Column("name", "Name"),
        Column("set", "Set"),
        Column("source", "Backend"),
        Column("description", "What it is"),
    )
    emit_rows(rows, columns, as_json=as_json, as_csv=as_csv)


@app.command("backends")
def backends(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the secret backends in the order they are asked, and which one stores new secrets."""
    from creatorflow.services.credentials import secret_backends

    rows = [plain(info) for info in secret_backends(state.services(ctx))]
    columns = (
        Column("name", "Backend"),
        Column("available", "Available"),
        Column("writable", "Writable"),
        Column("detail", "Detail"),
    )
    emit_rows(rows, columns, as_json=as_json)
