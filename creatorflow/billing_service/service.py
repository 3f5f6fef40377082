"""The service object the routes share: settings, store, Stripe gateway, signing key, clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from fastapi import Request

from creatorflow.billing_service.entitlement import Standing, claims, standing
from creatorflow.billing_service.gateway import StripeGateway
from creatorflow.billing_service.ratelimit import RateLimiter
from creatorflow.billing_service.records import Install, Plan
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey, sign

#: Seconds before a failed price lookup is tried again.
PRICE_RETRY = 600.0


class ApiError(Exception):
    """An error answer: `{"error": code, "message": message}` with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def _default_limiters() -> dict[str, RateLimiter]:
    # Device codes: a burst of 10, then one every 6 s. Polls: a burst of 30, then two a second
    # (a well-behaved client polls every 5 s). Approvals: a burst of 10, then one every 3 s,
    # which makes guessing an 8-letter user code hopeless within its 15 minutes.
    return {
        "device_code": RateLimiter(10, 1 / 6),
        "device_token": RateLimiter(30, 2),
        "device_approve": RateLimiter(10, 1 / 3),
    }


@dataclass
class BillingService:
    """Everything a request handler needs; one per app."""

    settings: Settings
    store: BillingStore
    signing_key: SigningKey
    gateway: StripeGateway | None = None
    clock: Callable[[], float] = time.time
    limiters: dict[str, RateLimiter] = field(default_factory=_default_limiters)
    #: Guards the two in-memory maps below it.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: One lock per account, held while its usage is forwarded to the Billing Meter.
    _forward_locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    #: When each plan's Stripe price was last looked up without success.
    _price_attempts: dict[str, float] = field(default_factory=dict, repr=False)

    def now(self) -> int:
        """The current time in Unix seconds."""
        return int(self.clock())

    def forward_lock(self, account_id: str) -> threading.Lock:
        """The lock held while the account's usage is forwarded to the Billing Meter."""
        with self._lock:
            return self._forward_locks.setdefault(account_id, threading.Lock())

    def public_url(self, request: Request) -> str:
        """The base URL people and Stripe reach the service at."""
        return self.settings.public_url or str(request.base_url).rstrip("/")

    def require_gateway(self) -> StripeGateway:
        """The Stripe gateway, or a 503 when the service has no Stripe key.

        Raises:
            ApiError: 503 `stripe_not_configured`.
        """
        if self.gateway is None:
            raise ApiError(503, "stripe_not_configured", "The service has no Stripe API key.")
        return self.gateway

    def standing(self, account_id: str, now: int) -> Standing:
        """The account's plan, limit, status and period now."""
        plans = {plan.name: plan for plan in self.store.plans()}
        return standing(self.store.subscription(account_id), plans, now, self.settings)

    def used(self, account_id: str, state: Standing) -> int:
        """The account's authoritative usage count in the period of `state`."""
        return self.store.count_usage(account_id, state.period_start, state.period_end)

    def entitlement(self, install: Install, now: int, state: Standing, used: int) -> str:
        """A freshly signed entitlement token for this install."""
        body = claims(
            state,
            account_id=install.account_id,
            install_id=install.id,
            used=used,
            now=now,
            settings=self.settings,
        )
        return sign(body, self.signing_key)

    def priced(self, plan: Plan) -> Plan:
        """The plan with its Stripe price filled in, looked up (and stored) when missing.

        A failed lookup is not repeated for `PRICE_RETRY` seconds, so listing plans stays fast
        while Stripe is down or a lookup key has no price yet.

        Raises:
            GatewayError: Stripe could not be asked (only when `self.gateway` is set).
        """
        if plan.price_id is not None or self.gateway is None:
            return plan
        now = time.monotonic()
        with self._lock:
            if now - self._price_attempts.get(plan.name, -PRICE_RETRY) < PRICE_RETRY:
                return plan
            self._price_attempts[plan.name] = now
        price = self.gateway.find_price(plan.price_lookup_key)
        if price is None:
            return plan
        self.store.cache_price(plan.name, price.id, price.amount, price.currency, price.interval)
        with self._lock:
            self._price_attempts.pop(plan.name, None)
        return replace(
            plan,
            price_id=price.id,
            amount=price.amount,
            currency=price.currency,
            interval=price.interval,
        )
