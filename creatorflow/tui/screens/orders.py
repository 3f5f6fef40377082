"""Orders: every order, a page at a time, filtered by stage, status, SKU, date or a search."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, Select, Static

from creatorflow.services.context import Services
from creatorflow.services.order_browse import OrderFilter, OrderPage
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.messages import FiltersChanged, OrdersLoaded, PageEdge
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.filter_bar import FilterBar
from creatorflow.tui.widgets.key_bar import KeyBar
from creatorflow.tui.widgets.order_table import OrderTable

__all__ = ["PAGE", "OrdersScreen"]

#: Orders per page: a few screens' worth, so paging is rare and each page reads fast.
PAGE = 100


class OrdersScreen(DataScreen):
    """A page of orders (never all of them), last changed first."""

    SCOPE = "orders"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)
    AUTO_FOCUS = "#orders"

    def __init__(self) -> None:
        super().__init__()
        self.order_filter = OrderFilter()
        self.page_offset = 0
        self.page_total = 0
        self._cursor_to_end = False
        self._focus_list = False

    def compose(self) -> ComposeResult:
        """Filters, the table, the page line."""
        yield Header()
        yield FilterBar()
        yield OrderTable(
            ("id", "created", "updated", "stage", "status", "buyer", "units", "total"),
            id="orders",
        )
        yield Static("", id="pager")
        yield KeyBar(self.SCOPE)

    def reload(self) -> None:
        """Read the current page again (in a worker)."""
        self._load(self.services, self.order_filter, self.page_offset)

    def _read(self) -> None:
        """Read the current page for new filters or a turned page: at once when an index
        answers in a few milliseconds, else in a worker.

        Handing a read to a worker thread costs a frame or two on a busy CPU (the thread
        waits for the interpreter while the UI draws, and the page then waits for the next
        frame): more than the query itself for a stage, a status or an order id.
        """
        from creatorflow.services.order_browse import order_page, page_is_quick

        services, filters, offset = self.services, self.order_filter, self.page_offset
        if not page_is_quick(services, filters):
            self._load(services, filters, offset)
            return
        # A slower read still running for older filters is dropped when it lands.
        page = guarded(self, lambda: order_page(services, filters, offset=offset, limit=PAGE))
        if page is not None:
            self._show(page)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, filters: OrderFilter, offset: int) -> None:
        from creatorflow.services.order_browse import order_page

        page = guarded(self, lambda: order_page(services, filters, offset=offset, limit=PAGE))
        if page is not None:
            self.post_message(OrdersLoaded(page, filters))

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        """Show a page, unless the filters or the page changed since it was asked for."""
        if message.filters == self.order_filter and message.page.offset == self.page_offset:
            self._show(message.page)

    def _show(self, page: OrderPage) -> None:
        self.page_total = page.total
        table = self.query_one("#orders", OrderTable)
        table.show(page.rows, self.now(), keep_cursor=False)
        if self._cursor_to_end and page.rows:
            table.move_cursor(row=len(page.rows) - 1)
        self._cursor_to_end = False
        if self._focus_list:
            # Moved only now: a change of focus drawn before the page came would make the
            # page wait for the frame after (16 to 33 ms later).
            self._focus_list = False
            focused = self.focused
            if focused is None or self.query_one(FilterBar) in focused.ancestors:
                table.focus()
        if page.rows:
            first, last = page.offset + 1, page.offset + len(page.rows)
            text = f"Orders {first:,} to {last:,} of {page.total:,}"
            pages = (page.total + PAGE - 1) // PAGE
            text += f", last changed first · page {page.offset // PAGE + 1:,} of {pages:,}"
        else:
            text = "No orders match these filters (x clears them)."
        # One line whatever it says: no layout of the screen for it.
        self.query_one("#pager", Static).update(text, layout=False)

    def on_filters_changed(self, message: FiltersChanged) -> None:
        """New filters: back to the first page."""
        self.order_filter = message.filters
        self.page_offset = 0
        self._focus_list = True
        self._read()

    def _turn(self, step: int) -> None:
        offset = self.page_offset + step * PAGE
        if offset < 0 or offset >= max(self.page_total, 1):
            return
        self.page_offset = offset
        self._cursor_to_end = step < 0
        self._read()

    def on_page_edge(self, message: PageEdge) -> None:
        """The cursor ran off the page: turn it."""
        self._turn(message.step)

    def action_next_page(self) -> None:
        """``]``: the next page."""
        self._turn(+1)

    def action_previous_page(self) -> None:
        """``[``: the previous page."""
        self._turn(-1)

    def action_filters(self) -> None:
        """``f``: move to the first filter."""
        self.query_one(FilterBar).query_one(Select).focus()

    def action_clear_filters(self) -> None:
        """``x``: every order again."""
        self.query_one(FilterBar).clear()

    def focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one(FilterBar).focus_search()

    def search(self, text: str) -> None:
        """Search for ``text`` (an order id prefix or part of a buyer's name)."""
        self.query_one(FilterBar).set_search(text)

    @property
    def selected_order_id(self) -> str | None:
        """The order under the table's cursor."""
        return self.query_one("#orders", OrderTable).selected_order_id
