"""The Orders screen's filters: stage, TikTok status, SKU, creation dates and a search box."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Select

from creatorflow.domain.stages import Stage
from creatorflow.services.order_browse import OrderFilter
from creatorflow.tui.messages import FiltersChanged

__all__ = ["STATUSES", "FilterBar", "parse_day"]

#: TikTok's order statuses (Order API 202309).
STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)


def parse_day(text: str) -> date | None:
    """``2026-11-26`` as a date; ``None`` for an empty box.

    Raises:
        ValueError: the text is not an ISO date.
    """
    cleaned = text.strip()
    return date.fromisoformat(cleaned) if cleaned else None


def _local_midnight(day: date) -> datetime:
    # astimezone() on a naive time reads it as the station's local time.
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


class FilterBar(Horizontal):
    """Posts :class:`FiltersChanged` when a choice changes or a box is submitted (Enter)."""

    DEFAULT_CSS = """
    FilterBar { height: auto; }
    FilterBar Select { width: 22; }
    FilterBar Input { width: 1fr; }
    FilterBar #search { width: 2fr; }
    """

    def compose(self) -> ComposeResult:
        """The choices and boxes, in reading order."""
        yield Select(
            [(stage.value, stage.value) for stage in Stage], prompt="any stage", id="stage"
        )
        yield Select([(s.lower(), s) for s in STATUSES], prompt="any status", id="status")
        yield Input(placeholder="SKU", id="sku")
        yield Input(placeholder="from YYYY-MM-DD", id="created_from")
        yield Input(placeholder="to YYYY-MM-DD", id="created_to")
        yield Input(placeholder="/ order id or buyer", id="search")

    def filters(self) -> OrderFilter:
        """The filters as they stand.

        Raises:
            ValueError: a date box holds something that is not a date.
        """
        stage = self.query_one("#stage", Select).value
        status = self.query_one("#status", Select).value
        start = parse_day(self.query_one("#created_from", Input).value)
        end = parse_day(self.query_one("#created_to", Input).value)
        return OrderFilter(
            stage=Stage(str(stage)) if stage is not Select.NULL else None,
            status=str(status) if status is not Select.NULL else None,
            sku=self.query_one("#sku", Input).value.strip() or None,
            created_from=_local_midnight(start) if start else None,
            created_before=_local_midnight(end + timedelta(days=1)) if end else None,
            search=self.query_one("#search", Input).value.strip() or None,
        )

    def _changed(self) -> None:
        try:
            chosen = self.filters()
        except ValueError:
            self.app.notify("Dates are written 2026-11-26.", title="Not a date", severity="error")
            return
        self.post_message(FiltersChanged(chosen))

    def on_select_changed(self, event: Select.Changed) -> None:
        """A choice changed: filter at once."""
        event.stop()
        self._changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A box was submitted with Enter."""
        event.stop()
        self._changed()

    def focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#search", Input).focus()

    def clear(self) -> None:
        """Empty every choice and box (posts one :class:`FiltersChanged`)."""
        with self.prevent(Select.Changed):
            for select in self.query(Select):
                select.clear()
        for box in self.query(Input):
            box.value = ""
        self._changed()

    def set_search(self, text: str) -> None:
        """Fill the search box and filter (used by tests and the command palette)."""
        self.query_one("#search", Input).value = text
        self._changed()
