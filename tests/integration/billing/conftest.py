"""A station on the TikTok, Shippo and EasyPost simulators, and the real billing service with the
Stripe simulator behind it, all on loopback and on one simulated clock for Stripe and the
billing service (started at real now, so tokens are current for the command line too).

The install's secrets live in the opt-in secrets file, so the command line run in-process
with the same environment finds the billing install token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import stripe
from starlette.types import ASGIApp, Receive, Scope, Send

from creatorflow.billing_service.app import create_app
from creatorflow.billing_service.db import make_engine
from creatorflow.billing_service.gateway import STRIPE_API_VERSION
from creatorflow.billing_service.records import Plan
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey
from creatorflow.config.paths import resolve_paths
from creatorflow.http_server import RunningServer, serve
from creatorflow.integrations.billing.client import DeviceCode
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import EasyPostSimulator
from creatorflow.sandbox.shippo import ShippoSimulator
from creatorflow.sandbox.shippo.limits import LIVE_LIMITS
from creatorflow.sandbox.stripe import StripeSimulator
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.billing import LoginResult, finish_login, start_login, upgrade_link
from creatorflow.services.context import Services
from creatorflow.services.demo import SHIP_FROM
from creatorflow.services.label_providers import connect_provider
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.parcels import set_parcel
from creatorflow.services.product_sync import list_products, sync_products
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok

STRIPE_KEY = "sk_test_billing_local"
SHIPPO_KEY = "shippo_live_billing"
EASYPOST_KEY = "EZTK_billing"
#: Small, so that a dozen orders reach it.
PLAN_LIMIT = 5
ORDERS = 12


class LateApp:
    """An ASGI app bound after its server starts (the webhook URL comes first)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@dataclass
class Station:
    """The simulators, the billing service, and the install pointed at them."""

    services: Services
    environ: dict[str, str]
    clock: SimClock
    stripe_sim: StripeSimulator
    billing: httpx.Client
    billing_url: str
    key: SigningKey
    tiktok: TikTokShopSimulator

    def now(self) -> datetime:
        """Simulated now (the billing service's and Stripe's)."""
        return self.clock.now()

    def approver(
        self, code: DeviceCode, email: str = "creator@example.com"
    ) -> Callable[[float], None]:
        """A ``sleep`` for ``finish_login`` that approves the login on its first call, as a
        person would in the browser (nothing actually sleeps)."""
        calls: list[float] = []

        def sleep(seconds: float) -> None:
            calls.append(seconds)
            if len(calls) == 1:
                page = self.billing.post(
                    "/device",
                    data={"user_code": code.user_code, "email": email, "action": "approve"},
                )
                assert page.status_code == 200, page.text

        return sleep

    def login(self) -> LoginResult:
        """``billing login`` through the device flow, approved on the service's page."""
        code = start_login(self.services)
        return finish_login(self.services, code, sleep=self.approver(code), now=self.now())

    def subscribe(self, plan: str = "growth") -> None:
        """``billing upgrade PLAN``, then pay on the (simulated) Stripe Checkout page."""
        link = upgrade_link(self.services, plan)
        assert link.kind == "checkout"
        session_id = link.url.rstrip("/").rsplit("/", 1)[-1]
        self.stripe_sim.complete_checkout(session_id)
        assert self.stripe_sim.wait_for_webhooks(10)

    def advance(self, delta: timedelta) -> None:
        """Move Stripe's and the billing service's clock; deliver what fell due."""
        self.stripe_sim.advance(delta)
        assert self.stripe_sim.wait_for_webhooks(10)


def _billing_service(
    tmp_path: Path, clock: SimClock
) -> tuple[StripeSimulator, SigningKey, list[RunningServer]]:
    sim = StripeSimulator(seed=11, api_key=STRIPE_KEY, clock=clock)
    sim_server = serve(sim.app)
    late = LateApp()
    service_server = serve(late)
    client = stripe.StripeClient(
        STRIPE_KEY, stripe_version=STRIPE_API_VERSION, base_addresses={"api": sim_server.base_url}
    )
    product = client.v1.products.create(params={"name": "Growth"})
    client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 4900,
            "recurring": {"interval": "month"},
            "lookup_key": "growth_monthly",
        }
    )
    endpoint = client.v1.webhook_endpoints.create(
        params={
            "url": f"{service_server.base_url}/stripe/webhook",
            "enabled_events": ["*"],
            "api_version": STRIPE_API_VERSION,
        }
    )
    assert endpoint.secret
    settings = Settings(
        stripe_api_key=STRIPE_KEY,
        webhook_secret=endpoint.secret,
        stripe_api_base=sim_server.base_url,
        database_url=f"sqlite:///{tmp_path / 'billing.db'}",
        public_url=service_server.base_url,
        open_approval=True,
    )
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    store.set_plan(Plan("growth", "growth_monthly", PLAN_LIMIT), clock.timestamp())
    key = SigningKey.generate()
    late.app = create_app(
        settings, signing_key=key, store=store, clock=lambda: clock.now().timestamp()
    )
    return sim, key, [sim_server, service_server]


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    clock = SimClock(datetime.now(UTC))
    sim, key, servers = _billing_service(tmp_path, clock)
    billing_url = servers[1].base_url
    tiktok = TikTokShopSimulator(seed=17, qps=1000, product_count=4)
    tiktok.generate_orders(ORDERS, spread=timedelta(hours=10), status="AWAITING_SHIPMENT")
    shippo = ShippoSimulator(
        17, api_key=SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    easypost = EasyPostSimulator(17, api_key=EASYPOST_KEY)
    http = httpx.Client(base_url=billing_url, timeout=20)
    try:
        with serve(tiktok.app) as t, serve(shippo.app) as s, serve(easypost.app) as e:
            environ = {
                "CREATORFLOW_HOME": str(tmp_path / "home"),
                "CREATORFLOW_TIKTOK_API_BASE": t.base_url,
                "CREATORFLOW_TIKTOK_AUTH_BASE": t.base_url,
                "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
                "CREATORFLOW_SHIPPO_API_BASE": s.base_url,
                "CREATORFLOW_EASYPOST_API_BASE": e.base_url + "/v2",
                "CREATORFLOW_SECRETS_ALLOW_FILE": "true",
                "CREATORFLOW_BILLING_URL": billing_url,
                "CREATORFLOW_BILLING_TRUSTED_KEYS": f"{key.kid}:{key.public_key_b64()}",
                **{f"CREATORFLOW_SHIP_FROM_{k}": value for k, value in SHIP_FROM.items()},
            }
            services = Services(paths=resolve_paths(environ), environ=environ)
            initialize(services)
            services.secrets.set("tiktok_app_secret", tiktok.app_secret)
            connect_tiktok(services, auth_code=tiktok.issue_auth_code())
            connect_provider(services, "shippo", SHIPPO_KEY)
            connect_provider(services, "easypost", EASYPOST_KEY)
            sync_products(services)
            for index, sku in enumerate(list_products(services)):
                set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
            sync_orders(services)
            yield Station(services, environ, clock, sim, http, billing_url, key, tiktok)
            services.close()
    finally:
        http.close()
        sim.close()
        for server in servers:
            server.stop()
