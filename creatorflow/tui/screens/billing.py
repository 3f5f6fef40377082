"""Billing: the plan, its status and period, orders used against the limit, and the ways to
change it (Stripe Checkout, the Customer Portal), as ``creatorflow billing`` shows them.

The screen reads the entitlement cached in the store (no network), so it opens at once and
offline; ``c`` asks the billing service first. Upgrade and portal ask the service for a
Stripe URL in a worker, open it in a browser when this computer has one, and always show
the URL too: a packing PC may have no browser, and the page can be opened anywhere.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Header, Label, ProgressBar, Static
from textual.worker import get_current_worker

from creatorflow.domain.entitlement import Entitlement, EntitlementState
from creatorflow.errors import AuthError, UsageError
from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.formatting import when
from creatorflow.tui.messages import BillingLoaded, LinkReady, PlanWanted
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.screens.dialogs import ReasonScreen
from creatorflow.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from creatorflow.services.billing import BillingLink, BillingStatus

__all__ = ["BillingScreen", "can_open_browser", "headline", "open_in_browser", "usage_line"]

#: The classes of the headline, one per state (coloured in ``app.tcss``).
STATES = ("-active", "-grace", "-expired", "-none", "-signed-out")
#: How long a link stays on screen as a notification (it also stays on the screen itself).
LINK_SECONDS = 30


def can_open_browser() -> bool:
    """Whether a graphical browser can be started here.

    On Linux without a display, :mod:`webbrowser` falls back to a text browser run in this
    terminal, which would take the dashboard's screen over.
    """
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the browser when there is one; whether it was opened."""
    if not can_open_browser():
        return False
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def headline(entitlement: Entitlement) -> str:
    """One line on what the plan allows now."""
    claims = entitlement.claims
    match entitlement.state:
        case EntitlementState.ACTIVE:
            assert claims is not None
            return (
                f"Active: plan {claims.plan} ({claims.status}), confirmed with the billing "
                f"service until {when(claims.expires_at)}."
            )
        case EntitlementState.GRACE:
            assert claims is not None
            return (
                f"Grace period: working offline, the plan still counts until "
                f"{when(claims.grace_until)}."
            )
        case EntitlementState.EXPIRED:
            return "Expired: approvals stop until the plan is confirmed again."
        case _:
            return "No plan: approvals stop until one is chosen."


def usage_line(entitlement: Entitlement) -> str:
    """``121 of 500 orders used, 379 left (1 not yet counted by the service)``."""
    used = entitlement.used + entitlement.pending
    line = f"{used:,} of {entitlement.order_limit:,} orders used, {entitlement.remaining:,} left"
    if entitlement.pending:
        line += f" ({entitlement.pending:,} not yet counted by the service)"
    return line


def _details(status: BillingStatus) -> Table:
    entitlement = status.entitlement
    claims = entitlement.claims
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if claims is not None:
        grid.add_row("Plan", claims.plan)
        grid.add_row("Subscription", claims.status)
        grid.add_row("Period", f"{when(claims.period_start)} → {when(claims.period_end)}")
        grid.add_row("Confirmed until", when(claims.expires_at))
        grid.add_row("Offline grace until", when(claims.grace_until))
    grid.add_row("Entitlement", entitlement.state.value)
    grid.add_row("Install", f"{status.install_id} (account {status.account_id})")
    grid.add_row("Usage not yet reported", f"{status.unsent_usage:,}")
    if status.refreshed:
        checked = "just now, with the billing service"
    elif status.refresh_error:
        checked = f"could not ask the billing service: {status.refresh_error}"
    else:
        checked = "as last stored on this computer (c asks the billing service)"
    grid.add_row("Checked", checked)
    return grid


class BillingScreen(DataScreen):
    """The plan as ``creatorflow billing status`` shows it; upgrade, portal, check."""

    SCOPE = "billing"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)

    def compose(self) -> ComposeResult:
        """Headline, details, the usage bar, warnings, the last Stripe link."""
        yield Header()
        yield Static("Reading the store…", id="billing-state")
        yield Static("", id="billing-details")
        yield Label("Orders this period", classes="section", id="usage-title")
        with Vertical(id="usage"):
            yield ProgressBar(total=1, show_eta=False, id="usage-bar")
            yield Static("", id="usage-text")
        yield Static("", id="billing-warnings")
        yield Static("", id="billing-link")
        yield KeyBar(self.SCOPE)

    # -- reading -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the plan cached on this computer (no network)."""
        self._load(self.services, self.now(), refresh=False)

    def action_check(self) -> None:
        """``c``: ask the billing service for the plan, then show it."""
        self.notify("Asking the billing service…", timeout=3)
        self._load(self.services, self.now(), refresh=True)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, now: datetime, *, refresh: bool) -> None:
        from creatorflow.services.billing import billing_status

        def read() -> BillingLoaded:
            try:
                return BillingLoaded(billing_status(services, refresh=refresh, now=now))
            except AuthError as exc:  # only "not signed in": a refresh failure is reported
                return BillingLoaded(None, exc.message, exc.hint or "")

        loaded = guarded(self, read)
        # A newer read (``c`` after the screen was shown) replaces this one.
        if loaded is not None and not get_current_worker().is_cancelled:
            self.post_message(loaded)

    def on_billing_loaded(self, message: BillingLoaded) -> None:
        """Show the plan, or how to sign in."""
        state = self.query_one("#billing-state", Static)
        state.remove_class(*STATES)
        status = message.status
        if status is None:
            state.add_class("-signed-out")
            state.update(Text(f"Not signed in: {message.problem}"))
            self.query_one("#billing-details", Static).update(Text(message.hint))
            self._usage(None)
            self._warnings([])
            return
        entitlement = status.entitlement
        state.add_class(f"-{entitlement.state.value}")
        state.update(Text(headline(entitlement)))
        self.query_one("#billing-details", Static).update(_details(status))
        self._usage(entitlement if entitlement.order_limit else None)
        self._warnings([entitlement.reason or "", *entitlement.warnings])
        if status.refresh_error:  # only when ``c`` asked
            self.notify(
                f"Showing the plan stored on this computer.\n{status.refresh_error}",
                title="Billing service not reached",
                severity="warning",
                timeout=10,
            )

    def _usage(self, entitlement: Entitlement | None) -> None:
        for part in self.query("#usage-title, #usage"):
            part.display = entitlement is not None
        if entitlement is None:
            return
        bar = self.query_one("#usage-bar", ProgressBar)
        used = entitlement.used + entitlement.pending
        bar.update(total=entitlement.order_limit, progress=min(used, entitlement.order_limit))
        bar.set_class(entitlement.remaining == 0, "-full")
        near = 0 < entitlement.remaining <= entitlement.order_limit // 10
        bar.set_class(near, "-near")
        self.query_one("#usage-text", Static).update(Text(usage_line(entitlement)))

    def _warnings(self, lines: list[str]) -> None:
        shown = [line for line in lines if line]
        box = self.query_one("#billing-warnings", Static)
        box.display = bool(shown)
        box.update(Text("\n".join(f"! {line}" for line in shown)))

    # -- upgrade and portal ------------------------------------------------------------------

    def action_upgrade(self) -> None:
        """``g``: Stripe Checkout for a plan (asked for first), or the portal once subscribed."""
        self._upgrade(self.services, None, self.now())

    @work(thread=True, group="action")
    def _upgrade(self, services: Services, plan: str | None, now: datetime) -> None:
        from creatorflow.services.billing import upgrade_link

        def ask() -> BillingLink | None:
            try:
                return upgrade_link(services, plan, now=now)
            except UsageError as exc:
                if plan is not None:
                    raise
                # Without a plan the service lists them: ask which, then ask again.
                self.post_message(PlanWanted(exc.message))
                return None

        link = guarded(self, ask)
        if link is not None:
            self.post_message(LinkReady(link, open_in_browser(link.url)))

    def on_plan_wanted(self, message: PlanWanted) -> None:
        """Ask which plan, then start the upgrade for it."""
        self._choose_plan(message.plans)

    @work
    async def _choose_plan(self, plans: str) -> None:
        plan = await self.app.push_screen_wait(
            ReasonScreen(
                f"{plans} Which one?",
                placeholder="plan name (Enter opens Stripe Checkout, Escape cancels)",
                empty="Type the name of a plan.",
            )
        )
        if plan:
            self._upgrade(self.services, plan, self.now())

    def action_portal(self) -> None:
        """``m``: the Stripe Customer Portal."""
        self._portal(self.services)

    @work(thread=True, group="action")
    def _portal(self, services: Services) -> None:
        from creatorflow.services.billing import portal_link

        link = guarded(self, lambda: portal_link(services))
        if link is not None:
            self.post_message(LinkReady(link, open_in_browser(link.url)))

    def on_link_ready(self, message: LinkReady) -> None:
        """Say where to go: the URL stays on the screen and in a notification."""
        link = message.link
        title = "Stripe Checkout" if link.kind == "checkout" else "Customer Portal"
        where = (
            "Opened in the browser."
            if message.opened
            else "No browser here: open the link on any computer."
        )
        after = "\nPress c here once it is done to see the plan." if link.kind == "checkout" else ""
        self.notify(f"{link.note}\n{link.url}\n{where}{after}", title=title, timeout=LINK_SECONDS)
        shown = Text(f"{title}: ", style="bold")
        shown.append(link.url, style=f"link {link.url}")
        self.query_one("#billing-link", Static).update(shown)
