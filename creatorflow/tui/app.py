"""The dashboard application: modes for the screens, the order actions, the daemon poll."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen

from creatorflow.domain.stages import Actor
from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import CommandProvider, bindings
from creatorflow.tui.messages import ActionDone, DaemonActivity, OrderChosen, ServiceFailed
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.screens.billing import BillingScreen
from creatorflow.tui.screens.daemon import DaemonScreen
from creatorflow.tui.screens.dialogs import ConfirmScreen, HelpScreen, ReasonScreen
from creatorflow.tui.screens.dispatch import DispatchScreen
from creatorflow.tui.screens.labels import LabelsScreen
from creatorflow.tui.screens.order import OrderScreen
from creatorflow.tui.screens.orders import OrdersScreen

if TYPE_CHECKING:
    from creatorflow.services.daemon_status import DaemonStatus

__all__ = ["POLL_SECONDS", "CreatorflowApp", "make_app"]

#: How often ``job_runs`` is read to notice the daemon's work.
POLL_SECONDS = 3.0
#: When the start-up objects are frozen (see ``CreatorflowApp._freeze_heap``): about when the
#: first screen has read and drawn its data.
FREEZE_AFTER_SECONDS = 1.0
VOID_REASON = "Voided from the dashboard."


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _reports() -> Screen[Any]:
    # textual-plotext is imported only when the Reports screen is first shown.
    from creatorflow.tui.screens.reports import ReportsScreen

    return ReportsScreen()


def _activity(status: DaemonStatus) -> tuple[Any, ...]:
    """What changes when the daemon does something: each job's last run and outcome."""
    jobs = sorted(
        (name, job.last_run, job.finished_at, job.outcome) for name, job in status.jobs.items()
    )
    return (status.running, tuple(jobs))


class CreatorflowApp(App[None]):
    """The CreatorFlow dashboard over one :class:`Services`.

    ``clock`` gives "now" for countdowns, approvals and reports (tests fix it);
    ``poll_seconds`` is how often daemon activity is looked for (``None``: never).
    """

    CSS_PATH = "app.tcss"
    TITLE = "CreatorFlow"
    BINDINGS: ClassVar[list[BindingType]] = bindings("app")
    COMMANDS = App.COMMANDS | {CommandProvider}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "dispatch": DispatchScreen,
        "orders": OrdersScreen,
        "labels": LabelsScreen,
        "daemon": DaemonScreen,
        "reports": _reports,
        "billing": BillingScreen,
    }
    DEFAULT_MODE = "dispatch"

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] = _utcnow,
        poll_seconds: float | None = POLL_SECONDS,
        sandbox: bool = False,
    ) -> None:
        super().__init__()
        self.services = services
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.sandbox = sandbox
        self._last_activity: tuple[Any, ...] | None = None

    def on_mount(self) -> None:
        """Say where the data comes from and start polling the daemon's activity."""
        self.sub_title = self._where()
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self.poll_daemon)

    def on_ready(self) -> None:
        """Soon after start-up, take what it built out of the garbage collector's sight."""
        self.set_timer(FREEZE_AFTER_SECONDS, self._freeze_heap)

    def _freeze_heap(self) -> None:
        # Modules, styles and the first screen are ~100,000 objects that live as long as the
        # app; a full collection walked them all (25 to 80 ms, at random keypresses). Frozen,
        # a collection walks only what was made since. Garbage is collected first, so none
        # is kept for good.
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        """Hand the frozen objects back to the collector (tests run many apps in a process)."""
        gc.unfreeze()

    def _where(self, status: DaemonStatus | None = None) -> str:
        parts = ["sandbox (demo data)"] if self.sandbox else []
        if status is not None:
            parts.append("daemon running" if status.running else "daemon not running")
        return " · ".join(parts)

    # -- reading -----------------------------------------------------------------------------

    def refresh_screen(self) -> None:
        """Make the current screen read its data again."""
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.reload()

    def poll_daemon(self) -> None:
        """Look at ``job_runs`` (in a worker) for anything the daemon did since last time."""
        self._poll(self.services, self.clock())

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self, services: Services, now: datetime) -> None:
        from creatorflow.services.daemon_status import daemon_status

        status = guarded(self, lambda: daemon_status(services, now=now))
        if status is not None:
            self.post_message(DaemonActivity(status))

    def on_daemon_activity(self, message: DaemonActivity) -> None:
        """Refresh what is shown when the daemon did something."""
        self.sub_title = self._where(message.status)
        activity = _activity(message.status)
        seen, self._last_activity = self._last_activity, activity
        if seen is not None and seen != activity:
            self.refresh_screen()

    def on_service_failed(self, message: ServiceFailed) -> None:
        """Every failure is a notification."""
        self.notify(message.text, title=message.title, severity="error", timeout=10)

    def on_action_done(self, message: ActionDone) -> None:
        """Say what happened and show the store as it is now."""
        self.notify(message.text, severity=message.severity)
        self.refresh_screen()

    def on_order_chosen(self, message: OrderChosen) -> None:
        """Open the chosen order."""
        self.push_screen(OrderScreen(message.order_id))

    # -- navigation --------------------------------------------------------------------------

    def _selected(self) -> str | None:
        screen = self.screen
        chosen = screen.selected_order_id if isinstance(screen, DataScreen) else None
        if chosen is None:
            self.notify("Select an order first.", severity="warning")
        return chosen

    def action_open_order(self) -> None:
        """``o``: the selected order in full."""
        chosen = self._selected()
        if chosen:
            self.push_screen(OrderScreen(chosen))

    async def action_search(self) -> None:
        """``/``: the Orders screen, cursor in its search box."""
        if self.current_mode != "orders" or len(self.screen_stack) > 1:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            await self.switch_mode("orders")
        screen = self.screen
        if isinstance(screen, OrdersScreen):
            screen.focus_search()

    def action_refresh(self) -> None:
        """``r``: read the store again."""
        self.refresh_screen()

    def action_help(self) -> None:
        """``?``: every key."""
        self.push_screen(HelpScreen())

    # -- actions on orders -------------------------------------------------------------------

    def action_approve(self) -> None:
        """``a``: approve the selected order (its label is queued for purchase)."""
        chosen = self._selected()
        if chosen:
            self._approve(self.services, chosen, self.clock())

    @work(thread=True, group="action")
    def _approve(self, services: Services, order_id: str, now: datetime) -> None:
        from creatorflow.services.approval import approve_orders

        summary = guarded(
            self, lambda: approve_orders(services, [order_id], actor=Actor.TUI, now=now)
        )
        if summary is None:
            return
        result = summary.results[0]
        if result.approved:
            self.post_message(ActionDone(f"Order {order_id} approved: its label is queued."))
        else:
            reason = result.reason or "refused"
            self.post_message(
                ActionDone(f"Order {order_id} not approved ({result.stage}): {reason}", "warning")
            )

    @work
    async def action_hold(self) -> None:
        """``h``: hold the selected order, with a reason asked for first."""
        chosen = self._selected()
        if not chosen:
            return
        reason = await self.push_screen_wait(ReasonScreen(f"Why hold order {chosen}?"))
        if reason:
            self._hold(self.services, chosen, reason)

    @work(thread=True, group="action")
    def _hold(self, services: Services, order_id: str, reason: str) -> None:
        from creatorflow.services.approval import hold_order

        if guarded(self, lambda: hold_order(services, order_id, reason, actor=Actor.TUI)):
            self.post_message(ActionDone(f"Order {order_id} held: {reason}"))

    def action_release(self) -> None:
        """``u``: release the selected held order back to new."""
        chosen = self._selected()
        if chosen:
            self._release(self.services, chosen)

    @work(thread=True, group="action")
    def _release(self, services: Services, order_id: str) -> None:
        from creatorflow.services.approval import release_order

        if guarded(self, lambda: release_order(services, order_id, actor=Actor.TUI)):
            self.post_message(ActionDone(f"Order {order_id} released: approve it to buy a label."))

    def action_print(self) -> None:
        """``p``: print (or reprint) the selected order's label."""
        chosen = self._selected()
        if chosen:
            self._print_labels(self.services, chosen, None)

    def action_print_batch(self) -> None:
        """``b`` on Labels: print today's batch in pick order."""
        self._print_labels(self.services, None, self.clock().astimezone().date().isoformat())

    @work(thread=True, group="action")
    def _print_labels(self, services: Services, order_id: str | None, day: str | None) -> None:
        from creatorflow.services.printing import print_labels

        done = guarded(self, lambda: print_labels(services, order_id=order_id, batch=day))
        if done is not None:
            what = f"order {order_id}" if order_id else f"{len(done.orders)} order(s) of {day}"
            self.post_message(ActionDone(f"Printed the label(s) of {what} to {done.where}."))

    @work
    async def action_void(self) -> None:
        """``v``: void the selected order's label, once confirmed."""
        chosen = self._selected()
        if not chosen:
            return
        question = (
            f"Void the label of order {chosen}? The provider is asked for a refund and the "
            "label must not be used."
        )
        if await self.push_screen_wait(ConfirmScreen(question, confirm="Void")):
            self._void(self.services, chosen)

    @work(thread=True, group="action")
    def _void(self, services: Services, order_id: str) -> None:
        from creatorflow.services.voids import request_void

        if guarded(self, lambda: request_void(services, order_id, reason=VOID_REASON)):
            self.post_message(
                ActionDone(f"Order {order_id}: void requested; the daemon asks for the refund.")
            )


def make_app(
    services: Services,
    *,
    clock: Callable[[], datetime] = _utcnow,
    poll_seconds: float | None = POLL_SECONDS,
    sandbox: bool = False,
) -> CreatorflowApp:
    """The dashboard over ``services`` (``creatorflow tui`` and the tests build it here)."""
    return CreatorflowApp(services, clock=clock, poll_seconds=poll_seconds, sandbox=sandbox)
