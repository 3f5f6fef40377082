"""Pilot tests of the Billing screen: signed out, each entitlement state, upgrade and portal
links (opened in a browser when there is one, always shown), an unreachable service."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rich.console import Console
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static

from creatorflow.errors import UsageError
from creatorflow.services import billing
from creatorflow.services.billing import BillingLink
from creatorflow.services.context import Services
from creatorflow.tui import CreatorflowApp, make_app
from creatorflow.tui.messages import LinkReady, ServiceFailed
from creatorflow.tui.screens.billing import BillingScreen
from creatorflow.tui.screens.dialogs import ReasonScreen
from tests.tui.billing import LIMIT, USED, entitlement_token, sign_in
from tests.tui.conftest import fixed_clock, settle
from tests.tui.data import NOW

SIZE = (120, 40)
CHECKOUT = "https://checkout.stripe.test/c/pay/cs_test_a1"
PORTAL = "https://billing.stripe.test/p/session/test_b2"
#: The fixed shop has one approved order not labelled yet: it counts against the limit.
PENDING = 1


def _text(screen: BillingScreen, selector: str) -> str:
    """What a Static shows, as plain text (a Rich table too)."""
    console = Console(width=SIZE[0], file=io.StringIO(), record=True)
    console.print(screen.query_one(selector, Static).content)
    return console.export_text().rstrip("\n")


async def _billing(pilot: Any) -> BillingScreen:
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BillingScreen)
    return screen


def _recorder(opened: list[str]) -> Callable[..., bool]:
    def open_url(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        return True

    return open_url


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs a browser was asked to open (a display is pretended, nothing is started)."""
    opened: list[str] = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr("webbrowser.open", _recorder(opened))
    return opened


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A packing PC without a display: nothing may be opened."""
    opened: list[str] = []
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("webbrowser.open", _recorder(opened))
    return opened


def _failures(seen: list[Message]) -> list[ServiceFailed]:
    """Each failure once (the hook sees it at the screen, then at the app)."""
    unique = {id(m): m for m in seen if isinstance(m, ServiceFailed)}
    return list(unique.values())


def _notes(app: CreatorflowApp) -> list[str]:
    return [f"{note.title}: {note.message}" for note in app._notifications]


async def test_billing_not_signed_in_says_how_to_sign_in(app: CreatorflowApp) -> None:
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        screen = await _billing(pilot)
        assert _text(screen, "#billing-state").startswith("Not signed in: This install is not")
        assert "creatorflow billing login" in _text(screen, "#billing-details")
        assert not screen.query_one("#usage").display
        # Upgrade and portal say so too, as notifications: the dashboard keeps running.
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        failed = _failures(seen)
        assert len(failed) == 2
        assert all("creatorflow billing login" in m.text for m in failed)
        assert app.screen is screen


async def test_billing_signed_in_shows_the_plan_and_the_orders_used(
    signed_in_app: CreatorflowApp,
) -> None:
    async with signed_in_app.run_test(size=SIZE) as pilot:
        screen = await _billing(pilot)
        assert _text(screen, "#billing-state").startswith("Active: plan growth (active)")
        details = _text(screen, "#billing-details")
        assert "2026-11-01 00:00 → 2026-12-01 00:00" in details
        assert "inst_7Qm2xk (account acct_4Lx9pd)" in details
        bar = screen.query_one("#usage-bar", ProgressBar)
        assert (bar.progress, bar.total) == (USED + PENDING, LIMIT)
        used = USED + PENDING
        assert _text(screen, "#usage-text") == (
            f"{used} of {LIMIT} orders used, {LIMIT - used} left (1 not yet counted by the service)"
        )
        assert not screen.query_one("#billing-warnings").display


@pytest.mark.parametrize(
    ("token", "state", "warning", "bar"),
    [
        pytest.param(
            {"issued": NOW - timedelta(hours=30)},
            "Grace period: working offline, the plan still counts until 2026-12-03 12:00.",
            "! Working offline: the plan was last confirmed before",
            "shown",
            id="grace",
        ),
        pytest.param(
            {"issued": NOW - timedelta(days=10)},
            "Expired: approvals stop until the plan is confirmed again.",
            "! The plan could not be confirmed with the billing service since",
            "hidden",
            id="expired",
        ),
        pytest.param(
            {"plan": "none", "status": "none", "used": 0},
            "No plan: approvals stop until one is chosen.",
            "! The account has no subscription: choose a plan with `creatorflow billing upgrade`",
            "hidden",
            id="no-subscription",
        ),
        pytest.param(
            {"used": LIMIT - PENDING},
            "Active: plan growth (active)",
            f"! All {LIMIT} orders of this period are used",
            "full",
            id="limit-reached",
        ),
    ],
)
async def test_billing_entitlement_states(
    signed_in_services: Services, token: dict[str, Any], state: str, warning: str, bar: str
) -> None:
    sign_in(
        signed_in_services,
        entitlement_token(**token),
        issued=token.get("issued", NOW - timedelta(hours=2)),
    )
    app = make_app(signed_in_services, clock=fixed_clock, poll_seconds=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _billing(pilot)
        assert _text(screen, "#billing-state").startswith(state)
        assert warning in _text(screen, "#billing-warnings")
        assert screen.query_one("#usage").display == (bar != "hidden")
        assert screen.query_one("#usage-bar", ProgressBar).has_class("-full") == (bar == "full")


def _fake_links(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    asked: list[str | None] = []

    def upgrade_link(services: Services, plan: str | None = None, **_: Any) -> BillingLink:
        asked.append(plan)
        if plan is None:
            raise UsageError(
                "Choose a plan: growth (500 orders, 49.00 USD/month).",
                hint="Run `creatorflow billing upgrade PLAN`.",
            )
        return BillingLink(CHECKOUT, "checkout", "Pay in the browser.")

    def portal_link(services: Services) -> BillingLink:
        return BillingLink(PORTAL, "portal", "Change the plan, cancel, or update the card there.")

    monkeypatch.setattr(billing, "upgrade_link", upgrade_link)
    monkeypatch.setattr(billing, "portal_link", portal_link)
    return asked


async def test_upgrade_asks_for_the_plan_and_opens_checkout(
    signed_in_app: CreatorflowApp, monkeypatch: pytest.MonkeyPatch, browser: list[str]
) -> None:
    asked = _fake_links(monkeypatch)
    seen: list[Message] = []
    async with signed_in_app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        screen = await _billing(pilot)
        await pilot.press("g")
        await settle(pilot)
        dialog = signed_in_app.screen
        assert isinstance(dialog, ReasonScreen)
        assert "growth (500 orders, 49.00 USD/month)" in str(dialog.query_one(".question").render())
        dialog.query_one(Input).value = "growth"
        await pilot.press("enter")
        await settle(pilot)
        assert asked == [None, "growth"]
        assert browser == [CHECKOUT]
        assert {id(m): m.opened for m in seen if isinstance(m, LinkReady)}.popitem()[1] is True
        assert any(CHECKOUT in note for note in _notes(signed_in_app))
        assert _text(screen, "#billing-link") == f"Stripe Checkout: {CHECKOUT}"


async def test_upgrade_cancelled_opens_nothing(
    signed_in_app: CreatorflowApp, monkeypatch: pytest.MonkeyPatch, browser: list[str]
) -> None:
    asked = _fake_links(monkeypatch)
    async with signed_in_app.run_test(size=SIZE) as pilot:
        await _billing(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert asked == [None]
        assert browser == []
        assert isinstance(signed_in_app.screen, BillingScreen)


async def test_portal_without_a_browser_shows_the_link(
    signed_in_app: CreatorflowApp, monkeypatch: pytest.MonkeyPatch, no_browser: list[str]
) -> None:
    _fake_links(monkeypatch)
    async with signed_in_app.run_test(size=SIZE) as pilot:
        screen = await _billing(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert no_browser == []
        note = next(n for n in _notes(signed_in_app) if PORTAL in n)
        assert note.startswith("Customer Portal: ")
        assert "No browser here: open the link on any computer." in note
        assert _text(screen, "#billing-link") == f"Customer Portal: {PORTAL}"


async def test_billing_service_unreachable_is_a_notification(
    signed_in_app: CreatorflowApp,
) -> None:
    """The tests' billing URL refuses connections: portal and check fail politely."""
    seen: list[Message] = []
    async with signed_in_app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        screen = await _billing(pilot)
        await pilot.press("m")
        await settle(pilot)
        failed = _failures(seen)
        assert len(failed) == 1
        assert failed[0].title != "Unexpected error"
        await pilot.press("c")
        await settle(pilot)
        # The cached plan is still shown, with why it could not be checked.
        assert _text(screen, "#billing-state").startswith("Active: plan growth")
        assert "could not ask the billing service" in _text(screen, "#billing-details")
        assert any(n.startswith("Billing service not reached: ") for n in _notes(signed_in_app))
        assert signed_in_app.is_running
        assert signed_in_app.screen is screen
