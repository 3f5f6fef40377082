"""A list of orders: shows the rows it is given, reports the one chosen, never reads the store.

Each order is one pre-formatted line, rendered once into a strip and then only cropped and
styled: Textual's ``DataTable`` renders every visible cell again after each new page, which
took ~40 ms a screen here, too slow for the 50 ms keypress budget (``bench/tui.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from creatorflow.tui.formatting import countdown, money, next_step, short_status, short_when
from creatorflow.tui.messages import OrderChosen, PageEdge

if TYPE_CHECKING:
    from creatorflow.services.order_browse import OrderRow

__all__ = ["COLUMNS", "Column", "OrderTable", "format_row"]

GAP = "  "
Colours = dict[str, str]


class Column(NamedTuple):
    """A column: its title, width, alignment and how a cell is written."""

    title: str
    width: int
    cell: Callable[[OrderRow, datetime, Colours], str | Text]
    right: bool = False


def _buyer(row: OrderRow, now: datetime, colours: Colours) -> str | Text:
    return row.buyer if row.buyer is not None else Text("masked", style="dim")


def _reason(row: OrderRow, now: datetime, colours: Colours) -> str:
    return row.summary.hold_reason or row.summary.attention_reason or ""


#: Every column an order list can show.
COLUMNS: dict[str, Column] = {
    "due": Column("Ship by", 15, lambda r, now, c: countdown(r.summary.shipping_due_at, now, c)),
    "id": Column("Order", 18, lambda r, now, c: r.id),
    "created": Column("Created", 14, lambda r, now, c: short_when(r.summary.created_at)),
    "updated": Column("Last change", 14, lambda r, now, c: short_when(r.summary.updated_at)),
    "stage": Column("Stage", 15, lambda r, now, c: r.summary.stage.value),
    "status": Column("TikTok", 10, lambda r, now, c: short_status(r.summary.status)),
    "next": Column("Next", 18, lambda r, now, c: next_step(r.summary.stage, r.summary.status)),
    "buyer": Column("Buyer", 16, _buyer),
    "units": Column("Qty", 4, lambda r, now, c: str(r.summary.units), right=True),
    "total": Column(
        "Total", 12, lambda r, now, c: money(r.summary.total_amount, r.summary.currency), True
    ),
    "reason": Column("Why", 58, _reason),
}


def _fit(value: str | Text, width: int, right: bool) -> Text:
    text = value.copy() if isinstance(value, Text) else Text(value)
    if len(text) > width:
        text.truncate(width - 1)
        text.append("…")
    padding = " " * (width - len(text))
    return Text.assemble(padding, text) if right else Text.assemble(text, padding)


def format_row(keys: Iterable[str], row: OrderRow, now: datetime, colours: Colours) -> Text:
    """One order as one line of fixed-width columns."""
    cells = [_fit(COLUMNS[k].cell(row, now, colours), COLUMNS[k].width, COLUMNS[k].right)
             for k in keys]  # fmt: skip
    return Text(" ").append_text(Text(GAP).join(cells))


class OrderTable(ScrollView, can_focus=True):
    """Orders, one per line under a header, with a cursor; ``columns`` names :data:`COLUMNS`.

    Enter (or a click on the row under the cursor) posts :class:`OrderChosen`; moving down
    from the last row or up from the first posts :class:`PageEdge`, so a paged list can turn
    the page.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "order-table--header",
        "order-table--cursor",
        "order-table--even-row",
    }
    DEFAULT_CSS = """
    OrderTable {
        height: 1fr;
        background: $surface;
        & > .order-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .order-table--even-row { background: $surface-lighten-1 50%; }
        & > .order-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .order-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    def __init__(self, columns: Iterable[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys = tuple(columns)
        self._orders: list[OrderRow] = []
        self._now: datetime | None = None
        # Lines are formatted when first drawn: a page holds more rows than a screen shows.
        self._lines: dict[int, Text] = {}
        self._strips: dict[int, Strip] = {}
        cells = [_fit(COLUMNS[k].title, COLUMNS[k].width, COLUMNS[k].right) for k in self._keys]
        self._header = Text(" ").append_text(Text(GAP).join(cells))
        self._header_strip: Strip | None = None

    # -- data ---------------------------------------------------------------------------------

    def _colours(self) -> Colours:
        theme = self.app.theme_variables
        return {
            "overdue": f"bold {theme.get('error', '')}",
            "at_risk": theme.get("warning", ""),
            "soon": theme.get("text-accent", ""),
        }

    def _strip(self, line: Text) -> Strip:
        return Strip(list(line.render(self.app.console, end="")), line.cell_len)

    def show(self, rows: Iterable[OrderRow], now: datetime, *, keep_cursor: bool = True) -> None:
        """Replace the rows; the cursor stays on the same order when it is still listed."""
        chosen = self.selected_order_id if keep_cursor else None
        self._orders = list(rows)
        self._now = now
        self._lines = {}
        self._strips = {}
        self.virtual_size = Size(self._header.cell_len, len(self._orders) + 1)
        ids = self.order_ids
        self.cursor_row = ids.index(chosen) if chosen in ids else 0
        self.refresh()

    def _line(self, index: int) -> Text:
        line = self._lines.get(index)
        if line is None:
            now = self._now or datetime.now().astimezone()
            line = format_row(self._keys, self._orders[index], now, self._colours())
            self._lines[index] = line
        return line

    def tick(self, now: datetime) -> None:
        """Rewrite the lines whose countdown changed since they were drawn."""
        if "due" not in self._keys:
            return
        self._now = now
        colours = self._colours()
        changed = False
        for index in list(self._lines):
            line = format_row(self._keys, self._orders[index], now, colours)
            if line.plain != self._lines[index].plain:
                self._lines[index] = line
                self._strips.pop(index, None)
                changed = True
        if changed:
            self.refresh()

    @property
    def row_count(self) -> int:
        """How many orders are listed."""
        return len(self._orders)

    @property
    def order_ids(self) -> list[str]:
        """The listed orders' ids, top to bottom."""
        return [row.id for row in self._orders]

    def line(self, order_id: str) -> str:
        """An order's line as plain text."""
        return self._line(self.order_ids.index(order_id)).plain

    @property
    def selected_order_id(self) -> str | None:
        """The order under the cursor, if any."""
        if not self._orders:
            return None
        return self._orders[min(self.cursor_row, len(self._orders) - 1)].id

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on a row (clamped to the list)."""
        self.cursor_row = max(0, min(row, len(self._orders) - 1))

    # -- drawing ------------------------------------------------------------------------------

    def watch_cursor_row(self, row: int) -> None:
        """Keep the cursor's row in view."""
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The header on the first line, then the orders from the scroll position."""
        width = self.size.width
        scroll_x, scroll_y = (int(v) for v in self.scroll_offset)
        if y == 0:
            if self._header_strip is None:
                self._header_strip = self._strip(self._header)
            strip = self._header_strip
            style = self.get_component_rich_style("order-table--header")
        else:
            index = scroll_y + y - 1
            if index >= len(self._orders):
                return Strip.blank(width, self.rich_style)
            cached = self._strips.get(index)
            if cached is None:
                cached = self._strips[index] = self._strip(self._line(index))
            strip = cached
            if index == self.cursor_row:
                style = self.get_component_rich_style("order-table--cursor")
            elif index % 2:
                style = self.rich_style + self.get_component_rich_style("order-table--even-row")
            else:
                style = self.rich_style
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width).apply_style(style)

    # -- keys and mouse -----------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Down a row, or ask for the next page from the last row."""
        if self._orders and self.cursor_row >= len(self._orders) - 1:
            self.post_message(PageEdge(+1))
        elif self._orders:
            self.cursor_row += 1

    def action_cursor_up(self) -> None:
        """Up a row, or ask for the previous page from the first row."""
        if self._orders and self.cursor_row <= 0:
            self.post_message(PageEdge(-1))
        elif self._orders:
            self.cursor_row -= 1

    def action_page_down(self) -> None:
        """A screenful down."""
        self.move_cursor(row=self.cursor_row + max(1, self.size.height - 2))

    def action_page_up(self) -> None:
        """A screenful up."""
        self.move_cursor(row=self.cursor_row - max(1, self.size.height - 2))

    def action_first(self) -> None:
        """The first row."""
        self.move_cursor(row=0)

    def action_last(self) -> None:
        """The last row."""
        self.move_cursor(row=len(self._orders) - 1)

    def action_choose(self) -> None:
        """Enter: open the order under the cursor."""
        chosen = self.selected_order_id
        if chosen is not None:
            self.post_message(OrderChosen(chosen))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a click on the cursor's row opens the order."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self._orders):
            if index == self.cursor_row:
                self.action_choose()
            self.cursor_row = index
