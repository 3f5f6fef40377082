"""A served Stripe simulator, the real ``stripe`` SDK pointed at it and a webhook recorder."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import stripe

from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.stripe import API_VERSION, StripeSimulator

START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
KEY = "sk_test_sandbox"
HOOK_URL = "http://hooks.test/stripe"


@dataclass
class Delivery:
    """One webhook POST as the receiver saw it."""

    url: str
    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


@dataclass
class Recorder:
    """A synchronous ``deliver`` function that records and answers ``statuses`` in turn."""

    received: list[Delivery] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.received.append(Delivery(url, body, dict(headers)))
            return self.statuses.pop(0) if self.statuses else 200

    def types(self) -> list[str]:
        """Event types in delivery order."""
        return [d.event["type"] for d in self.received]


@dataclass
class Env:
    """A simulator, its server, an SDK client, the endpoint secret and the recorder."""

    sim: StripeSimulator
    server: RunningServer
    client: stripe.StripeClient
    secret: str
    hooks: Recorder
    http: httpx.Client

    @property
    def base_url(self) -> str:
        return self.server.base_url


def client_for(base_url: str, key: str = KEY, retries: int = 2) -> stripe.StripeClient:
    """The SDK as the billing service builds it: pinned version, explicit retries."""
    return stripe.StripeClient(
        key,
        base_addresses={"api": base_url},
        max_network_retries=retries,
        stripe_version=API_VERSION,
    )


@pytest.fixture
def env() -> Iterator[Env]:
    hooks = Recorder()
    sim = StripeSimulator(3, clock=SimClock(START, speed=0), deliver=hooks)
    with serve(sim.app) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        client = client_for(server.base_url)
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": HOOK_URL, "enabled_events": ["*"], "api_version": API_VERSION}
        )
        assert endpoint.secret is not None
        yield Env(sim, server, client, endpoint.secret, hooks, http)
        sim.close()


def growth_price(client: stripe.StripeClient, lookup_key: str = "growth_monthly") -> stripe.Price:
    """A Growth product and its monthly price (2900 usd)."""
    product = client.v1.products.create(
        params={"name": "Growth", "metadata": {"order_limit": "2000"}}
    )
    return client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 2900,
            "recurring": {"interval": "month"},
            "lookup_key": lookup_key,
        }
    )


def subscribe(env: Env, price_id: str, account: str = "acct_1") -> stripe.checkout.Session:
    """Create a subscription Checkout Session and pay it through the control hook."""
    session = env.client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": account,
            "subscription_data": {"metadata": {"account_id": account}},
            "success_url": "http://localhost/done?cs={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://localhost/cancel",
        }
    )
    env.sim.complete_checkout(session.id)
    return env.client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
