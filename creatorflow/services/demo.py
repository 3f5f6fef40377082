"""``creatorflow demo``: the whole loop against the built-in simulators, no accounts needed.

It starts the TikTok Shop, Shippo and EasyPost simulators on loopback, makes a CreatorFlow
home (``CREATORFLOW_HOME`` when set, else a new folder that is kept so the labels can be
looked at), connects the sandbox shop and both providers, gives the sandbox's SKUs their
weights and boxes (one SKU is left without, to show a hold), syncs, approves what the guards
allow, buys the labels, sends tracking to TikTok, and merges the label files into one PDF.
The secrets live in memory only: nothing of the demo reaches the system keyring.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.sandbox.world import SandboxWorld

__all__ = ["DemoSummary", "run_demo"]

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


@dataclass
class _Sandbox:
    world: SandboxWorld
    urls: dict[str, str]


@contextmanager
def _sandbox(orders: int, seed: int) -> Iterator[_Sandbox]:
    from creatorflow.sandbox.control import SandboxServers
    from creatorflow.sandbox.world import SandboxWorld

    world = SandboxWorld(seed=seed, tiktok_qps=1000)
    world.tiktok.generate_orders(orders, spread=timedelta(hours=20), status="AWAITING_SHIPMENT")
    world.tiktok.generate_orders(max(1, orders // 10), spread=timedelta(minutes=30))
    servers = SandboxServers(world.apps())
    servers.start()
    try:
        yield _Sandbox(world=world, urls=servers.urls)
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
    with _sandbox(orders, seed) as sandbox:
        services = _services(home, sandbox, env)
        try:
            say("Setting up a CreatorFlow home")
            initialize(services)
            say("Connecting the sandbox shop, Shippo and EasyPost")
            connect_tiktok(services, auth_code=sandbox.world.issue_auth_code())
            connect_provider(services, "shippo", SHIPPO_KEY)
            connect_provider(services, "easypost", EASYPOST_KEY)
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
        finally:
            services.close()
    return summary


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
