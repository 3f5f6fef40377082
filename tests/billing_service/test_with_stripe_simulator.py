"""The billing service and the Stripe simulator, both served on loopback: the real SDK, real
signed webhooks delivered over HTTP, real meter events, one shared simulated clock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import select, update
from starlette.types import ASGIApp, Receive, Scope, Send

from creatorflow.billing_service.app import create_app
from creatorflow.billing_service.db import make_engine, usage_ledger
from creatorflow.billing_service.gateway import STRIPE_API_VERSION
from creatorflow.billing_service.records import Plan
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey, verify
from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.stripe import StripeSimulator

START = datetime(2026, 5, 1, 12, tzinfo=UTC)
API_KEY = "sk_test_sandbox"


class LateApp:
    """An ASGI app bound after its server starts (the webhook URL must exist before the app
    can be given the secret Stripe returns for it)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@dataclass
class World:
    sim: StripeSimulator
    stripe: stripe.StripeClient
    http: httpx.Client
    key: SigningKey
    store: BillingStore
    servers: list[RunningServer]

    def login(self, email: str = "creator@example.com") -> dict[str, str]:
        code = self.http.post("/v1/device/code", json={"station": "packing-1"}).json()
        self.http.post(
            "/device", data={"user_code": code["user_code"], "email": email, "action": "approve"}
        )
        token = self.http.post("/v1/device/token", json={"device_code": code["device_code"]})
        assert token.status_code == 200, token.text
        body = token.json()
        return {"Authorization": f"Bearer {body['install_token']}", "aud": body["install_id"]}

    def claims(self, auth: dict[str, str]) -> dict[str, Any]:
        got = self.http.get("/v1/entitlement", headers=_headers(auth))
        assert got.status_code == 200, got.text
        return verify(
            got.json()["token"], {self.key.kid: self.key.public_key}, audience=auth["aud"]
        )

    def subscribe(self, auth: dict[str, str]) -> str:
        checkout = self.http.post("/v1/checkout", headers=_headers(auth), json={"plan": "growth"})
        assert checkout.status_code == 200, checkout.text
        session_id = str(checkout.json()["session_id"])
        self.sim.complete_checkout(session_id)
        assert self.sim.wait_for_webhooks(10)
        return session_id

    def advance(self, delta: timedelta) -> None:
        self.sim.advance(delta)
        assert self.sim.wait_for_webhooks(10)


def _headers(auth: dict[str, str]) -> dict[str, str]:
    return {"Authorization": auth["Authorization"]}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = SimClock(START)
    sim = StripeSimulator(seed=7, api_key=API_KEY, clock=clock)
    sim_server = serve(sim.app)
    late = LateApp()
    service_server = serve(late)
    servers = [sim_server, service_server]
    client = stripe.StripeClient(
        API_KEY,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": sim_server.base_url},
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
    client.v1.billing.meters.create(
        params={
            "display_name": "Labelled orders",
            "event_name": "orders_labelled",
            "default_aggregation": {"formula": "count"},
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
        stripe_api_key=API_KEY,
        webhook_secret=endpoint.secret,
        stripe_api_base=sim_server.base_url,
        database_url=f"sqlite:///{tmp_path / 'billing.db'}",
        meter_event="orders_labelled",
        public_url=service_server.base_url,
        open_approval=True,
    )
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    store.set_plan(Plan("growth", "growth_monthly", 2000), int(clock.now().timestamp()))
    key = SigningKey.generate()
    late.app = create_app(
        settings, signing_key=key, store=store, clock=lambda: clock.now().timestamp()
    )
    http = httpx.Client(base_url=service_server.base_url, timeout=20)
    try:
        yield World(sim, client, http, key, store, servers)
    finally:
        http.close()
        sim.close()
        for server in servers:
            server.stop()


def _usage(orders: list[str], at: datetime) -> dict[str, Any]:
    return {
        "events": [
            {
                "id": hashlib.sha256(f"labelled/shop1/{o}".encode()).hexdigest(),
                "order_id": o,
                "occurred_at": at.isoformat(),
            }
            for o in orders
        ]
    }


def test_checkout_usage_renewal_dunning_and_cancellation(world: World) -> None:
    auth = world.login()
    plans = world.http.get("/v1/plans").json()["plans"]
    assert plans == [
        {
            "name": "growth",
            "order_limit": 2000,
            "price_lookup_key": "growth_monthly",
            "amount": 4900,
            "currency": "usd",
            "interval": "month",
        }
    ]
    session_id = world.subscribe(auth)
    session = world.stripe.v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["subscription"]}
    )
    account_id = world.claims(auth)["sub"]
    assert session.client_reference_id == account_id
    assert session.mode == "subscription"
    subscription = session.subscription
    assert isinstance(subscription, stripe.Subscription)
    assert subscription.metadata["account_id"] == account_id
    item = subscription["items"].data[0]

    claims = world.claims(auth)
    assert (claims["plan"], claims["status"], claims["order_limit"]) == ("growth", "active", 2000)
    assert (claims["period_start"], claims["period_end"]) == (
        item.current_period_start,
        item.current_period_end,
    )

    # Usage: the same batch three times counts once, and reaches the meter once.
    batch = _usage(["1", "2", "3"], START + timedelta(hours=1))
    answers = [
        world.http.post("/v1/usage", headers=_headers(auth), json=batch).json() for _ in range(3)
    ]
    assert [a["period_used"] for a in answers] == [3, 3, 3]
    assert [a["accepted"] for a in answers] == [3, 0, 0]
    _wait(lambda: world.sim.stats()["meter_events"]["accepted"] == 3)
    assert world.sim.stats()["meter_events"]["duplicates"] == 0
    # Our own idempotency keys, one per meter event; every request on the pinned API version.
    keys = [
        r["idempotency_key"] for r in world.sim.request_log if r["path"].endswith("/meter_events")
    ]
    assert sorted(keys) == sorted(f"mev:{e['id']}" for e in batch["events"])
    assert set(world.sim.stats()["api_versions"]) == {STRIPE_API_VERSION}
    # Forget that they were sent (a crash before the outcome was stored) and send again: within
    # a day Stripe replays the answer to our idempotency key; once the key has expired, its
    # "already exists" answer for the identifier counts as delivered. Neither counts twice.
    _forget_forwarding(world)
    world.http.post("/v1/usage", headers=_headers(auth), json=_usage(["4"], START))
    _wait(lambda: None not in _forwarded(world).values())
    assert world.sim.stats()["meter_events"]["accepted"] == 4
    world.sim.idempotency.ttl = timedelta(hours=1)
    world.advance(timedelta(hours=2))
    _forget_forwarding(world)
    world.http.post("/v1/usage", headers=_headers(auth), json=_usage(["5"], START))
    _wait(lambda: None not in _forwarded(world).values())
    assert sorted(str(v) for v in _forwarded(world).values()) == ["duplicate"] * 4 + ["sent"]
    assert world.sim.stats()["meter_events"]["accepted"] == 5

    portal = world.http.post("/v1/portal", headers=_headers(auth), json={})
    assert portal.status_code == 200, portal.text
    assert portal.json()["url"].startswith(world.servers[0].base_url)
    again = world.http.post("/v1/checkout", headers=_headers(auth), json={"plan": "growth"})
    assert again.status_code == 409

    # A paid renewal moves the period on; usage of the old period no longer counts.
    world.advance(timedelta(days=31))
    claims = world.claims(auth)
    assert claims["status"] == "active"
    assert claims["period_start"] >= item.current_period_end
    assert claims["used"] == 0

    # The next renewal fails: past_due with a dunning deadline, then canceled.
    world.sim.fail_next_payment(10)
    world.advance(timedelta(days=31))
    claims = world.claims(auth)
    assert (claims["status"], claims["order_limit"]) == ("past_due", 2000)
    assert claims["grace_until"] <= claims["iat"] + 14 * 86_400
    for _ in range(4):
        world.advance(timedelta(days=3, hours=1))
    claims = world.claims(auth)
    assert (claims["status"], claims["order_limit"]) == ("canceled", 0)


def test_duplicated_and_shuffled_deliveries_end_in_the_right_state(world: World) -> None:
    world.sim.duplicate_deliveries = True
    world.sim.shuffle_deliveries = True
    auth = world.login()
    world.subscribe(auth)
    claims = world.claims(auth)
    assert (claims["plan"], claims["status"]) == ("growth", "active")
    deliveries = world.sim.deliveries
    assert len(deliveries) >= 2 * 6
    assert all(d["outcome"] == "succeeded" for d in deliveries), deliveries
    assert any(d["duplicate"] for d in deliveries)
    subs = world.stripe.v1.subscriptions.list()
    assert len(subs.data) == 1
    world.sim.cancel_at_period_end(subs.data[0].id)
    assert world.sim.wait_for_webhooks(10)
    world.advance(timedelta(days=32))
    claims = world.claims(auth)
    assert (claims["status"], claims["order_limit"]) == ("canceled", 0)


def test_wrong_secret_is_refused_then_the_retry_lands(world: World) -> None:
    auth = world.login()
    world.sim.sign_with_wrong_secret = True
    world.subscribe(auth)
    assert world.claims(auth)["status"] == "none"
    refused = [d for d in world.sim.deliveries if d.get("status") == 400]
    assert refused, world.sim.deliveries
    world.sim.sign_with_wrong_secret = False
    world.advance(timedelta(minutes=2))  # the first retry is due after a minute
    assert world.claims(auth)["status"] == "active"


def _forget_forwarding(world: World) -> None:
    with world.store.engine.begin() as conn:
        conn.execute(update(usage_ledger).values(forwarded=None))


def _forwarded(world: World) -> dict[str, str | None]:
    with world.store.engine.connect() as conn:
        rows = conn.execute(select(usage_ledger.c.event_id, usage_ledger.c.forwarded)).all()
    return {row.event_id: row.forwarded for row in rows}


def _wait(condition: Any, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
