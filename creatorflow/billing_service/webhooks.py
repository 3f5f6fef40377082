"""Stripe webhook events: which ones matter, and how they update an account's subscription.

Stripe delivers at least once and in no particular order (reference §4.1), so an event is only a
prompt: the subscription it names is re-fetched and its current state stored, the event id is
remembered so a duplicate changes nothing, and an event older than the last one applied never
rolls the stored state back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creatorflow.billing_service.gateway import GatewayError, NotFoundError, Subscription
from creatorflow.billing_service.records import SubscriptionState
from creatorflow.billing_service.service import ApiError, BillingService

logger = logging.getLogger(__name__)

#: Events after which the subscription they name is re-fetched (reference §4.2).
SUBSCRIPTION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.pending_update_applied",
        "customer.subscription.pending_update_expired",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.payment_action_required",
    }
)


@dataclass(frozen=True)
class Outcome:
    """What handling an event did."""

    handled: bool
    duplicate: bool


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    created: int
    obj: Mapping[str, Any]


def parse_event(payload: bytes) -> _Event:
    """The parts of a (verified) event body we use.

    Raises:
        ApiError: 400 `invalid_payload` when the body is not a Stripe event.
    """
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "invalid_payload", "The webhook body is not JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_payload", "The webhook body is not a Stripe event.")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    inner = data.get("data")
    obj = inner.get("object") if isinstance(inner, dict) else None
    if (
        not isinstance(event_id, str)
        or not event_id
        or len(event_id) > 255
        or not isinstance(event_type, str)
        or not isinstance(created, int)
        or isinstance(created, bool)
    ):
        raise ApiError(400, "invalid_payload", "The webhook body is not a Stripe event.")
    return _Event(event_id, event_type[:100], created, obj if isinstance(obj, dict) else {})


def _id_of(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _subscription_id(event: _Event) -> str | None:
    obj = event.obj
    if event.type.startswith("customer.subscription."):
        return _id_of(obj.get("id"))
    if event.type.startswith("checkout.session."):
        return _id_of(obj.get("subscription"))
    if event.type.startswith("invoice."):
        # Since 2025-03-31.basil the subscription sits under `parent` (reference §2.4).
        parent = obj.get("parent")
        details = parent.get("subscription_details") if isinstance(parent, Mapping) else None
        if isinstance(details, Mapping) and _id_of(details.get("subscription")):
            return _id_of(details.get("subscription"))
        return _id_of(obj.get("subscription"))
    return None


def handle_webhook(service: BillingService, payload: bytes) -> Outcome:
    """Apply one verified webhook event.

    Raises:
        ApiError: 400 for a body that is not an event; 503 when Stripe cannot be asked for the
            subscription (Stripe retries the delivery later).
    """
    event = parse_event(payload)
    store = service.store
    now = service.now()
    if store.seen_event(event.id):
        return Outcome(handled=False, duplicate=True)
    sub_id = _subscription_id(event) if event.type in SUBSCRIPTION_EVENTS else None
    if sub_id is None:
        recorded = store.record_event(event.id, event.type, event.created, now)
        return Outcome(handled=False, duplicate=not recorded)
    gateway = service.require_gateway()
    try:
        sub = gateway.retrieve_subscription(sub_id)
    except NotFoundError:
        logger.warning(
            "webhook %s names subscription %s, which Stripe does not have", event.id, sub_id
        )
        recorded = store.record_event(event.id, event.type, event.created, now)
        return Outcome(handled=False, duplicate=not recorded)
    except GatewayError:
        raise ApiError(503, "stripe_unavailable", "Stripe could not be reached.") from None
    account_id = _account_for(service, event, sub)
    if account_id is None:
        logger.warning("webhook %s: subscription %s belongs to no known account", event.id, sub.id)
        recorded = store.record_event(event.id, event.type, event.created, now)
        return Outcome(handled=False, duplicate=not recorded)
    if sub.customer:
        store.link_customer(account_id, sub.customer)
    state = _state(service, account_id, sub, event)
    recorded = store.record_event(event.id, event.type, event.created, now, state)
    return Outcome(handled=recorded, duplicate=not recorded)


def _account_for(service: BillingService, event: _Event, sub: Subscription) -> str | None:
    """The account a subscription belongs to: its metadata, its customer, or the checkout."""
    store = service.store
    candidates = [sub.metadata.get("account_id")]
    if event.type.startswith("checkout.session."):
        meta = event.obj.get("metadata")
        candidates.append(_id_of(event.obj.get("client_reference_id")))
        candidates.append(meta.get("account_id") if isinstance(meta, Mapping) else None)
    for candidate in candidates:
        if isinstance(candidate, str) and candidate and store.account(candidate) is not None:
            return candidate
    if sub.customer:
        account = store.account_by_customer(sub.customer)
        if account is not None:
            return account.id
    return None


def _state(
    service: BillingService, account_id: str, sub: Subscription, event: _Event
) -> SubscriptionState:
    """The row to store for a re-fetched subscription: plan from the item's price lookup key."""
    by_key = service.store.plan_names_by_lookup_key()
    plan: str | None = None
    chosen = sub.items[0] if sub.items else None
    for item in sub.items:
        if item.lookup_key and item.lookup_key in by_key:
            plan, chosen = by_key[item.lookup_key], item
            break
    if plan is None:
        named = sub.metadata.get("plan")
        if named and named in by_key.values():
            plan = named
    start = chosen.period_start if chosen else sub.created
    end = chosen.period_end if chosen else sub.created
    return SubscriptionState(
        account_id=account_id,
        stripe_customer_id=sub.customer or None,
        subscription_id=sub.id,
        subscription_created=sub.created,
        plan=plan,
        status=sub.status,
        period_start=start,
        period_end=end,
        cancel_at_period_end=sub.cancel_at_period_end,
        past_due_since=event.created if sub.status == "past_due" else None,
        event_created=event.created,
    )
