"""Order: one order in full: lines, address (unless TikTok masks it), timeline, labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Label, Static

from creatorflow.services.context import Services
from creatorflow.services.orders import AddressView, OrderDetail
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.formatting import NEXT_STEP, countdown, money, next_step, when
from creatorflow.tui.messages import OrderLoaded
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.key_bar import KeyBar

__all__ = ["MASKED", "OrderScreen", "address_text", "fill"]

#: What is shown instead of an address TikTok still masks (as ``orders show`` says it).
MASKED = "masked by TikTok until the order is ready to ship"


def address_text(address: AddressView | None) -> str:
    """The address on a few lines, or :data:`MASKED`."""
    if address is None:
        return MASKED
    place = " ".join(part for part in (address.city, address.state, address.postal_code) if part)
    lines = [address.name, *address.lines, place, address.country_code, address.phone]
    return "\n".join(line for line in lines if line)


def fill(table: DataTable[str], columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Replace a table's columns and rows at once (its widths are measured once, from both)."""
    table.clear(columns=True)
    table.add_columns(*columns)
    table.add_rows(rows)


class OrderScreen(DataScreen):
    """Pushed over a list when an order is opened; Escape goes back."""

    SCOPE = "order"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)

    def __init__(self, order_id: str) -> None:
        super().__init__()
        self.order_id = order_id

    def compose(self) -> ComposeResult:
        """Summary and address side by side, then lines, timeline and labels."""
        yield Header()
        with VerticalScroll():
            yield Static(f"Order {self.order_id}: reading…", id="order-summary")
            yield Label("Ship to", classes="section")
            yield Static("", id="address")
            yield Label("Lines", classes="section")
            yield DataTable(id="lines", cursor_type="none")
            yield Label("Timeline", classes="section")
            yield DataTable(id="events", cursor_type="none")
            yield Label("Labels and tracking", classes="section")
            yield DataTable(id="shipments", cursor_type="none")
        yield KeyBar(self.SCOPE)

    def reload(self) -> None:
        """Read the order again."""
        self._load(self.services, self.order_id)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, order_id: str) -> None:
        from creatorflow.services.orders import show_order

        detail = guarded(self, lambda: show_order(services, order_id))
        if detail is not None:
            self.post_message(OrderLoaded(detail))

    def on_order_loaded(self, message: OrderLoaded) -> None:
        """Fill every part."""
        detail = message.detail
        self.query_one("#order-summary", Static).update(Text(self._summary(detail)))
        self.query_one("#address", Static).update(Text(address_text(detail.address)))
        fill(
            self.query_one("#lines", DataTable),
            ("SKU", "Product", "Variant", "Units", "Price"),
            [
                (
                    line.seller_sku or line.sku_id,
                    line.product_name,
                    line.sku_name or "",
                    str(line.units),
                    money(line.unit_price, line.currency),
                )
                for line in detail.lines
            ],
        )
        fill(
            self.query_one("#events", DataTable),
            ("When", "Who", "What", "From", "To", "Why"),
            [
                (
                    when(event.at),
                    event.actor,
                    event.kind,
                    event.from_value or "",
                    event.to_value or "",
                    event.reason or "",
                )
                for event in detail.events
            ]
            or [("no events yet", "", "", "", "", "")],
        )
        fill(
            self.query_one("#shipments", DataTable),
            ("Bought", "Provider", "Carrier", "Service", "Tracking", "Cost", "State"),
            [
                (
                    when(shipment.created_at),
                    shipment.provider,
                    shipment.carrier or "",
                    shipment.service or "",
                    shipment.tracking_number or "",
                    money(shipment.cost, shipment.currency),
                    shipment.state,
                )
                for shipment in detail.shipments
            ]
            or [("no label yet", "", "", "", "", "", "")],
        )

    def _summary(self, detail: OrderDetail) -> str:
        summary = detail.summary
        if summary.stage in NEXT_STEP:
            left = countdown(summary.shipping_due_at, self.now(), {}).plain
        else:
            left = f"dispatch {(summary.dispatch_state or 'not judged').replace('_', ' ')}"
        rows = [
            f"Order {summary.id}   stage {summary.stage.value}   TikTok {summary.status}",
            f"Next: {next_step(summary.stage, summary.status)}",
            f"Created {when(summary.created_at)}   ship by {when(summary.shipping_due_at)}"
            f" ({left})",
            f"{summary.units} unit(s), {money(summary.total_amount, summary.currency)}",
        ]
        reason = summary.hold_reason or summary.attention_reason
        if reason:
            rows.append(f"Why {summary.stage.value.replace('_', ' ')}: {reason}")
        if summary.buyer_cancel_requested:
            rows.append("The buyer asked to cancel.")
        if detail.buyer_message:
            rows.append(f"Buyer's message: {detail.buyer_message}")
        return "\n".join(rows)

    @property
    def selected_order_id(self) -> str | None:
        """This order."""
        return self.order_id
