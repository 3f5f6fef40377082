"""The Stripe gateway: the only module that imports `stripe` (reference `stripe-billing.md` §1-4).

The rest of the service speaks to Stripe through the `StripeGateway` protocol and plain
dataclasses, so tests inject a fake and nothing else depends on the SDK's object model. The real
gateway uses a `StripeClient` with explicit network retries, the pinned API version, an
overridable API base (the sandbox simulator) and our own idempotency keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import stripe

logger = logging.getLogger(__name__)

#: Pinned so that an SDK upgrade cannot silently change payload shapes (reference §1.8).
STRIPE_API_VERSION: Final = "2026-10-28.endive"
#: `StripeClient` makes no retries unless told (reference §1.5).
MAX_NETWORK_RETRIES = 2
REQUEST_TIMEOUT = 20.0


class GatewayError(Exception):
    """Stripe was unreachable or refused; `retryable` says whether trying later can help."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class NotFoundError(GatewayError):
    """Stripe has no such object."""


class WebhookSignatureError(ValueError):
    """The `Stripe-Signature` header is missing, malformed, wrong or too old."""


@dataclass(frozen=True)
class Price:
    """The parts of a Stripe price a plan needs."""

    id: str
    lookup_key: str | None
    amount: int | None
    currency: str | None
    interval: str | None


@dataclass(frozen=True)
class SubscriptionItem:
    """One subscription item: its price and its billing period (periods live on items)."""

    price_id: str
    lookup_key: str | None
    period_start: int
    period_end: int


@dataclass(frozen=True)
class Subscription:
    """A subscription as re-fetched from Stripe."""

    id: str
    customer: str
    status: str
    created: int
    cancel_at_period_end: bool
    metadata: Mapping[str, str] = field(default_factory=dict)
    items: tuple[SubscriptionItem, ...] = ()


@dataclass(frozen=True)
class CheckoutSession:
    """A created Checkout Session."""

    id: str
    url: str


class StripeGateway(Protocol):
    """What the service asks of Stripe."""

    def find_price(self, lookup_key: str) -> Price | None:
        """The active price with this lookup key, or None."""
        ...

    def create_checkout_session(
        self,
        *,
        price_id: str,
        account_id: str,
        plan: str,
        customer_id: str | None,
        customer_email: str | None,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> CheckoutSession:
        """A subscription-mode Checkout Session for one plan."""
        ...

    def create_portal_session(
        self, *, customer_id: str, return_url: str, idempotency_key: str
    ) -> str:
        """A Customer Portal session; returns its URL."""
        ...

    def retrieve_subscription(self, subscription_id: str) -> Subscription:
        """The subscription as it is now."""
        ...

    def send_meter_event(
        self, *, event_name: str, customer_id: str, identifier: str, timestamp: int
    ) -> bool:
        """Report one unit; True when Stripe accepted it, False when it already had it."""
        ...


def verify_webhook(payload: bytes, header: str | None, secret: str, tolerance: int) -> None:
    """Check `Stripe-Signature` over the raw body the way the SDK does, with an age limit.

    Raises:
        WebhookSignatureError: missing, malformed, wrong secret, tampered body, or older than
            `tolerance` seconds.
    """
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=tolerance)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise WebhookSignatureError(str(exc) or "bad signature") from None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def subscription_from_dict(data: Mapping[str, Any]) -> Subscription:
    """Our snapshot of a Stripe subscription object (as a plain dict)."""
    items: list[SubscriptionItem] = []
    raw_items = data.get("items")
    item_list = raw_items.get("data", []) if isinstance(raw_items, Mapping) else []
    for item in item_list if isinstance(item_list, list) else []:
        if not isinstance(item, Mapping):
            continue
        price = item.get("price")
        price_id = price.get("id") if isinstance(price, Mapping) else price
        lookup_key = price.get("lookup_key") if isinstance(price, Mapping) else None
        items.append(
            SubscriptionItem(
                price_id=_str(price_id) or "",
                lookup_key=_str(lookup_key),
                period_start=_int(item.get("current_period_start")),
                period_end=_int(item.get("current_period_end")),
            )
        )
    customer = data.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    metadata = data.get("metadata")
    return Subscription(
        id=_str(data.get("id")) or "",
        customer=_str(customer) or "",
        status=_str(data.get("status")) or "incomplete",
        created=_int(data.get("created")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        metadata={
            str(k): str(v) for k, v in (metadata.items() if isinstance(metadata, Mapping) else ())
        },
        items=tuple(items),
    )


def _error(exc: stripe.StripeError, what: str) -> GatewayError:
    status = exc.http_status
    # Log the request id and the error code only: a Stripe message can echo parameters.
    logger.warning("Stripe %s failed: %s %s (request %s)", what, status, exc.code, exc.request_id)
    if isinstance(exc, stripe.InvalidRequestError) and status == 404:
        return NotFoundError(f"Stripe has no such object ({what})", retryable=False, status=404)
    retryable = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status is not None and (status >= 500 or status == 409)
    )
    return GatewayError(f"Stripe {what} failed", retryable=retryable, status=status)


class StripeSdkGateway:
    """The real gateway: a `StripeClient` pointed at Stripe or at the sandbox simulator."""

    def __init__(self, api_key: str, *, api_base: str | None = None) -> None:
        self._client = stripe.StripeClient(
            api_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT),
        )

    def find_price(self, lookup_key: str) -> Price | None:
        """The active price with this lookup key, or None."""
        try:
            found = self._client.v1.prices.list(
                params={"lookup_keys": [lookup_key], "active": True, "limit": 1}
            )
        except stripe.StripeError as exc:
            raise _error(exc, "price lookup") from None
        for price in found.data:
            recurring = price.recurring
            return Price(
                id=price.id,
                lookup_key=price.lookup_key,
                amount=price.unit_amount,
                currency=price.currency,
                interval=recurring.interval if recurring is not None else None,
            )
        return None

    def create_checkout_session(
        self,
        *,
        price_id: str,
        account_id: str,
        plan: str,
        customer_id: str | None,
        customer_email: str | None,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> CheckoutSession:
        """A subscription-mode Checkout Session for one plan."""
        params: stripe.params.checkout.SessionCreateParams = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": account_id,
            "metadata": {"account_id": account_id, "plan": plan},
            "subscription_data": {"metadata": {"account_id": account_id, "plan": plan}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id:
            params["customer"] = customer_id
        elif customer_email:
            params["customer_email"] = customer_email
        try:
            session = self._client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc, "checkout session") from None
        if not session.url:
            raise GatewayError("Stripe returned a checkout session without a URL", retryable=True)
        return CheckoutSession(id=session.id, url=session.url)

    def create_portal_session(
        self, *, customer_id: str, return_url: str, idempotency_key: str
    ) -> str:
        """A Customer Portal session; returns its URL."""
        try:
            session = self._client.v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _error(exc, "portal session") from None
        return session.url

    def retrieve_subscription(self, subscription_id: str) -> Subscription:
        """The subscription as it is now."""
        try:
            sub = self._client.v1.subscriptions.retrieve(subscription_id)
        except stripe.StripeError as exc:
            raise _error(exc, "subscription retrieve") from None
        return subscription_from_dict(sub.to_dict())

    def send_meter_event(
        self, *, event_name: str, customer_id: str, identifier: str, timestamp: int
    ) -> bool:
        """Report one unit; True when Stripe accepted it, False when it already had it."""
        try:
            self._client.v1.billing.meter_events.create(
                params={
                    "event_name": event_name,
                    "payload": {"stripe_customer_id": customer_id, "value": "1"},
                    "identifier": identifier,
                    "timestamp": timestamp,
                },
                options={"idempotency_key": f"mev:{identifier}"},
            )
        except stripe.IdempotencyError:
            return False
        except stripe.InvalidRequestError as exc:
            # A duplicate identifier is "already delivered" (reference §3.3); its code is not
            # documented, so the message decides.
            if "already exists" in str(exc.user_message or exc).lower():
                return False
            raise _error(exc, "meter event") from None
        except stripe.StripeError as exc:
            raise _error(exc, "meter event") from None
        return True
