"""The Stripe simulator: state, knobs and test hooks behind one ASGI app."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.stripe import errors, lifecycle, render
from creatorflow.sandbox.stripe.delivery import Deliver, Dispatcher
from creatorflow.sandbox.stripe.faults import FaultPlan
from creatorflow.sandbox.stripe.idempotency import IdempotencyStore
from creatorflow.sandbox.stripe.model import (
    CheckoutSession,
    Customer,
    Event,
    IdMaker,
    Invoice,
    Item,
    Meter,
    MeterEvent,
    PortalSession,
    Price,
    Product,
    Subscription,
    WebhookEndpoint,
)
from creatorflow.sandbox.stripe.webhooks import new_endpoint

API_VERSION: Final = "2026-10-28.endive"
"""The API version stripe 16.1.0 pins (``stripe._api_version._ApiVersion.CURRENT``)."""

OUTCOMES = ("canceled", "unpaid")


class StripeSimulator:
    """A faithful local Stripe Billing API for the ``stripe`` 16.x SDK, deterministic from ``seed``.

    Point the SDK at it with ``StripeClient(api_key, base_addresses={"api": base_url})``.

    Knobs (plain attributes, also settable through ``/_sim`` routes):

    * ``api_key`` — the only key accepted (``Authorization: Bearer``; else 401).
    * ``clock`` — simulated time (a shared :class:`SimClock`); renewals, retries and session
      expiry follow it, lazily on each request and on :meth:`advance`.
    * ``deliver(url, body, headers) -> status`` — how webhooks reach endpoints. None: an httpx
      POST from a background thread. Given: called synchronously right after each change.
    * ``wall`` — the real-time clock that webhook signatures are stamped with.
    * ``payment_retries`` (3), ``payment_retry_interval`` (3 days),
      ``failed_subscription_outcome`` (``"canceled"`` or ``"unpaid"``) — dunning.
    * ``webhook_retry_schedule`` — delays before re-delivering after a non-2xx.
    * ``duplicate_deliveries``, ``shuffle_deliveries``, ``sign_with_wrong_secret`` — switches.
    * ``meter_identifier_ttl`` (24 h), ``idempotency.ttl`` (24 h), ``public_url`` (the base of
      hosted-page URLs; default: the address the creating request came to).
    * ``faults`` — a :class:`FaultPlan`.

    All state sits behind ``lock``; the app takes it for each request.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        api_key: str = "sk_test_sandbox",
        clock: SimClock | None = None,
        deliver: Deliver | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        from creatorflow.sandbox.stripe.app import build_app

        self.seed = seed
        self.api_key = api_key
        self.api_version = API_VERSION
        self.clock = clock if clock is not None else SimClock()
        self.wall = wall
        self.lock = threading.RLock()
        self.public_url: str | None = None
        self.payment_retries = 3
        self.payment_retry_interval = timedelta(days=3)
        self.failed_subscription_outcome = "canceled"
        self.webhook_retry_schedule: tuple[timedelta, ...] = (
            timedelta(minutes=1),
            timedelta(minutes=10),
            timedelta(hours=1),
        )
        self.meter_identifier_ttl = timedelta(hours=24)
        self.duplicate_deliveries = False
        self.shuffle_deliveries = False
        self.sign_with_wrong_secret = False
        self.current_request: tuple[str | None, str | None] = (None, None)
        self.faults = FaultPlan(seed)
        self.idempotency = IdempotencyStore()
        self.delivery = Dispatcher(self, deliver)
        self._init_state()
        self.app = build_app(self)

    def _init_state(self) -> None:
        self.ids = IdMaker(self.seed)
        # Request ids draw from their own counter so that retries and faults leave object ids
        # unchanged.
        self.request_ids = IdMaker(self.seed)
        self.customers: dict[str, Customer] = {}
        self.products: dict[str, Product] = {}
        self.prices: dict[str, Price] = {}
        self.checkout_sessions: dict[str, CheckoutSession] = {}
        self.portal_sessions: dict[str, PortalSession] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.items: dict[str, Item] = {}
        self.invoices: dict[str, Invoice] = {}
        self.meters: dict[str, Meter] = {}
        self.meter_events: list[MeterEvent] = []
        self.meter_identifiers: dict[str, MeterEvent] = {}
        self.webhook_endpoints: dict[str, WebhookEndpoint] = {}
        self.events: dict[str, Event] = {}
        self.payments_to_fail = 0
        self.payment_outcomes: Counter[str] = Counter()
        self.meter_counts: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.api_versions: Counter[str] = Counter()
        self.request_log: deque[dict[str, Any]] = deque(maxlen=2000)

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Simulated now (aware UTC)."""
        return self.clock.now()

    def timestamp(self) -> int:
        """Simulated now in Unix seconds."""
        return self.clock.timestamp()

    def catch_up(self) -> None:
        """Apply renewals, payment retries and session expiry due by now (caller holds lock)."""
        lifecycle.catch_up(self, self.timestamp())

    def tick(self) -> None:
        """:meth:`catch_up` under the lock."""
        with self.lock:
            self.catch_up()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward and apply, in order, everything that fell due; then deliver
        the webhooks that became due (synchronously with a ``deliver`` function)."""
        self.clock.advance(delta)
        self.tick()
        self._after_change()

    def _after_change(self) -> None:
        if self.delivery.background:
            self.delivery.wake()
        else:
            self.delivery.deliver_due()

    # -- test hooks -------------------------------------------------------------------------

    def complete_checkout(self, session_id: str, outcome: str = "success") -> dict[str, Any]:
        """What the hosted page does when the buyer pays (``"success"``) or is declined
        (``"fail"``: the session stays open). Returns the session as the API renders it.

        On success: a customer if the session had none (``customer.created``), an ``active``
        (or ``trialing``) subscription with ``subscription_data.metadata``, a paid
        ``subscription_create`` invoice, then ``customer.subscription.created``,
        ``invoice.created``, ``invoice.finalized``, ``invoice.paid``,
        ``invoice.payment_succeeded``, ``checkout.session.completed``.

        Raises:
            ApiError: no such session (404) or it is not open (400).
        """
        with self.lock:
            self.catch_up()
            lifecycle.complete_checkout(self, session_id, outcome, self.timestamp())
            result = render.checkout_session(self, self.checkout_sessions[session_id])
        self._after_change()
        return result

    def expire_checkout(self, session_id: str) -> dict[str, Any]:
        """Expire an open session now (``checkout.session.expired``)."""
        with self.lock:
            s = self.checkout_sessions.get(session_id)
            if s is None:
                raise errors.no_such("checkout.session", session_id)
            if s.status != "open":
                raise errors.invalid(f"This Checkout Session is {s.status}.")
            lifecycle.expire(self, s, self.timestamp())
            result = render.checkout_session(self, s)
        self._after_change()
        return result

    def fail_next_payment(self, n: int = 1) -> None:
        """The next `n` charges of non-zero invoices (renewals and their retries) fail."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self.lock:
            self.payments_to_fail += n

    def switch_price(self, subscription_id: str, price: str) -> dict[str, Any]:
        """Portal action: move the subscription's first item to `price` (id or lookup key)."""
        return self._subscription_action(
            lambda at: lifecycle.switch_price(self, subscription_id, price, at)
        )

    def cancel_at_period_end(self, subscription_id: str, cancel: bool = True) -> dict[str, Any]:
        """Portal action: cancel at the end of the period (or withdraw that, `cancel=False`)."""
        return self._subscription_action(
            lambda at: lifecycle.set_cancel_at_period_end(self, subscription_id, cancel, at)
        )

    def cancel_now(self, subscription_id: str) -> dict[str, Any]:
        """Portal action: cancel immediately (``customer.subscription.deleted``)."""
        return self._subscription_action(lambda at: lifecycle.cancel_now(self, subscription_id, at))

    def _subscription_action(self, action: Callable[[int], Subscription]) -> dict[str, Any]:
        with self.lock:
            self.catch_up()
            sub = action(self.timestamp())
            result = render.subscription(self, sub)
        self._after_change()
        return result

    def portal_action(
        self,
        session_id: str,
        action: str,
        subscription_id: str | None = None,
        price: str | None = None,
    ) -> dict[str, Any]:
        """A portal button: ``switch_price`` (needs `price`), ``cancel_at_period_end``,
        ``reactivate`` or ``cancel_now`` on the session customer's subscription (the newest
        live one unless `subscription_id` is given)."""
        with self.lock:
            s = self.portal_sessions.get(session_id)
            if s is None:
                raise errors.no_such("billing_portal.session", session_id)
            if subscription_id is None:
                live = [
                    x
                    for x in self.subscriptions.values()
                    if x.customer == s.customer and x.status in lifecycle.LIVE
                ]
                if not live:
                    raise errors.invalid("This customer has no live subscription.")
                subscription_id = max(live, key=lambda x: x.seq).id
            sub = self.subscriptions.get(subscription_id)
            if sub is None or sub.customer != s.customer:
                raise errors.no_such("subscription", subscription_id, param="subscription")
        if action == "switch_price":
            if not price:
                raise errors.missing("price")
            return self.switch_price(subscription_id, price)
        if action in ("cancel_at_period_end", "reactivate"):
            return self.cancel_at_period_end(subscription_id, action == "cancel_at_period_end")
        if action == "cancel_now":
            return self.cancel_now(subscription_id)
        raise errors.invalid(f"Unknown portal action: {action}")

    def configure(
        self,
        *,
        payment_retries: int | None = None,
        payment_retry_interval: timedelta | None = None,
        failed_subscription_outcome: str | None = None,
    ) -> dict[str, Any]:
        """Change the dunning settings given; returns all of them (seconds for the interval)."""
        with self.lock:
            if payment_retries is not None:
                if payment_retries < 0:
                    raise ValueError("payment_retries must be >= 0")
                self.payment_retries = payment_retries
            if payment_retry_interval is not None:
                self.payment_retry_interval = payment_retry_interval
            if failed_subscription_outcome is not None:
                if failed_subscription_outcome not in OUTCOMES:
                    raise ValueError(f"failed_subscription_outcome must be one of {OUTCOMES}")
                self.failed_subscription_outcome = failed_subscription_outcome
            return {
                "payment_retries": self.payment_retries,
                "payment_retry_interval_seconds": self.payment_retry_interval.total_seconds(),
                "failed_subscription_outcome": self.failed_subscription_outcome,
            }

    # -- webhooks -----------------------------------------------------------------------------

    def add_webhook_endpoint(
        self,
        url: str,
        enabled_events: Iterable[str] = ("*",),
        *,
        secret: str | None = None,
    ) -> dict[str, Any]:
        """Register an endpoint without the API (e.g. with a known `secret`); returns it as
        ``POST /v1/webhook_endpoints`` does, ``secret`` included."""
        with self.lock:
            endpoint = new_endpoint(
                self, url, list(enabled_events), secret=secret, api_version=self.api_version
            )
            return render.webhook_endpoint(self, endpoint) | {"secret": endpoint.secret}

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first: one entry per attempt (see :mod:`delivery`)."""
        with self.lock:
            return [dict(entry) for entry in self.delivery.log]

    def deliver_webhooks(self) -> int:
        """Deliver, in this thread, every delivery due now; how many attempts were made."""
        return self.delivery.deliver_due()

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until no delivery is due or in flight (background delivery); False on timeout."""
        deadline = time.monotonic() + timeout
        self.delivery.wake()
        while time.monotonic() < deadline:
            if self.delivery.idle():
                return True
            time.sleep(0.01)
        return self.delivery.idle()

    def close(self) -> None:
        """Stop the background delivery thread, if one runs."""
        self.delivery.close()

    # -- bookkeeping --------------------------------------------------------------------------

    def find_price(self, ref: str) -> Price | None:
        """A price by id, or the price holding lookup key `ref`."""
        price = self.prices.get(ref)
        if price is not None:
            return price
        return next((p for p in self.prices.values() if p.lookup_key == ref), None)

    def record_request(
        self,
        name: str,
        path: str,
        status: int,
        request_id: str,
        idempotency_key: str | None,
        replayed: bool,
        fault: str | None,
    ) -> None:
        """Count one API request and keep it in ``request_log``."""
        with self.lock:
            self.requests[name] += 1
            self.responses[f"{name} {status}"] += 1
            self.request_log.append(
                {
                    "endpoint": name,
                    "path": path,
                    "status": status,
                    "request_id": request_id,
                    "idempotency_key": idempotency_key,
                    "replayed": replayed,
                    "fault": fault,
                }
            )

    def reset(self, *, keep_webhook_endpoints: bool = True) -> None:
        """Forget every object, event, delivery, idempotency key, fault and counter.

        Knobs, the clock and (unless told otherwise) the webhook endpoints with their secrets
        stay, so a billing service registered once keeps receiving events.
        """
        with self.lock:
            endpoints = dict(self.webhook_endpoints) if keep_webhook_endpoints else {}
            self._init_state()
            self.webhook_endpoints.update(endpoints)
            self.idempotency.clear()
            self.delivery.reset()
            self.faults.clear()

    def stats(self) -> dict[str, Any]:
        """Counters for tests and benchmarks (JSON-able)."""
        with self.lock:
            return {
                "requests": dict(self.requests),
                "responses": dict(self.responses),
                "faults": dict(self.faults.injected),
                "api_versions": dict(self.api_versions),
                "idempotent_replays": self.idempotency.replays,
                "idempotency_conflicts": self.idempotency.conflicts,
                "customers": len(self.customers),
                "products": len(self.products),
                "prices": len(self.prices),
                "checkout_sessions": dict(
                    Counter(s.status for s in self.checkout_sessions.values())
                ),
                "subscriptions": dict(Counter(s.status for s in self.subscriptions.values())),
                "invoices": dict(Counter(i.status for i in self.invoices.values())),
                "payments": dict(self.payment_outcomes),
                "meter_events": {
                    "accepted": self.meter_counts["accepted"],
                    "duplicates": self.meter_counts["duplicates"],
                    "rejected": self.meter_counts["rejected"],
                    "canceled": self.meter_counts["canceled"],
                },
                "events": dict(Counter(e.type for e in self.events.values())),
                "webhook_deliveries": dict(self.delivery.outcomes)
                | {"pending": self.delivery.pending()},
            }
