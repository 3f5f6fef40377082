"""The sandbox's billing: the Stripe simulator and the real billing service, on loopback.

:func:`run_sandbox_billing` is the one place both ``creatorflow demo`` and ``creatorflow
sandbox serve`` start them. It serves the Stripe simulator, creates each sandbox plan's
product and price there (by lookup key, as the vendor does in the Stripe dashboard), starts the
hosted billing service (``creatorflow.billing_service``) in this process with a throwaway
Ed25519 signing key, a throwaway SQLite database, the simulator as its Stripe and open device
approval (anyone may approve a login on its ``/device`` page, as ``serve --dev`` allows), and
registers the service as the simulator's webhook endpoint. Nothing of it outlives the block.

The local tool still talks to the service only over HTTP (``billing.url``) and trusts its
entitlements through ``billing.trusted_keys`` (:attr:`SandboxBilling.trusted_keys`). FastAPI
and the ``stripe`` SDK are imported only when this runs.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from creatorflow.sandbox.stripe import StripeSimulator

__all__ = [
    "SANDBOX_EMAIL",
    "SANDBOX_PLANS",
    "STRIPE_KEY",
    "SandboxBilling",
    "SandboxPlan",
    "checkout_session_id",
    "run_sandbox_billing",
]

#: The only key the sandbox's Stripe simulator accepts (the billing service holds it).
STRIPE_KEY = "sk_test_creatorflow_sandbox"
#: The account the demo signs in as (the sandbox's approval page takes any email).
SANDBOX_EMAIL = "creator@example.com"
#: How long the demo waits for the simulator's webhooks to reach the service.
WEBHOOK_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class SandboxPlan:
    """A plan on sale in the sandbox: its Stripe price and its order limit."""

    name: str
    title: str
    lookup_key: str
    order_limit: int
    amount: int
    currency: str = "usd"
    interval: str = "month"


SANDBOX_PLANS = (
    SandboxPlan("starter", "Starter", "starter_monthly", 100, 1900),
    SandboxPlan("growth", "Growth", "growth_monthly", 1000, 4900),
    SandboxPlan("scale", "Scale", "scale_monthly", 10_000, 14900),
)


def checkout_session_id(url: str) -> str:
    """The Checkout Session id at the end of a (simulated) Stripe Checkout URL."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SandboxBilling:
    """A running sandbox billing: where the simulator and the service listen, and their key."""

    stripe_url: str
    billing_url: str
    kid: str
    public_key: str
    stripe: StripeSimulator
    engine: Engine

    @property
    def trusted_keys(self) -> str:
        """The ``billing.trusted_keys`` value that makes the local tool accept its tokens."""
        return f"{self.kid}:{self.public_key}"

    def approve(self, user_code: str, email: str = SANDBOX_EMAIL) -> None:
        """Approve a device login on the service's ``/device`` page, as a person clicking would.

        Raises:
            RuntimeError: the page refused (unknown or expired code).
        """
        import httpx

        form = {"user_code": user_code, "email": email, "action": "approve"}
        with httpx.Client(base_url=self.billing_url, timeout=20) as client:
            page = client.post("/device", data=form)
        if page.status_code != 200:
            raise RuntimeError(f"the sandbox billing service refused the approval: {page.text}")

    def pay(self, checkout_url: str) -> None:
        """Pay on the simulated Checkout page, then wait until the service has the webhooks.

        Raises:
            RuntimeError: the webhooks were not delivered in time.
        """
        self.stripe.complete_checkout(checkout_session_id(checkout_url))
        if not self.stripe.wait_for_webhooks(WEBHOOK_WAIT_SECONDS):
            raise RuntimeError("the Stripe simulator's webhooks did not reach the billing service")

    def stats(self) -> dict[str, object]:
        """JSON-able counts for ``sandbox stats``: sign-ins, subscriptions, usage, webhooks."""
        from sqlalchemy import func, select

        from creatorflow.billing_service import db

        with self.engine.connect() as conn:
            accounts = conn.execute(select(func.count()).select_from(db.accounts)).scalar_one()
            installs = conn.execute(
                select(func.count())
                .select_from(db.installs)
                .where(db.installs.c.revoked_at.is_(None))
            ).scalar_one()
            statuses = conn.execute(
                select(db.subscriptions.c.status, func.count()).group_by(db.subscriptions.c.status)
            ).all()
            usage = conn.execute(select(func.count()).select_from(db.usage_ledger)).scalar_one()
        stripe = self.stripe.stats()
        deliveries = stripe.get("webhook_deliveries", {})
        return {
            "stripe_url": self.stripe_url,
            "billing_url": self.billing_url,
            "accounts": int(accounts),
            "installs": int(installs),
            "subscriptions": {str(status): int(n) for status, n in statuses},
            "usage_events": int(usage),
            "checkouts": stripe.get("checkout_sessions", {}),
            "webhook_deliveries": deliveries if isinstance(deliveries, dict) else {},
        }


def _seed_prices(stripe_url: str, plans: tuple[SandboxPlan, ...]) -> None:
    """Create each plan's product and recurring price in the simulator, through its API."""
    import httpx

    from creatorflow.billing_service.gateway import STRIPE_API_VERSION

    headers = {"Authorization": f"Bearer {STRIPE_KEY}", "Stripe-Version": STRIPE_API_VERSION}
    with httpx.Client(base_url=stripe_url, headers=headers, timeout=20) as client:
        for plan in plans:
            product = client.post("/v1/products", data={"name": f"CreatorFlow {plan.title}"})
            product.raise_for_status()
            price = client.post(
                "/v1/prices",
                data={
                    "product": product.json()["id"],
                    "currency": plan.currency,
                    "unit_amount": str(plan.amount),
                    "recurring[interval]": plan.interval,
                    "lookup_key": plan.lookup_key,
                },
            )
            price.raise_for_status()


def _serve(name: str, app: Any, host: str) -> tuple[Callable[[], None], str]:
    from creatorflow.sandbox.control import SandboxServers

    servers = SandboxServers({name: app}, host=host)
    servers.start()
    return servers.close, servers.urls[name]


@contextmanager
def run_sandbox_billing(
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
    plans: tuple[SandboxPlan, ...] = SANDBOX_PLANS,
) -> Iterator[SandboxBilling]:
    """Serve the Stripe simulator and the billing service (sandbox plans on sale) until the
    block ends, then stop both and delete their data.

    Raises:
        OSError: ``host`` cannot be listened on.
    """
    from creatorflow.billing_service.app import create_app
    from creatorflow.billing_service.db import make_engine
    from creatorflow.billing_service.records import Plan
    from creatorflow.billing_service.settings import Settings
    from creatorflow.billing_service.store import BillingStore
    from creatorflow.billing_service.tokens import SigningKey
    from creatorflow.sandbox.stripe import StripeSimulator

    with ExitStack() as stack:
        folder = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="cf-billing-", ignore_cleanup_errors=True)
            )
        )
        sim = StripeSimulator(seed=seed, api_key=STRIPE_KEY)
        stack.callback(sim.close)
        stop_stripe, stripe_url = _serve("stripe", sim.app, host)
        stack.callback(stop_stripe)
        _seed_prices(stripe_url, plans)
        webhook_secret = f"whsec_{secrets.token_urlsafe(24)}"
        settings = Settings(
            stripe_api_key=STRIPE_KEY,
            webhook_secret=webhook_secret,
            stripe_api_base=stripe_url,
            database_url=f"sqlite:///{folder / 'billing.db'}",
            open_approval=True,
        )
        engine = make_engine(settings.database_url)
        stack.callback(engine.dispose)
        store = BillingStore(engine)
        store.create_tables()
        for plan in plans:
            store.set_plan(
                Plan(plan.name, plan.lookup_key, plan.order_limit), sim.clock.timestamp()
            )
        key = SigningKey.generate()
        app = create_app(settings, signing_key=key, store=store)
        stop_billing, billing_url = _serve("billing", app, host)
        stack.callback(stop_billing)
        sim.add_webhook_endpoint(f"{billing_url}/stripe/webhook", ["*"], secret=webhook_secret)
        yield SandboxBilling(
            stripe_url=stripe_url,
            billing_url=billing_url,
            kid=key.kid,
            public_key=key.public_key_b64(),
            stripe=sim,
            engine=engine,
        )
