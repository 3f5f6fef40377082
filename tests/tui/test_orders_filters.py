"""The Orders screen's filters: the quick ones are read at once on the UI thread, the others in
a worker; either way the page shows and the cursor lands in the list."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from creatorflow.domain.stages import Stage
from creatorflow.services import order_browse
from creatorflow.services.context import Services
from creatorflow.services.order_browse import OrderFilter, OrderPage, page_is_quick
from creatorflow.tui import CreatorflowApp
from creatorflow.tui.screens.orders import OrdersScreen
from creatorflow.tui.widgets.order_table import OrderTable
from tests.tui.conftest import settle
from tests.tui.data import APPROVED, HELD, SHIPPED


@pytest.mark.parametrize(
    ("filters", "quick"),
    [
        (OrderFilter(), True),
        (OrderFilter(stage=Stage.HELD), True),
        (OrderFilter(status="COMPLETED"), True),
        (OrderFilter(search="5760"), True),
        (OrderFilter(stage=Stage.NEW, status="AWAITING_SHIPMENT"), False),
        (OrderFilter(sku="MUG-01"), False),
        (OrderFilter(created_from=datetime(2026, 11, 1, tzinfo=UTC)), False),
        (OrderFilter(created_before=datetime(2026, 11, 1, tzinfo=UTC)), False),
        (OrderFilter(search="hedy"), False),
    ],
)
def test_page_is_quick_only_for_one_indexed_filter(
    services: Services, filters: OrderFilter, quick: bool
) -> None:
    assert page_is_quick(services, filters) is quick


async def _orders(app: CreatorflowApp, pilot: Pilot[None]) -> OrdersScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, OrdersScreen)
    return screen


async def test_a_stage_is_shown_without_a_worker(app: CreatorflowApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _orders(app, pilot)
        table = screen.query_one("#orders", OrderTable)
        loads = len([w for w in app.workers if w.group == "load"])
        select = screen.query_one("#stage", Select)
        select.focus()
        select.value = "held"
        await pilot.pause()
        # Read in the handler of the change itself: no worker, the page is there already.
        assert len([w for w in app.workers if w.group == "load"]) == loads
        assert table.order_ids == [HELD]
        assert screen.focused is table


async def test_a_sku_is_read_in_a_worker_and_the_cursor_follows_the_page(
    app: CreatorflowApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _orders(app, pilot)
        table = screen.query_one("#orders", OrderTable)
        box = screen.query_one("#sku", Input)
        box.focus()
        await pilot.press(*"TEE-M", "enter")
        await settle(pilot)
        assert {APPROVED, SHIPPED} <= set(table.order_ids)
        assert screen.focused is table
        assert str(screen.query_one("#pager").render()).startswith("Orders 1 to ")


async def test_a_stale_worker_page_does_not_replace_a_quick_one(
    app: CreatorflowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SKU read still running when a stage is chosen is dropped when it lands."""
    release = threading.Event()
    read = order_browse.order_page

    def slow_for_skus(services: Services, filters: OrderFilter, **kwargs: Any) -> OrderPage:
        if filters.sku:
            release.wait(10)
        return read(services, filters, **kwargs)

    monkeypatch.setattr(order_browse, "order_page", slow_for_skus)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _orders(app, pilot)
        table = screen.query_one("#orders", OrderTable)
        sku = screen.query_one("#sku", Input)
        sku.value = "TEE-M"
        sku.focus()
        await pilot.press("enter")  # the worker starts and waits…
        sku.value = ""
        screen.query_one("#stage", Select).value = "held"  # …a quick filter is shown…
        await pilot.pause()
        assert table.order_ids == [HELD]
        release.set()  # …and then the SKU's page lands
        await settle(pilot)
        assert table.order_ids == [HELD]
