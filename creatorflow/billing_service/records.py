"""The service's records: plain frozen dataclasses read from and written to its tables."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Row


def token_hash(token: str) -> str:
    """SHA-256 hex of a bearer secret (install token, device code): what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Account:
    """A customer of the vendor: one email, at most one Stripe customer."""

    id: str
    email: str
    stripe_customer_id: str | None


@dataclass(frozen=True)
class Install:
    """One local installation, authenticated by its install token."""

    id: str
    account_id: str
    station: str


@dataclass(frozen=True)
class DeviceCode:
    """A pending or finished device login."""

    code_hash: str
    user_code: str
    station: str
    expires_at: int
    interval: int
    last_polled_at: int | None
    status: str
    account_id: str | None


@dataclass(frozen=True)
class Plan:
    """A plan: our order limit for a Stripe price (Stripe features are boolean; limits are ours)."""

    name: str
    price_lookup_key: str
    order_limit: int
    price_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    interval: str | None = None


@dataclass(frozen=True)
class SubscriptionState:
    """What the service knows of an account's subscription, from the last re-fetch."""

    account_id: str
    stripe_customer_id: str | None
    subscription_id: str
    subscription_created: int
    plan: str | None
    status: str
    period_start: int
    period_end: int
    cancel_at_period_end: bool
    past_due_since: int | None = None
    event_created: int = 0


@dataclass(frozen=True)
class UsageEvent:
    """One usage event as stored: a labelled order."""

    event_id: str
    order_id: str
    occurred_at: int


#: Statuses under which a subscription is the account's current one.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})


def new_id(prefix: str) -> str:
    """A random id with a type prefix (`acc_…`, `ins_…`)."""
    return f"{prefix}_{secrets.token_hex(8)}"


def account_from_row(row: Row[tuple[object, ...]] | None) -> Account | None:
    """An `Account` from an `accounts` row."""
    if row is None:
        return None
    return Account(row.id, row.email, row.stripe_customer_id)


def device_from_row(row: Row[tuple[object, ...]] | None) -> DeviceCode | None:
    """A `DeviceCode` from a `device_codes` row."""
    if row is None:
        return None
    return DeviceCode(
        code_hash=row.code_hash,
        user_code=row.user_code,
        station=row.station,
        expires_at=row.expires_at,
        interval=row.interval,
        last_polled_at=row.last_polled_at,
        status=row.status,
        account_id=row.account_id,
    )


def plan_from_row(row: Row[tuple[object, ...]]) -> Plan:
    """A `Plan` from a `plans` row."""
    return Plan(
        name=row.name,
        price_lookup_key=row.price_lookup_key,
        order_limit=row.order_limit,
        price_id=row.price_id,
        amount=row.amount,
        currency=row.currency,
        interval=row.interval,
    )


def subscription_from_row(row: Row[tuple[object, ...]] | None) -> SubscriptionState | None:
    """A `SubscriptionState` from a `subscriptions` row."""
    if row is None:
        return None
    return SubscriptionState(
        account_id=row.account_id,
        stripe_customer_id=row.stripe_customer_id,
        subscription_id=row.subscription_id,
        subscription_created=row.subscription_created,
        plan=row.plan,
        status=row.status,
        period_start=row.period_start,
        period_end=row.period_end,
        cancel_at_period_end=bool(row.cancel_at_period_end),
        past_due_since=row.past_due_since,
        event_created=row.event_created,
    )
