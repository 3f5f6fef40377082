"""Pilot tests of moving around: pages, the order screen, the palette, help, the daemon poll."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Select, Static

from creatorflow.domain.stages import Actor, Stage
from creatorflow.services.approval import approve_orders
from creatorflow.services.context import Services
from creatorflow.services.daemon_runs import finish_job_run, start_job_run
from creatorflow.services.orders import show_order
from creatorflow.tui import CreatorflowApp, make_app
from creatorflow.tui.commands import COMMANDS, bindings
from creatorflow.tui.screens import orders as orders_screen
from creatorflow.tui.screens.dialogs import HelpScreen
from creatorflow.tui.screens.order import MASKED, OrderScreen
from creatorflow.tui.screens.orders import OrdersScreen
from creatorflow.tui.widgets.order_table import OrderTable
from tests.tui.conftest import fixed_clock, settle
from tests.tui.data import APPROVABLE, HELD, NOW, OVERDUE
from tests.tui.data import MASKED as MASKED_ORDER


def _text(static: Static) -> str:
    return str(static.render())


async def test_orders_are_read_a_page_at_a_time(
    app: CreatorflowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders_screen, "PAGE", 10)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        table = screen.query_one("#orders", OrderTable)
        pager = screen.query_one("#pager", Static)
        assert table.row_count == 10
        assert _text(pager).startswith("Orders 1 to 10 of 33")
        first_page = table.order_ids

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert _text(pager).startswith("Orders 11 to 20 of 33")
        assert table.cursor_row == 0
        await pilot.press("up")  # off the top: the previous page, cursor on its last row
        await settle(pilot)
        assert table.order_ids == first_page
        assert table.cursor_row == 9
        await pilot.press("down")  # off the bottom: the next page again
        await settle(pilot)
        assert _text(pager).startswith("Orders 11 to 20 of 33")

        screen.query_one("#stage", Select).value = "held"
        await settle(pilot)
        assert table.order_ids == [HELD]
        await pilot.press("x")
        await settle(pilot)
        assert _text(pager).startswith("Orders 1 to 10 of 33")


async def test_enter_opens_the_order_and_escape_goes_back(app: CreatorflowApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#action", OrderTable)
        table.move_cursor(row=table.order_ids.index(MASKED_ORDER))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrderScreen)
        assert screen.order_id == MASKED_ORDER
        assert _text(screen.query_one("#address", Static)) == MASKED
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#action", OrderTable).selected_order_id == MASKED_ORDER


async def test_the_order_screen_shows_the_address_lines_and_actions_apply_to_it(
    app: CreatorflowApp, services: Services
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrderScreen)
        assert screen.order_id == APPROVABLE
        assert "Ada Lovelace\n1 Congress Ave" in _text(screen.query_one("#address", Static))
        assert screen.query_one("#lines", DataTable).get_row_at(0)[0] == "MUG-01"
        await pilot.press("a")
        await settle(pilot)
        assert show_order(services, APPROVABLE).summary.stage is Stage.APPROVED
        timeline = screen.query_one("#events", DataTable)
        assert [timeline.get_row_at(i)[1:5] for i in range(timeline.row_count)] == [
            ["tui", "stage", "new", "approved"]
        ]


async def test_every_command_is_in_the_palette(app: CreatorflowApp, services: Services) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"approve")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert show_order(services, OVERDUE).summary.stage is Stage.APPROVED


def test_keys_are_declared_once() -> None:
    keys = [(command.scope, command.key) for command in COMMANDS]
    assert len(keys) == len(set(keys))
    app_keys = {binding.key for binding in bindings("app")}  # type: ignore[union-attr]
    assert {"a", "h", "p", "v", "slash", "r", "question_mark", "q"} <= app_keys
    for scope in ("orders", "labels", "reports", "order"):
        screen_keys = {binding.key for binding in bindings(scope)}  # type: ignore[union-attr]
        assert not screen_keys & app_keys, scope


async def test_help_lists_every_command(app: CreatorflowApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(COMMANDS)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_daemon_activity_is_picked_up_by_the_poll(services: Services) -> None:
    app = make_app(services, clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if app.sub_title:
                break
            await pilot.pause(0.05)
        assert app.sub_title == "daemon not running"
        # The daemon (another process) approves an order and records its run.
        approve_orders(services, [APPROVABLE], actor=Actor.DAEMON, now=NOW)
        run = start_job_run(services, "approve_orders", "packing-1", now=NOW)
        finish_job_run(services, run, outcome="ok", now=NOW)
        table = app.screen.query_one("#action", OrderTable)
        for _ in range(100):
            await pilot.pause(0.05)
            if "label queued" in table.line(APPROVABLE):
                break
        assert "label queued" in table.line(APPROVABLE)
