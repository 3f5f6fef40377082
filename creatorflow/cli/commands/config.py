"""``creatorflow config``: show, read and change settings."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_object, emit_rows, plain

app = typer.Typer(help="Show and change settings (config.toml and CREATORFLOW_* variables).")

KeyArg = Annotated[str, typer.Argument(help="Dotted key, e.g. labels.format.", show_default=False)]

_COLUMNS = (
    Column("key", "Key"),
    Column("value", "Value"),
    Column("source", "Source"),
    Column("origin", "From"),
)


@app.command("show")
def show(
    ctx: typer.Context,
    changed: Annotated[
        bool, typer.Option("--changed", help="Only keys set in the file or environment.")
    ] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Print every setting, its value and where the value came from."""
    from creatorflow.services.configuration import show_settings

    views = show_settings(state.services(ctx), changed_only=changed)
    rows = [plain(view) for view in views]
    emit_rows(rows, _COLUMNS, as_json=as_json, as_csv=as_csv, empty="Every key has its default.")


@app.command("get")
def get(ctx: typer.Context, key: KeyArg, as_json: JsonOption = False) -> None:
    """Print one setting's value (raw, for scripts), or all about it with --json."""
    from creatorflow.services.configuration import get_setting

    view = get_setting(state.services(ctx), key)
    if as_json:
        emit_object(plain(view), as_json=True)
        return
    value = plain(view.value)
    typer.echo(str(value).lower() if isinstance(value, bool) else value)


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The new value.", show_default=False)],
) -> None:
    """Validate a value and store it in config.toml (nothing changes if it is invalid)."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.configuration import set_setting

    result = set_setting(state.services(ctx), key, value)
    console = stderr_console()
    console.print(f"Set [bold]{result.setting.key}[/] = {plain(result.setting.value)!r}")
    if result.overridden_by:
        console.print(
            f"[yellow]Note:[/] {result.overridden_by} is set in the environment and still wins."
        )


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArg) -> None:
    """Remove a key from config.toml so its default applies again."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.configuration import unset_setting

    view = unset_setting(state.services(ctx), key)
    stderr_console().print(f"{view.key} is now {plain(view.value)!r} ({view.source})")


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where config.toml lives."""
    typer.echo(str(state.services(ctx).paths.config_file))
