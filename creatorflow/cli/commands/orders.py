"""``creatorflow orders``: sync orders from TikTok Shop, list them, show one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import Column, CsvOption, JsonOption, emit_rows, plain

if TYPE_CHECKING:
    from creatorflow.services.orders import OrderDetail, OrderSummary

app = typer.Typer(help="TikTok Shop orders: sync, list, show.")

_LIST_COLUMNS = (
    Column("id", "Order", no_wrap=True),
    Column("status", "TikTok status"),
    Column("stage", "Stage"),
    Column("created_at", "Created"),
    Column("shipping_due_at", "Ship by"),
    Column("units", "Units", "right"),
    Column("total_amount", "Total", "right"),
    Column("currency", "Cur."),
)
_REASON = Column("reason", "Why held")


def _parse_time(value: str, option: str) -> datetime:
    from datetime import UTC

    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T08:00)",
            param_hint=option,
        ) from None
    # astimezone() reads a time without zone as the user's local time.
    return parsed.astimezone(UTC)


@app.command("sync")
def sync(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Read every order again, not only recent changes.")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Read orders updated since this ISO time.", metavar="ISO"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch new and changed orders from TikTok Shop into the local store."""
    from creatorflow.cli.output import print_json, stderr_console
    from creatorflow.cli.progress import progress_bar
    from creatorflow.services.order_sync import SyncProgress, sync_orders

    start = _parse_time(since, "--since") if since else None

    with progress_bar("Syncing orders") as advance:

        def report(step: SyncProgress) -> None:
            advance(step.orders, step.total, f"({step.shop}, page {step.pages})")

        summary = sync_orders(state.services(ctx), full=full, since=start, progress=report)
    if as_json:
        print_json(summary)
        return
    console = stderr_console()
    console.print(
        f"Orders: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.quarantined} quarantined ({summary.pages} page(s), {summary.shops} shop(s))."
    )
    if summary.quarantined:
        console.print(
            "[yellow]Some orders could not be read[/] and were kept aside with the reason; "
            "they are retried on the next sync once TikTok sends them whole."
        )


def _table_row(order: OrderSummary) -> dict[str, object]:
    from creatorflow.cli.output import when

    return {
        "id": order.id,
        "status": order.status,
        "stage": order.stage.value,
        "created_at": when(order.created_at),
        "shipping_due_at": when(order.shipping_due_at),
        "units": order.units,
        "total_amount": str(order.total_amount),
        "currency": order.currency,
        "reason": order.hold_reason or order.attention_reason,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Only orders in this stage (new, held, …).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only orders in this TikTok status.")
    ] = None,
    due_before: Annotated[
        str | None,
        typer.Option("--due-before", help="Only orders to ship before this time.", metavar="ISO"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many.")] = 50,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List orders, newest first."""
    from creatorflow.services.orders import list_orders, parse_stage

    orders = list_orders(
        state.services(ctx),
        stage=parse_stage(stage) if stage else None,
        status=status,
        due_before=_parse_time(due_before, "--due-before") if due_before else None,
        limit=limit,
    )
    machine = as_json or as_csv
    rows = [plain(order) if machine else _table_row(order) for order in orders]
    reasons = any(order.hold_reason or order.attention_reason for order in orders)
    emit_rows(
        rows,
        (*_LIST_COLUMNS, Column("hold_reason", "hold_reason"))
        if machine
        else (*_LIST_COLUMNS, _REASON)
        if reasons
        else _LIST_COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        empty="No orders match. Run `creatorflow orders sync` to fetch them.",
    )


def _detail(detail: OrderDetail) -> dict[str, object]:
    data: dict[str, object] = plain(detail.summary)
    data["lines"] = [
        {
            "sku_id": line.sku_id,
            "seller_sku": line.seller_sku,
            "product_name": line.product_name,
            "sku_name": line.sku_name,
            "units": line.units,
            "unit_price": plain(line.unit_price),
            "currency": line.currency,
        }
        for line in detail.lines
    ]
    data["address"] = plain(detail.address)
    data["buyer_message"] = detail.buyer_message
    data["events"] = plain(detail.events)
    data["shipments"] = plain(detail.shipments)
    return data


@app.command("show")
def show(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="TikTok order id.", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Show one order: lines, address (unless TikTok still masks it), events, labels."""
    from creatorflow.cli.output import emit_object, print_json, stdout_console
    from creatorflow.services.orders import show_order

    detail = show_order(state.services(ctx), order_id)
    data = _detail(detail)
    if as_json:
        print_json(data)
        return
    from creatorflow.cli.output import when

    summary = {key: value for key, value in data.items() if not isinstance(value, list | dict)}
    for key in ("created_at", "updated_at", "shipping_due_at"):
        summary[key] = when(getattr(detail.summary, key))
    address = detail.address
    summary["address"] = (
        "masked by TikTok until the order is ready to ship"
        if address is None
        else ", ".join(
            part
            for part in (
                address.name,
                *address.lines,
                address.city,
                address.state,
                address.postal_code,
                address.country_code,
            )
            if part
        )
    )
    emit_object(summary, title=f"Order {detail.summary.id}")
    stdout_console().print()
    emit_rows(
        data["lines"],  # type: ignore[arg-type]
        (
            Column("seller_sku", "SKU"),
            Column("product_name", "Product"),
            Column("sku_name", "Variant"),
            Column("units", "Units", "right"),
            Column("unit_price", "Unit price", "right"),
        ),
        title="Lines",
    )
    emit_rows(
        [plain(event) | {"at": when(event.at)} for event in detail.events],
        (
            Column("at", "When"),
            Column("actor", "Who"),
            Column("station", "Station"),
            Column("kind", "What"),
            Column("from_value", "From"),
            Column("to_value", "To"),
            Column("reason", "Why"),
        ),
        title="History",
    )
    if detail.shipments:
        emit_rows(
            data["shipments"],  # type: ignore[arg-type]
            (
                Column("provider", "Provider"),
                Column("carrier", "Carrier"),
                Column("service", "Service"),
                Column("tracking_number", "Tracking"),
                Column("cost", "Cost", "right"),
                Column("state", "State"),
            ),
            title="Labels",
        )
