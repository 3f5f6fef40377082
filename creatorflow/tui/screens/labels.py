"""Labels: today's batch (labels bought today, the station's local day), to print, reprint or
void."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Static

from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.formatting import money, short_when
from creatorflow.tui.messages import LabelsLoaded
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.key_bar import KeyBar

__all__ = ["LabelsScreen"]

#: The newest labels read to find today's: more than a station buys in a day.
RECENT = 2000


class LabelsScreen(DataScreen):
    """Today's labels, newest first; ``p`` prints the selected one again, ``b`` the batch."""

    SCOPE = "labels"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)
    AUTO_FOCUS = "#labels"

    def compose(self) -> ComposeResult:
        """Summary line and the table."""
        yield Header()
        yield Static("Reading the store…", id="labels-summary")
        table: DataTable[str | Text] = DataTable(id="labels", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeyBar(self.SCOPE)

    def on_mount(self) -> None:
        """Name the columns."""
        self.query_one("#labels", DataTable).add_columns(
            "Bought",
            "Order",
            "Provider",
            "Carrier",
            "Service",
            "Tracking",
            "Cost",
            "Label",
            "Order stage",
        )

    def reload(self) -> None:
        """Read today's labels again."""
        self._load(self.services, self.now().astimezone().date().isoformat())

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, day: str) -> None:
        from creatorflow.services.labels import list_labels

        labels = guarded(self, lambda: list_labels(services, limit=RECENT))
        if labels is not None:
            today = [lv for lv in labels if lv.created_at.astimezone().date().isoformat() == day]
            self.post_message(LabelsLoaded(day, today))

    def on_labels_loaded(self, message: LabelsLoaded) -> None:
        """Show the batch and what it cost."""
        table = self.query_one("#labels", DataTable)
        chosen = self.selected_order_id
        table.clear()
        spend: dict[str, Decimal] = {}
        for label in message.labels:
            table.add_row(
                short_when(label.created_at),
                label.order_id,
                label.provider,
                label.carrier or "",
                label.service or "",
                label.tracking_number or "",
                Text(money(label.cost, label.currency), justify="right"),
                label.state,
                label.order_stage,
                key=f"{label.order_id}/{label.generation}",
            )
            if label.cost is not None and label.state == "purchased":
                currency = label.currency or "USD"
                spend[currency] = spend.get(currency, Decimal(0)) + label.cost
        for index, label in enumerate(message.labels):
            if label.order_id == chosen:
                table.move_cursor(row=index, animate=False)
                break
        bought = sum(1 for label in message.labels if label.state == "purchased")
        cost = ", ".join(f"{amount} {currency}" for currency, amount in sorted(spend.items()))
        text = (
            f"Today ({message.day}): {len(message.labels)} label(s), {bought} to ship"
            f"{f', {cost}' if cost else ''}.   p prints the selected one (again), b the"
            " batch, v voids one."
        )
        self.query_one("#labels-summary", Static).update(Text(text))

    @property
    def selected_order_id(self) -> str | None:
        """The order of the label under the cursor."""
        table = self.query_one("#labels", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key).rsplit("/", 1)[0] if key else None
