"""Metered overage on renewal invoices, trials, and checkout validation."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import stripe

from creatorflow.sandbox.stripe import ApiError
from tests.sandbox.stripe.conftest import Env, growth_price

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

DAY = timedelta(days=1)


def test_metered_overage_is_invoiced_at_renewal(env: Env) -> None:
    base = growth_price(env.client)
    meter = env.client.v1.billing.meters.create(
        params={
            "display_name": "Orders",
            "event_name": "orders_processed",
            "default_aggregation": {"formula": "count"},
        }
    )
    overage = env.client.v1.prices.create(
        params={
            "product": str(base.product),
            "currency": "usd",
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [{"up_to": 2, "unit_amount": 0}, {"up_to": "inf", "unit_amount": 50}],
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as quantity:
        env.client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": overage.id, "quantity": 1}],
            }
        )
    assert quantity.value.param == "line_items[0][quantity]"
    session = env.client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": base.id, "quantity": 1}, {"price": overage.id}],
        }
    )
    env.sim.complete_checkout(session.id)
    done = env.client.v1.checkout.sessions.retrieve(session.id)
    customer = str(done.customer)
    for n in range(5):
        env.client.v1.billing.meter_events.create(
            params={
                "event_name": "orders_processed",
                "payload": {"stripe_customer_id": customer},
                "identifier": f"ord_{n}",
            }
        )
    env.sim.advance(DAY * 29)
    renewal = env.client.v1.invoices.list(params={"customer": customer}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    lines = {line.pricing.price_details.price: line for line in renewal.lines.data}  # type: ignore[union-attr]
    assert (lines[overage.id].quantity, lines[overage.id].amount) == (5, 150)
    assert lines[base.id].amount == 2900
    assert renewal.amount_paid == 3050


def test_trial_then_first_charge(env: Env) -> None:
    price = growth_price(env.client)
    session = env.client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "subscription_data": {"trial_period_days": 7},
        }
    )
    env.sim.complete_checkout(session.id)
    done = env.client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert done.payment_status == "no_payment_required"
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription)
    assert sub.status == "trialing"
    assert sub.trial_end == sub["items"].data[0].current_period_end
    env.sim.advance(DAY * 8)
    after = env.client.v1.subscriptions.retrieve(sub.id)
    assert after.status == "active"
    invoices = env.client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [(i.billing_reason, i.amount_paid) for i in invoices] == [
        ("subscription_cycle", 2900),
        ("subscription_create", 0),
    ]


def test_sessions_expire(env: Env) -> None:
    price = growth_price(env.client)
    params: SessionCreateParams = {
        "mode": "subscription",
        "line_items": [{"price": price.id, "quantity": 1}],
    }
    first = env.client.v1.checkout.sessions.create(params=params)
    second = env.client.v1.checkout.sessions.create(params=params)
    expired = env.client.v1.checkout.sessions.expire(first.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError):
        env.client.v1.checkout.sessions.expire(first.id)
    env.sim.advance(DAY)
    assert env.client.v1.checkout.sessions.retrieve(second.id).status == "expired"
    assert env.hooks.types().count("checkout.session.expired") == 2
    with pytest.raises(ApiError) as closed:
        env.sim.complete_checkout(second.id)
    assert closed.value.status == 400
