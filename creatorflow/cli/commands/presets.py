"""``creatorflow presets``: named boxes (empty weight and inside size)."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows, plain

app = typer.Typer(help="Named boxes that orders are packed in.")

_COLUMNS = (Column("name", "Box"), Column("weight", "Empty weight"), Column("dimensions", "Size"))


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """List box presets."""
    from creatorflow.services.parcels import list_presets

    rows = [plain(preset) for preset in list_presets(state.services(ctx))]
    emit_rows(
        rows,
        _COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        empty="No box presets yet: add one with `creatorflow presets add`.",
    )


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the box, e.g. mailer-s.")],
    weight: Annotated[str, typer.Option("--weight", help="Empty box weight, e.g. 2oz.")],
    dims: Annotated[str, typer.Option("--dims", help="Inside size, e.g. 10x8x4in.")],
    as_json: JsonOption = False,
) -> None:
    """Add a box preset (or change the one with this name)."""
    from creatorflow.cli.output import emit_object
    from creatorflow.services.parcels import add_preset

    preset = add_preset(state.services(ctx), name, weight=weight, dims=dims)
    emit_object(plain(preset), as_json=as_json, title=f"Box {preset.name}")
