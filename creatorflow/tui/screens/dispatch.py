"""Dispatch, the default screen: what needs doing, most urgent ship-by time first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, Label, Static

from creatorflow.domain.stages import Stage
from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.formatting import urgency
from creatorflow.tui.messages import DispatchLoaded
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.key_bar import KeyBar
from creatorflow.tui.widgets.order_table import OrderTable

__all__ = ["DispatchScreen"]

#: How often the countdowns are rewritten (they change by the minute).
TICK_SECONDS = 5.0
LIMIT = 500
#: The counts on the summary line, in the order work flows.
SUMMARY_WORDS = {
    Stage.NEW: "to approve",
    Stage.APPROVED: "queued",
    Stage.PURCHASING: "buying",
    Stage.LABELLED: "to print",
    Stage.SHIPPED: "to hand over",
    Stage.NEEDS_ATTENTION: "attention",
    Stage.HELD: "held",
}


class DispatchScreen(DataScreen):
    """Orders needing action with a live countdown to TikTok's ship-by time, and held ones."""

    SCOPE = "dispatch"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)
    AUTO_FOCUS = "#action"

    def compose(self) -> ComposeResult:
        """Summary line, the action table, the held table."""
        yield Header()
        yield Static("Reading the store…", id="summary")
        yield Label("Needs action, most urgent first", classes="section", id="action-title")
        yield OrderTable(("due", "id", "stage", "next", "buyer", "units", "total"), id="action")
        yield Label("Held", classes="section", id="held-title")
        yield OrderTable(("due", "id", "buyer", "reason"), id="held")
        yield KeyBar(self.SCOPE)

    def on_mount(self) -> None:
        """Keep the countdowns live."""
        self.set_interval(TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        now = self.now()
        for table in self.query(OrderTable):
            table.tick(now)

    def reload(self) -> None:
        """Read the board again."""
        self._load(self.services)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services) -> None:
        from creatorflow.services.order_browse import dispatch_board

        board = guarded(self, lambda: dispatch_board(services, limit=LIMIT))
        if board is not None:
            self.post_message(DispatchLoaded(board))

    def on_dispatch_loaded(self, message: DispatchLoaded) -> None:
        """Show the board."""
        board = message.board
        now = self.now()
        self.query_one("#action", OrderTable).show(board.action, now)
        self.query_one("#held", OrderTable).show(board.held, now)
        levels = [urgency(row.summary.shipping_due_at, now) for row in board.action]
        counts = board.counts
        parts = [f"{SUMMARY_WORDS[stage]} {counts.get(stage.value, 0)}" for stage in SUMMARY_WORDS]
        summary = (
            " · ".join(parts)
            + f"   |   overdue {levels.count('overdue')} · at risk {levels.count('at_risk')}"
        )
        self.query_one("#summary", Static).update(Text(summary))
        shown = len(board.action)
        title = "Needs action, most urgent first"
        if board.action_total > shown:
            title += f" (the first {shown} of {board.action_total:,}; all are under Orders)"
        self.query_one("#action-title", Label).update(Text(title))
        self.query_one("#held-title", Label).update(f"Held ({len(board.held)})")

    @property
    def selected_order_id(self) -> str | None:
        """The order under the cursor of the focused table (the action table otherwise)."""
        focused = self.focused
        table = (
            focused if isinstance(focused, OrderTable) else self.query_one("#action", OrderTable)
        )
        return table.selected_order_id
