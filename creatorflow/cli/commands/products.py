"""``creatorflow products``: products, SKUs and stock synced from TikTok Shop."""

from __future__ import annotations

from typing import Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows, plain

app = typer.Typer(help="Products and SKUs: sync from TikTok Shop, list with stock and parcels.")


@app.command("sync")
def sync(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Read every product again, not only recent changes.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch products, SKUs, prices and stock from TikTok Shop."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.product_sync import sync_products

    with progress_bar("Syncing products") as advance:
        summary = sync_products(
            state.services(ctx),
            full=full,
            progress=lambda done, total: advance(done, total, ""),
        )
    if as_json:
        print_json(summary)
        return
    stderr_console().print(
        f"Products: {summary.products} stored with {summary.skus} SKU(s), "
        f"{summary.quarantined} quarantined ({summary.pages} page(s))."
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """List every SKU with its price, stock, weight and box."""
    from creatorflow.services.product_sync import list_products

    rows = [plain(sku) for sku in list_products(state.services(ctx))]
    emit_rows(
        rows,
        (
            Column("seller_sku", "SKU", no_wrap=True),
            Column("title", "Product"),
            Column("name", "Variant"),
            Column("price", "Price", "right"),
            Column("currency", ""),
            Column("stock", "Stock", "right"),
            Column("weight", "Weight"),
            Column("dimensions", "Box"),
            Column("status", "Status"),
        ),
        as_json=as_json,
        as_csv=as_csv,
        empty="No products yet. Run `creatorflow products sync`.",
    )


@app.command("set-parcel")
def set_parcel(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="Seller SKU or TikTok SKU id.", show_default=False)],
    weight: Annotated[
        str | None, typer.Option("--weight", help="Weight of one unit, e.g. 12oz, 1.5lb, 500g.")
    ] = None,
    dims: Annotated[
        str | None, typer.Option("--dims", help="Size of one unit, e.g. 9x6x2in, 23x15x5cm.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="Box this SKU ships in (a preset name).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set a SKU's weight, size and box, used to build each order's parcel."""
    from creatorflow.cli.output import emit_object
    from creatorflow.services.parcels import set_parcel as store_parcel

    view = store_parcel(state.services(ctx), sku, weight=weight, dims=dims, preset=preset)
    emit_object(plain(view), as_json=as_json, title=f"SKU {view.seller_sku or view.sku_id}")
