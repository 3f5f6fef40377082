"""Pilot tests: keys pressed in the dashboard change the store, and failures stay notifications."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from textual.widgets import Input

from creatorflow.domain.stages import Stage
from creatorflow.services.context import Services
from creatorflow.services.orders import show_order
from creatorflow.store.tables import Effect, PrintJob, Shipment
from creatorflow.tui import CreatorflowApp
from creatorflow.tui.messages import ServiceFailed
from creatorflow.tui.screens.dialogs import ConfirmScreen, ReasonScreen
from creatorflow.tui.screens.labels import LabelsScreen
from creatorflow.tui.screens.orders import OrdersScreen
from creatorflow.tui.widgets.order_table import OrderTable
from tests.tui.conftest import settle
from tests.tui.data import APPROVABLE, HELD, LABELLED, OVERDUE, SHIPPED


def _stage(services: Services, order_id: str) -> Stage:
    return show_order(services, order_id).summary.stage


def _rows(table: OrderTable) -> list[str]:
    return table.order_ids


async def test_dispatch_lists_the_most_urgent_first_and_approve_queues_a_label(
    app: CreatorflowApp, services: Services
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#action", OrderTable)
        assert _rows(table)[:2] == [OVERDUE, APPROVABLE]
        await pilot.press("down", "a")
        await settle(pilot)
        assert _stage(services, APPROVABLE) is Stage.APPROVED
        with services.store.read() as session:
            keys = session.scalars(select(Effect.key).where(Effect.order_id == APPROVABLE)).all()
        assert keys == [f"label:7000001:{APPROVABLE}:1:1"]
        # The board was read again: the order now waits for its label.
        assert "label queued" in table.line(APPROVABLE)


async def test_hold_asks_for_a_reason_and_escape_changes_nothing(
    app: CreatorflowApp, services: Services
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "h")
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert _stage(services, APPROVABLE) is Stage.NEW

        await pilot.press("h")
        await pilot.pause()
        await pilot.press("enter")  # an empty reason is refused, the dialog stays
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"Ship later", "enter")
        await settle(pilot)
        summary = show_order(services, APPROVABLE).summary
        assert summary.stage is Stage.HELD
        assert summary.hold_reason == "Ship later"
        held = app.screen.query_one("#held", OrderTable)
        assert APPROVABLE in _rows(held)


async def test_release_puts_a_held_order_back(app: CreatorflowApp, services: Services) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("tab")  # to the held table
        assert app.screen.focused is app.screen.query_one("#held")
        await pilot.press("u")
        await settle(pilot)
        assert _stage(services, HELD) is Stage.NEW


async def test_print_sends_the_selected_label_and_the_batch_to_the_printer(
    app: CreatorflowApp, services: Services
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(app.screen, LabelsScreen)
        assert app.screen.selected_order_id == LABELLED
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
    with services.store.read() as session:
        jobs = session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        counts = dict(session.execute(select(Shipment.order_id, Shipment.print_count)).all())
    assert jobs[0].order_ids == [LABELLED]
    assert sorted(jobs[1].order_ids) == [LABELLED, SHIPPED]  # today's batch
    assert counts[LABELLED] == 2  # printed, then reprinted with the batch
    prints = list((services.paths.data_dir / "prints").iterdir())
    assert len(prints) == 2
    assert LABELLED.encode() in sorted(prints)[0].read_bytes()


async def test_void_asks_first(app: CreatorflowApp, services: Services) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert _stage(services, LABELLED) is Stage.LABELLED

        await pilot.press("v")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
    assert _stage(services, LABELLED) is Stage.VOIDING
    with services.store.read() as session:
        kinds = session.scalars(select(Effect.kind).where(Effect.order_id == LABELLED)).all()
    assert kinds == ["void"]


async def test_slash_searches_by_buyer_and_by_order_id(app: CreatorflowApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        search = screen.focused
        assert isinstance(search, Input)
        assert search.id == "search"
        await pilot.press(*"hedy", "enter")
        await settle(pilot)
        table = screen.query_one("#orders", OrderTable)
        assert _rows(table) == [HELD]
        assert screen.focused is table  # ready for a / h / p on the match

        screen.search(APPROVABLE[:-1])  # an id prefix: typed like the name above
        await settle(pilot)
        assert set(_rows(table)) == {f"{APPROVABLE[:-1]}{digit}" for digit in "123456789"}


async def test_a_failed_action_is_a_notification_not_a_crash(app: CreatorflowApp) -> None:
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("v")  # the overdue order has no label to void
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        failures = [m for m in seen if isinstance(m, ServiceFailed)]
        assert [f.title for f in failures] == ["Not found"]
        assert "has no bought label" in failures[0].text
        assert app.is_running
        assert any("no bought label" in n.message for n in app._notifications)


async def test_an_unreadable_store_is_a_notification(tmp_path: Path) -> None:
    environ = {"CREATORFLOW_HOME": str(tmp_path / "never-initialised")}
    from creatorflow.config.paths import resolve_paths

    services = Services(paths=resolve_paths(environ), environ=environ)
    app = CreatorflowApp(services, poll_seconds=None)
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        assert any(isinstance(m, ServiceFailed) for m in seen)
        assert app.is_running
    services.close()
