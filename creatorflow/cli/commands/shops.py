"""``creatorflow shops``: the TikTok shops CreatorFlow works for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows

if TYPE_CHECKING:
    from creatorflow.services.tiktok_connection import ShopView

app = typer.Typer(help="The TikTok shops CreatorFlow is authorised for.")

_COLUMNS = (
    Column("id", "Shop id", no_wrap=True),
    Column("name", "Name"),
    Column("region", "Region"),
    Column("active", "Active"),
    Column("access_token_expires_at", "Token renews by"),
    Column("refresh_token_expires_at", "Authorization ends"),
)


def show_shops(shops: Sequence[ShopView], *, as_json: bool, as_csv: bool = False) -> None:
    """Print shops as a table, JSON or CSV."""
    from creatorflow.cli.output import plain, when

    machine = as_json or as_csv
    rows = [
        plain(shop)
        | {"active": shop.active}
        | (
            {}
            if machine
            else {
                "access_token_expires_at": when(shop.access_token_expires_at),
                "refresh_token_expires_at": when(shop.refresh_token_expires_at),
            }
        )
        for shop in shops
    ]
    emit_rows(
        rows,
        _COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        empty="No shop is connected yet: run `creatorflow connect tiktok`.",
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """List connected shops and when their authorization runs out."""
    from creatorflow.services.tiktok_connection import list_shops

    show_shops(list_shops(state.services(ctx)), as_json=as_json, as_csv=as_csv)
