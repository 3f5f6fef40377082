"""The billing service in-process, with a fake Stripe gateway, a movable clock and helpers.

The webhook signer here is written out again from Stripe's documented scheme (HMAC-SHA256 of
`"{t}.{body}"` keyed with the whole `whsec_` string) rather than borrowed from the SDK, so the
service's verification is checked against an independent implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from creatorflow.billing_service.app import create_app
from creatorflow.billing_service.db import make_engine
from creatorflow.billing_service.gateway import (
    CheckoutSession,
    GatewayError,
    NotFoundError,
    Price,
    Subscription,
    SubscriptionItem,
)
from creatorflow.billing_service.records import Plan
from creatorflow.billing_service.service import BillingService
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey
from creatorflow.http_server import RunningServer, serve

WEBHOOK_SECRET = "whsec_test_secret_0123456789"
START = 1_780_000_000  # 2026-05-28, a fixed "now" for the service's clock
DAY = 86_400
GROWTH_LIMIT = 2_000


class FakeClock:
    """The service's clock, moved by tests."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeStripe:
    """A `StripeGateway` that keeps subscriptions in a dict and records every call."""

    prices: dict[str, Price] = field(
        default_factory=lambda: {
            "starter_monthly": Price("price_starter", "starter_monthly", 1900, "usd", "month"),
            "growth_monthly": Price("price_growth", "growth_monthly", 4900, "usd", "month"),
        }
    )
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    checkouts: list[dict[str, Any]] = field(default_factory=list)
    portals: list[dict[str, Any]] = field(default_factory=list)
    meter_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_calls: int = 0
    down: bool = False
    price_lookups: int = 0

    def find_price(self, lookup_key: str) -> Price | None:
        self.price_lookups += 1
        if self.down:
            raise GatewayError("down", retryable=True)
        return self.prices.get(lookup_key)

    def create_checkout_session(self, **kwargs: Any) -> CheckoutSession:
        if self.down:
            raise GatewayError("down", retryable=True)
        self.checkouts.append(kwargs)
        n = len(self.checkouts)
        return CheckoutSession(id=f"cs_test_{n}", url=f"https://checkout.test/c/cs_test_{n}")

    def create_portal_session(self, **kwargs: Any) -> str:
        if self.down:
            raise GatewayError("down", retryable=True)
        self.portals.append(kwargs)
        return f"https://portal.test/p/bps_{len(self.portals)}"

    def retrieve_subscription(self, subscription_id: str) -> Subscription:
        if self.down:
            raise GatewayError("down", retryable=True)
        if subscription_id not in self.subscriptions:
            raise NotFoundError("no such subscription", retryable=False, status=404)
        return self.subscriptions[subscription_id]

    def send_meter_event(
        self, *, event_name: str, customer_id: str, identifier: str, timestamp: int
    ) -> bool:
        self.meter_calls += 1
        if self.down:
            raise GatewayError("down", retryable=True)
        if identifier in self.meter_events:
            return False
        self.meter_events[identifier] = {
            "event_name": event_name,
            "customer": customer_id,
            "timestamp": timestamp,
        }
        return True

    def put_subscription(
        self,
        sub_id: str,
        *,
        account_id: str,
        status: str = "active",
        lookup_key: str = "growth_monthly",
        start: int = START,
        end: int = START + 30 * DAY,
        customer: str = "cus_test_1",
        created: int = START,
        cancel_at_period_end: bool = False,
    ) -> Subscription:
        """Create or replace a subscription as Stripe would now return it."""
        sub = Subscription(
            id=sub_id,
            customer=customer,
            status=status,
            created=created,
            cancel_at_period_end=cancel_at_period_end,
            metadata={"account_id": account_id},
            items=(SubscriptionItem(f"price_{lookup_key}", lookup_key, start, end),),
        )
        self.subscriptions[sub_id] = sub
        return sub

    def set_status(self, sub_id: str, status: str) -> None:
        self.subscriptions[sub_id] = replace(self.subscriptions[sub_id], status=status)


def sign_webhook(body: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `body`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_body(event_id: str, event_type: str, obj: dict[str, Any], created: int = START) -> str:
    """A Stripe event as its JSON body."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": created,
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    )


@dataclass
class Harness:
    """The app, its service, its fake Stripe, its clock and an HTTP client."""

    app: FastAPI
    server: RunningServer
    client: httpx.Client
    stripe: FakeStripe
    clock: FakeClock
    key: SigningKey

    def close(self) -> None:
        """Stop the client and the server."""
        self.client.close()
        self.server.stop()

    @property
    def service(self) -> BillingService:
        service: BillingService = self.app.state.service
        return service

    @property
    def store(self) -> BillingStore:
        return self.service.store

    def login(self, email: str = "creator@example.com", station: str = "packing-1") -> Login:
        """Run the device login end to end and return the install's credentials."""
        code = self.client.post("/v1/device/code", json={"station": station}).json()
        approved = self.client.post(
            "/device",
            data={"user_code": code["user_code"], "email": email, "action": "approve"},
        )
        assert approved.status_code == 200, approved.text
        got = self.client.post("/v1/device/token", json={"device_code": code["device_code"]})
        assert got.status_code == 200, got.text
        body = got.json()
        return Login(body["install_token"], body["install_id"], body["account_id"])

    def webhook(
        self,
        event_id: str,
        event_type: str,
        obj: dict[str, Any],
        created: int = START,
    ) -> httpx.Response:
        """Deliver a correctly signed event."""
        body = event_body(event_id, event_type, obj, created)
        return self.client.post(
            "/stripe/webhook",
            content=body,
            headers={"Stripe-Signature": sign_webhook(body), "Content-Type": "application/json"},
        )


@dataclass(frozen=True)
class Login:
    """An install's credentials from the device login."""

    token: str
    install_id: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_harness(
    tmp_path: Path,
    *,
    meter_event: str | None = None,
    with_gateway: bool = True,
    webhook_secret: str | None = WEBHOOK_SECRET,
    database_url: str | None = None,
    open_approval: bool = True,
    approval_email_header: str | None = None,
) -> Harness:
    """A fresh service (SQLite in `tmp_path` by default), served on loopback (call `close()`)."""
    settings = Settings(
        webhook_secret=webhook_secret,
        database_url=database_url or f"sqlite:///{tmp_path / 'billing.db'}",
        meter_event=meter_event,
        public_url="https://billing.test",
        open_approval=open_approval,
        approval_email_header=approval_email_header,
    )
    clock = FakeClock()
    fake = FakeStripe()
    key = SigningKey.generate()
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    store.set_plan(Plan("starter", "starter_monthly", 300), START)
    store.set_plan(Plan("growth", "growth_monthly", GROWTH_LIMIT), START)
    app = create_app(
        settings,
        signing_key=key,
        store=store,
        gateway=fake if with_gateway else None,
        clock=clock,
    )
    server = serve(app)
    client = httpx.Client(base_url=server.base_url, timeout=10)
    return Harness(app, server, client, fake, clock, key)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """The service with a fake Stripe."""
    h = make_harness(tmp_path)
    try:
        yield h
    finally:
        h.close()


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    """Wait until `condition()` is true (work the server does after answering)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
