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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from creatorflow.services.context import Services

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
_SHIPPO_KEY = "shippo_test_demo"
_EASYPOST_KEY = "EZTK_demo"


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
    tiktok_url: str
    shippo_url: str
    easypost_url: str
    auth_code: str
    stats: Callable[[], int]
    cancel: Callable[[str], None]
    advance: Callable[[timedelta], None]


@contextmanager
def _sandbox(orders: int, seed: int) -> Iterator[_Sandbox]:
    from creatorflow.http_server import serve
    from creatorflow.sandbox.easypost import EasyPostSimulator
    from creatorflow.sandbox.shippo import ShippoSimulator
    from creatorflow.sandbox.shippo.limits import LIVE_LIMITS
    from creatorflow.sandbox.tiktok import TikTokShopSimulator

    tiktok = TikTokShopSimulator(seed=seed, qps=1000)
    tiktok.generate_orders(orders, spread=timedelta(hours=20), status="AWAITING_SHIPMENT")
    tiktok.generate_orders(max(1, orders // 10), spread=timedelta(minutes=30))
    # A seller's real (live) account: Shippo's test-mode limits are ten times lower.
    shippo = ShippoSimulator(
        seed, api_key=_SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    easypost = EasyPostSimulator(seed, api_key=_EASYPOST_KEY)

    def duplicates() -> int:
        tiktok_labels = tiktok.stats().get("label_purchases", {})
        counts = tiktok_labels.values() if isinstance(tiktok_labels, dict) else []
        extra = sum(max(0, int(n) - 1) for n in counts)
        for sim in (shippo, easypost):
            found = sim.stats().get("duplicate_purchases", 0)
            extra += int(found) if isinstance(found, int) else 0
        return extra

    def advance(delta: timedelta) -> None:
        for sim in (tiktok, shippo, easypost):
            sim.advance(delta)

    with ExitStack() as stack:
        servers = [stack.enter_context(serve(sim.app)) for sim in (tiktok, shippo, easypost)]
        yield _Sandbox(
            tiktok_url=servers[0].base_url,
            shippo_url=servers[1].base_url,
            easypost_url=servers[2].base_url + "/v2",
            auth_code=tiktok.issue_auth_code(),
            stats=duplicates,
            cancel=lambda order_id: tiktok.set_order_status(order_id, "CANCELLED"),
            advance=advance,
        )


def _services(home: Path, sandbox: _Sandbox, environ: dict[str, str]) -> Services:
    from creatorflow.config.paths import resolve_paths
    from creatorflow.secrets import SecretStore
    from creatorflow.secrets.backends import MemoryBackend

    env = {
        **{k: v for k, v in environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_TIKTOK_API_BASE": sandbox.tiktok_url,
        "CREATORFLOW_TIKTOK_AUTH_BASE": sandbox.tiktok_url,
        "CREATORFLOW_TIKTOK_APP_KEY": "sandbox-app-key",
        "CREATORFLOW_SHIPPO_API_BASE": sandbox.shippo_url,
        "CREATORFLOW_EASYPOST_API_BASE": sandbox.easypost_url,
        "CREATORFLOW_LABELS_FORMAT": "pdf_4x6",
        **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
    }
    secrets = SecretStore([MemoryBackend({"tiktok_app_secret": "sandbox-app-secret"})])
    return Services(paths=resolve_paths(env), environ=env, secret_store=secrets)


def _give_parcels(services: Services) -> None:
    from creatorflow.services.parcels import add_preset, set_parcel
    from creatorflow.services.product_sync import list_products

    add_preset(services, "mailer", weight="1.5oz", dims="10x7x2in")
    add_preset(services, "box-m", weight="6oz", dims="12x10x6in")
    skus = list_products(services)
    for index, sku in enumerate(skus[:-1]):
        ounces = 4 + (index * 7) % 20
        set_parcel(
            services,
            sku.sku_id,
            weight=f"{ounces}oz",
            dims=f"{6 + index % 4}x{4 + index % 3}x{1 + index % 2}in",
            preset="mailer" if ounces < 12 else "box-m",
        )


def run_demo(
    *,
    orders: int = 30,
    seed: int = 0,
    environ: dict[str, str] | None = None,
    step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Run the whole loop on the simulators and say what happened."""
    import os

    from creatorflow.services.approval import approve_orders
    from creatorflow.services.label_buying import buy_labels
    from creatorflow.services.label_providers import connect_provider
    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.product_sync import sync_products
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
            connect_tiktok(services, auth_code=sandbox.auth_code)
            connect_provider(services, "shippo", _SHIPPO_KEY)
            connect_provider(services, "easypost", _EASYPOST_KEY)
            say("Syncing products and giving them weights and boxes")
            sync_products(services)
            _give_parcels(services)
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
            sandbox.advance(timedelta(days=7))
            tracking = sync_tracking(services)
            summary.delivered = tracking.delivered
            summary.late = tracking.late
            summary.duplicate_purchases = sandbox.stats()
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
        sandbox.cancel(order_id)
    summary.voided = sync_orders(services).voids_queued
    void_labels(services)
    sandbox.advance(timedelta(minutes=10))
    later = datetime.now(UTC) + timedelta(hours=7)
    void_labels(services, now=lambda: later)
    with services.store.read() as session:
        summary.refunded = len(
            session.scalars(
                select(Shipment.id).where(Shipment.state == ShipmentState.REFUNDED)
            ).all()
        )
