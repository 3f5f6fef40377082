"""``creatorflow demo``: the whole loop against the built-in simulators, no accounts needed.

It starts the TikTok Shop, Shippo and EasyPost simulators on loopback, and the Stripe
simulator with the billing service in front of it (:mod:`creatorflow.services.sandbox_billing`),
makes a CreatorFlow home (``CREATORFLOW_HOME`` when set, else a new folder that is kept so the
labels can be looked at), connects the sandbox shop and both providers, signs in to billing
through the device login (approving the code on the service's page itself) and pays for the
``growth`` plan (``scale`` when the orders would not fit) on the simulated Stripe Checkout,
gives the sandbox's SKUs their weights and boxes (one SKU is left without, to show a hold),
syncs, approves what the guards and the plan allow, buys the labels, sends tracking to TikTok,
reports the labelled orders to the billing service, and merges the label files into one PDF.
It signs out of billing at the end (the billing service stops with the demo), so the home it
leaves has no plan limit. The secrets live in memory only: nothing of the demo reaches the
system keyring.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.sandbox.world import SandboxWorld
    from creatorflow.services.sandbox_billing import SandboxBilling

__all__ = ["DEMO_PLAN", "DemoSummary", "run_demo"]

#: The plan the demo subscribes to (one of ``sandbox_billing.SANDBOX_PLANS``), unless its
#: orders would not fit in it (see :func:`_plan_for`).
DEMO_PLAN = "growth"

SHIP_FROM = {
    "NAME": "Glow & Co. Studio",
    "STREET1": "1600 Amphitheatre Pkwy",
    "CITY": "Mountain View",
    "STATE": "CA",
    "POSTAL_CODE": "94043",
    "COUNTRY": "US",
    "PHONE": "6505550100",
    "EMAIL": "studio@example.com",
}


@dataclass
class DemoSummary:
    """What the demo did (``demo --json`` prints it)."""

    home: str
    orders: int = 0
    approved: int = 0
    held: int = 0
    held_reasons: dict[str, int] = field(default_factory=dict)
    labelled: int = 0
    shipped: int = 0
    duplicate_purchases: int = 0
    label_spend: dict[str, str] = field(default_factory=dict)
    label_pdf: str | None = None
    packing_slips_pdf: str | None = None
    voided: int = 0
    refunded: int = 0
    delivered: int = 0
    late: int = 0
    providers: dict[str, int] = field(default_factory=dict)
    billing_plan: str | None = None
    billing_status: str | None = None
    billing_used: int = 0
    billing_limit: int = 0


@dataclass
class _Sandbox:
    world: SandboxWorld
    urls: dict[str, str]
    billing: SandboxBilling


@contextmanager
def _sandbox(orders: int, seed: int) -> Iterator[_Sandbox]:
    from creatorflow.sandbox.control import SandboxServers
    from creatorflow.sandbox.world import SandboxWorld
    from creatorflow.services.sandbox_billing import run_sandbox_billing

    world = SandboxWorld(seed=seed, tiktok_qps=1000)
    world.tiktok.generate_orders(orders, spread=timedelta(hours=20), status="AWAITING_SHIPMENT")
    world.tiktok.generate_orders(max(1, orders // 10), spread=timedelta(minutes=30))
    servers = SandboxServers(world.apps())
    servers.start()
    try:
        with run_sandbox_billing(seed=seed) as billing:
            yield _Sandbox(world=world, urls=servers.urls, billing=billing)
    finally:
        servers.close()


def _services(home: Path, sandbox: _Sandbox, environ: dict[str, str]) -> Services:
    from creatorflow.config.paths import resolve_paths
    from creatorflow.sandbox.world import TIKTOK_APP_KEY, TIKTOK_APP_SECRET
    from creatorflow.secrets import SecretStore
    from creatorflow.secrets.backends import MemoryBackend

    env = {
        **{k: v for k, v in environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_TIKTOK_API_BASE": sandbox.urls["tiktok"],
        "CREATORFLOW_TIKTOK_AUTH_BASE": sandbox.urls["tiktok"],
        "CREATORFLOW_TIKTOK_APP_KEY": TIKTOK_APP_KEY,
        "CREATORFLOW_SHIPPO_API_BASE": sandbox.urls["shippo"],
        "CREATORFLOW_EASYPOST_API_BASE": sandbox.urls["easypost"] + "/v2",
        "CREATORFLOW_LABELS_FORMAT": "pdf_4x6",
        "CREATORFLOW_BILLING_URL": sandbox.billing.billing_url,
        "CREATORFLOW_BILLING_TRUSTED_KEYS": sandbox.billing.trusted_keys,
        **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
    }
    secrets = SecretStore([MemoryBackend({"tiktok_app_secret": TIKTOK_APP_SECRET})])
    return Services(paths=resolve_paths(env), environ=env, secret_store=secrets)


def run_demo(
    *,
    orders: int = 30,
    seed: int = 0,
    environ: dict[str, str] | None = None,
    step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Run the whole loop on the simulators and say what happened."""
    import os

    from creatorflow.sandbox.world import EASYPOST_KEY, SHIPPO_KEY
    from creatorflow.services.approval import approve_orders
    from creatorflow.services.label_buying import buy_labels
    from creatorflow.services.label_providers import connect_provider
    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.product_sync import sync_products
    from creatorflow.services.sandbox import give_parcels
    from creatorflow.services.setup import initialize
    from creatorflow.services.tiktok_connection import connect_tiktok
    from creatorflow.services.tracking_push import push_tracking
    from creatorflow.services.tracking_sync import sync_tracking

    env = dict(os.environ if environ is None else environ)
    say = step or (lambda _text: None)
    chosen = env.get("CREATORFLOW_HOME")
    home = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="creatorflow-demo-"))
    summary = DemoSummary(home=str(home))
    with _sandbox(orders, seed) as sandbox, ExitStack() as stack:
        services = _services(home, sandbox, env)
        stack.callback(services.close)
        say("Setting up a CreatorFlow home")
        initialize(services)
        say("Connecting the sandbox shop, Shippo and EasyPost")
        connect_tiktok(services, auth_code=sandbox.world.issue_auth_code())
        connect_provider(services, "shippo", SHIPPO_KEY)
        connect_provider(services, "easypost", EASYPOST_KEY)
        plan = _plan_for(orders)
        say(f"Signing in to billing and paying for the {plan} plan")
        stack.enter_context(_subscribed(services, sandbox.billing, plan))
        say("Syncing products and giving them weights and boxes")
        sync_products(services)
        give_parcels(services, skip_last=True)
        say("Syncing orders")
        summary.orders = sync_orders(services).new
        say("Approving what the guards allow")
        approval = approve_orders(services, all_ready=True)
        summary.approved = approval.approved
        summary.held = approval.refused
        summary.held_reasons = approval.refusal_counts()
        say("Buying labels")
        bought = buy_labels(services)
        say("Sending tracking numbers to TikTok")
        push_tracking(services)
        summary.label_spend = {k: str(v) for k, v in bought.spend.items()}
        _collect(services, summary)
        say("Reporting the labelled orders to the billing service")
        _report_usage(services, summary)
        say("Printing the labels and packing slips")
        _print(services, home, summary)
        say("Buyers cancel two orders: voiding their labels")
        _cancel_two(services, sandbox, summary)
        say("A week later: following the parcels")
        sandbox.world.advance(timedelta(days=7))
        tracking = sync_tracking(services)
        summary.delivered = tracking.delivered
        summary.late = tracking.late
        summary.duplicate_purchases = sandbox.world.duplicate_purchases()
    return summary


def _plan_for(orders: int) -> str:
    """:data:`DEMO_PLAN`, or the smallest bigger plan when the demo's orders would not fit in
    it: the demo shows the loop, so no order is held for the plan limit."""
    from creatorflow.services.sandbox_billing import SANDBOX_PLANS

    total = orders + max(1, orders // 10)
    ladder = sorted(SANDBOX_PLANS, key=lambda plan: plan.order_limit)
    names = [plan.name for plan in ladder]
    bigger = ladder[names.index(DEMO_PLAN) :]
    return next((plan.name for plan in bigger if plan.order_limit >= total), bigger[-1].name)


@contextmanager
def _subscribed(services: Services, billing: SandboxBilling, plan: str) -> Iterator[None]:
    """``billing login`` (the code approved on the service's page, as a person would click),
    ``billing upgrade PLAN`` paid on the simulated Checkout page, then a fresh entitlement.

    ``billing logout`` at the end: the sandbox's billing service stops with the demo, so the
    home left behind (``tui --sandbox`` opens it) must not keep a plan it can no longer check.
    """
    from creatorflow.errors import CreatorflowError
    from creatorflow.services.billing import finish_login, logout, start_login, upgrade_link
    from creatorflow.services.billing_core import refresh_entitlement

    code = start_login(services, station="demo")
    billing.approve(code.user_code)
    try:
        finish_login(services, code, sleep=lambda _seconds: None)
        link = upgrade_link(services, plan)
        billing.pay(link.url)
        refresh_entitlement(services)
        yield
    finally:
        with suppress(CreatorflowError):  # not signed in after all: nothing to undo
            logout(services)


def _report_usage(services: Services, summary: DemoSummary) -> None:
    """Send the labelled orders to the service (as the daemon's billing sync does) and keep
    what it now counts."""
    from creatorflow.services.billing import billing_status
    from creatorflow.services.billing_usage import flush_usage

    flush_usage(services)
    entitlement = billing_status(services, refresh=False).entitlement
    claims = entitlement.claims
    summary.billing_plan = claims.plan if claims else None
    summary.billing_status = claims.status if claims else entitlement.state.value
    summary.billing_used = entitlement.used
    summary.billing_limit = entitlement.order_limit


def _collect(services: Services, summary: DemoSummary) -> None:
    from sqlalchemy import func, select

    from creatorflow.domain.stages import Stage
    from creatorflow.store.tables import Order, Shipment, ShipmentState

    with services.store.read() as session:
        stages = dict(
            session.execute(select(Order.stage, func.count()).group_by(Order.stage)).all()
        )
        providers = session.execute(
            select(Shipment.provider, func.count())
            .where(Shipment.state == ShipmentState.PURCHASED)
            .group_by(Shipment.provider)
        ).all()
    summary.shipped = int(stages.get(Stage.SHIPPED, 0))
    summary.labelled = summary.shipped + int(stages.get(Stage.LABELLED, 0))
    summary.providers = {str(name): int(count) for name, count in providers}


def _print(services: Services, home: Path, summary: DemoSummary) -> None:
    from creatorflow.services.printing import print_documents, print_labels

    printer = f"folder:{home / 'prints'}"
    labels = print_labels(services, batch="today", printer=printer)
    summary.label_pdf = labels.where
    slips = print_documents(services, "packing-slips", batch="today", printer=printer)
    summary.packing_slips_pdf = slips.where


def _cancel_two(services: Services, sandbox: _Sandbox, summary: DemoSummary) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.voids import void_labels
    from creatorflow.store.tables import Shipment, ShipmentState

    with services.store.read() as session:
        victims = session.scalars(
            select(Shipment.order_id)
            .where(
                Shipment.state == ShipmentState.PURCHASED, Shipment.provider != "tiktok_shipping"
            )
            .order_by(Shipment.id)
            .limit(2)
        ).all()
    for order_id in victims:
        sandbox.world.cancel_order(order_id)
    summary.voided = sync_orders(services).voids_queued
    void_labels(services)
    sandbox.world.advance(timedelta(minutes=10))
    later = datetime.now(UTC) + timedelta(hours=7)
    void_labels(services, now=lambda: later)
    with services.store.read() as session:
        summary.refunded = len(
            session.scalars(
                select(Shipment.id).where(Shipment.state == ShipmentState.REFUNDED)
            ).all()
        )
