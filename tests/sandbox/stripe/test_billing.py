"""Subscriptions over time through the real SDK: checkout, signed webhooks, renewals, dunning,
the portal and the delivery switches."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from creatorflow.http_server import serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.stripe import API_VERSION, StripeSimulator
from tests.sandbox.stripe.conftest import START, Env, client_for, growth_price, subscribe

CHECKOUT_EVENTS = [
    "customer.created",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "checkout.session.completed",
]
DAY = timedelta(days=1)


def _types_after(env: Env, mark: int) -> list[str]:
    return [t for t in env.hooks.types()[mark:] if not t.startswith(("product.", "price."))]


def test_checkout_creates_an_active_subscription_with_item_periods(env: Env) -> None:
    price = growth_price(env.client)
    mark = len(env.hooks.received)
    session = env.client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "client_reference_id": "acct_1",
            "subscription_data": {"metadata": {"account_id": "acct_1"}},
            "success_url": "http://localhost/done",
            "cancel_url": "http://localhost/cancel",
        }
    )
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.url == f"{env.base_url}/_sim/checkout/{session.id}"
    items = env.client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.price.id, i.quantity, i.amount_total) for i in items.data] == [  # type: ignore[union-attr]
        (price.id, 1, 2900)
    ]

    env.sim.complete_checkout(session.id)
    done = env.client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription", "subscription.latest_invoice"]}
    )
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    assert done.client_reference_id == "acct_1"
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription)
    assert sub.status == "active"
    assert sub.metadata["account_id"] == "acct_1"
    assert sub.customer == done.customer
    item = sub["items"].data[0]
    assert item.price.lookup_key == "growth_monthly"
    # Jan 31 + one month clamps to Feb 28.
    assert item.current_period_start == int(START.timestamp())
    assert item.current_period_end == int(START.replace(month=2, day=28).timestamp())
    assert "current_period_end" not in sub
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid",
        "subscription_create",
        2900,
    )
    assert invoice.parent is not None
    assert invoice.parent.subscription_details is not None
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.parent.subscription_details.to_dict()["metadata"] == {"account_id": "acct_1"}

    assert _types_after(env, mark) == CHECKOUT_EVENTS
    for delivery in env.hooks.received[mark:]:
        event = stripe.Webhook.construct_event(
            delivery.body, delivery.headers["Stripe-Signature"], env.secret
        )
        assert event.api_version == API_VERSION
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                delivery.body, delivery.headers["Stripe-Signature"], "whsec_not_the_secret"
            )
    completed = stripe.Webhook.construct_event(
        env.hooks.received[-1].body, env.hooks.received[-1].headers["Stripe-Signature"], env.secret
    )
    assert completed.type == "checkout.session.completed"
    assert completed.data.object["subscription"] == sub.id
    paid = env.client.v1.events.list(params={"type": "invoice.*"})
    assert {e.type for e in paid.data} == {
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    }
    assert env.sim.stats()["subscriptions"] == {"active": 1}


def test_wrong_secret_switch_breaks_signatures(env: Env) -> None:
    price = growth_price(env.client)
    env.sim.sign_with_wrong_secret = True
    mark = len(env.hooks.received)
    subscribe(env, price.id)
    assert len(env.hooks.received) > mark
    for delivery in env.hooks.received[mark:]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                delivery.body, delivery.headers["Stripe-Signature"], env.secret
            )
    assert all(d["wrong_secret"] for d in env.sim.deliveries[mark:])


def test_renewal_invoices_the_next_period(env: Env) -> None:
    price = growth_price(env.client)
    sub = subscribe(env, price.id).subscription
    assert isinstance(sub, stripe.Subscription)
    first_end = sub["items"].data[0].current_period_end
    mark = len(env.hooks.received)

    env.sim.advance(DAY * 29)
    renewed = env.client.v1.subscriptions.retrieve(sub.id)
    item = renewed["items"].data[0]
    assert renewed.status == "active"
    assert item.current_period_start == first_end
    assert item.current_period_end == int(START.replace(month=3, day=31).timestamp())
    invoices = env.client.v1.invoices.list(params={"subscription": sub.id})
    assert [(i.billing_reason, i.status) for i in invoices.data] == [
        ("subscription_cycle", "paid"),
        ("subscription_create", "paid"),
    ]
    assert _types_after(env, mark) == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    updated = env.hooks.received[mark].event
    previous = updated["data"]["previous_attributes"]
    assert previous["items"]["data"][0]["current_period_end"] == first_end
    assert previous["latest_invoice"] == sub.latest_invoice


def test_failed_payments_go_past_due_then_canceled(env: Env) -> None:
    price = growth_price(env.client)
    sub = subscribe(env, price.id).subscription
    assert isinstance(sub, stripe.Subscription)
    env.sim.configure(payment_retries=2, payment_retry_interval=DAY * 3)
    env.sim.fail_next_payment(3)

    env.sim.advance(DAY * 29)
    assert env.client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    renewal = env.client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert (renewal.status, renewal.attempt_count) == ("open", 1)
    assert renewal.next_payment_attempt == renewal.created + 3 * 86400

    env.sim.advance(DAY * 3)
    assert env.client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    mark = len(env.hooks.received)
    env.sim.advance(DAY * 3)
    ended = env.client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details is not None
    assert ended.cancellation_details.reason == "payment_failed"
    assert _types_after(env, mark) == ["invoice.payment_failed", "customer.subscription.deleted"]
    assert env.client.v1.subscriptions.list().data == []
    assert [s.id for s in env.client.v1.subscriptions.list(params={"status": "canceled"})] == [
        sub.id
    ]


def test_exhausted_retries_can_leave_the_subscription_unpaid(env: Env) -> None:
    price = growth_price(env.client)
    sub = subscribe(env, price.id).subscription
    assert isinstance(sub, stripe.Subscription)
    env.sim.configure(payment_retries=0, failed_subscription_outcome="unpaid")
    env.sim.fail_next_payment()
    env.sim.advance(DAY * 29)
    assert env.client.v1.subscriptions.retrieve(sub.id).status == "unpaid"


def test_one_failed_payment_recovers_on_retry(env: Env) -> None:
    price = growth_price(env.client)
    sub = subscribe(env, price.id).subscription
    assert isinstance(sub, stripe.Subscription)
    env.sim.fail_next_payment(1)
    env.sim.advance(DAY * 29)
    assert env.client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    env.sim.advance(DAY * 3)
    assert env.client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert env.sim.stats()["invoices"] == {"paid": 2}


def test_portal_cancel_at_period_end_then_deleted(env: Env) -> None:
    price = growth_price(env.client)
    done = subscribe(env, price.id)
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription)
    portal = env.client.v1.billing_portal.sessions.create(
        params={"customer": str(done.customer), "return_url": "http://localhost/account"}
    )
    assert portal.url == f"{env.base_url}/_sim/portal/{portal.id}"
    page = env.http.get(f"/_sim/portal/{portal.id}")
    assert page.status_code == 200
    assert "Cancel at period end" in page.text
    assert "http://localhost/account" in page.text

    answer = env.http.post(
        f"/_sim/portal/{portal.id}/cancel_at_period_end",
        data={"subscription": sub.id, "redirect": "1"},
    )
    assert answer.status_code == 303
    pending = env.client.v1.subscriptions.retrieve(sub.id)
    assert pending.cancel_at_period_end is True
    assert pending.status == "active"
    assert (
        env.hooks.received[-1].event["data"]["previous_attributes"]["cancel_at_period_end"] is False
    )

    env.sim.advance(DAY * 29)
    ended = env.client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.ended_at == sub["items"].data[0].current_period_end
    assert env.hooks.types()[-1] == "customer.subscription.deleted"
    assert len(env.client.v1.invoices.list(params={"subscription": sub.id}).data) == 1


def test_plan_switch_through_the_portal_and_the_api(env: Env) -> None:
    growth = growth_price(env.client)
    pro = growth_price(env.client, lookup_key="pro_monthly")
    sub = subscribe(env, growth.id).subscription
    assert isinstance(sub, stripe.Subscription)

    env.sim.switch_price(sub.id, "pro_monthly")
    switched = env.client.v1.subscriptions.retrieve(sub.id)
    assert switched["items"].data[0].price.id == pro.id
    assert switched["items"].data[0].id == sub["items"].data[0].id
    event = env.hooks.received[-1].event
    assert event["type"] == "customer.subscription.updated"
    old_item = event["data"]["previous_attributes"]["items"]["data"][0]
    assert old_item["price"]["id"] == growth.id

    back = env.client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": growth.id}],
            "proration_behavior": "none",
        },
    )
    assert back["items"].data[0].price.id == growth.id
    canceled = env.client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    assert env.hooks.types()[-1] == "customer.subscription.deleted"
    with pytest.raises(stripe.InvalidRequestError):
        env.client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})


def test_duplicate_and_shuffled_deliveries(env: Env) -> None:
    price = growth_price(env.client)
    env.sim.duplicate_deliveries = True
    env.sim.shuffle_deliveries = True
    mark = len(env.hooks.received)
    subscribe(env, price.id)
    received = env.hooks.received[mark:]
    ids = [d.event["id"] for d in received]
    assert len(ids) == 2 * len(CHECKOUT_EVENTS)
    assert len(set(ids)) == len(CHECKOUT_EVENTS)
    emitted = [e.id for e in env.client.v1.events.list(params={"limit": 7}).data][::-1]
    assert sorted(set(ids)) == sorted(emitted)
    first_seen = list(dict.fromkeys(ids))
    assert first_seen != emitted
    log = env.sim.deliveries[mark:]
    assert sum(d["duplicate"] for d in log) == len(CHECKOUT_EVENTS)


def test_failed_deliveries_are_retried_on_schedule(env: Env) -> None:
    price = growth_price(env.client)
    env.sim.webhook_retry_schedule = (timedelta(minutes=1),)
    env.hooks.statuses.extend([500])
    mark = len(env.hooks.received)
    subscribe(env, price.id)
    first = env.hooks.received[mark].event["id"]
    assert [d.event["id"] for d in env.hooks.received[mark:]].count(first) == 1
    env.sim.advance(timedelta(minutes=2))
    assert [d.event["id"] for d in env.hooks.received[mark:]].count(first) == 2
    outcomes = [(d["event"], d["attempt"], d["outcome"]) for d in env.sim.deliveries]
    assert (first, 1, "failed") in outcomes
    assert (first, 2, "succeeded") in outcomes
    assert env.client.v1.events.retrieve(first).pending_webhooks == 0


def test_hosted_checkout_page_pays_and_redirects(env: Env) -> None:
    price = growth_price(env.client)
    session = env.client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "customer_email": "buyer@shop.test",
            "success_url": "http://localhost/ok?cs={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://localhost/cancel",
        }
    )
    page = env.http.get(f"/_sim/checkout/{session.id}")
    assert page.status_code == 200
    assert ">Pay<" in page.text
    assert ">Decline<" in page.text
    declined = env.http.post(f"/_sim/checkout/{session.id}/decline")
    assert (declined.status_code, declined.headers["location"]) == (303, "http://localhost/cancel")
    assert env.client.v1.checkout.sessions.retrieve(session.id).status == "open"
    paid = env.http.post(f"/_sim/checkout/{session.id}/pay")
    assert paid.status_code == 303
    assert paid.headers["location"] == f"http://localhost/ok?cs={session.id}"
    done = env.client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["customer"]})
    assert isinstance(done.customer, stripe.Customer)
    assert done.customer.email == "buyer@shop.test"
    assert env.http.post(f"/_sim/checkout/{session.id}/pay").status_code == 400


def test_control_routes_advance_stats_and_reset(env: Env) -> None:
    price = growth_price(env.client)
    subscribe(env, price.id)
    assert env.http.post("/_sim/payments/fail_next", data={"n": "1"}).status_code == 200
    assert env.http.post("/_sim/clock/advance", data={"days": "29"}).status_code == 200
    stats = env.http.get("/_sim/stats").json()
    assert stats["subscriptions"] == {"past_due": 1}
    assert stats["invoices"] == {"paid": 1, "open": 1}
    assert stats["webhook_deliveries"]["succeeded"] == len(env.hooks.received)
    deliveries = env.http.get("/_sim/webhooks/deliveries").json()["data"]
    assert len(deliveries) == len(env.hooks.received)
    assert env.http.post("/_sim/reset").status_code == 200
    assert env.sim.stats()["subscriptions"] == {}
    assert env.client.v1.customers.list().data == []
    assert len(env.client.v1.webhook_endpoints.list().data) == 1
    env.client.v1.customers.create(params={"email": "after-reset@example.com"})
    assert env.hooks.types()[-1] == "customer.created"


def test_background_delivery_over_http() -> None:
    received: list[tuple[bytes, str]] = []

    async def hook(request: Request) -> Response:
        received.append((await request.body(), request.headers["stripe-signature"]))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    sim = StripeSimulator(5, clock=SimClock(START, speed=0))
    with serve(receiver) as hooks, serve(sim.app) as server:
        endpoint = sim.add_webhook_endpoint(f"{hooks.base_url}/hook", ["customer.created"])
        client = client_for(server.base_url)
        customer = client.v1.customers.create(params={"email": "bg@example.com"})
        assert sim.wait_for_webhooks(timeout=5)
        sim.close()
    assert len(received) == 1
    body, signature = received[0]
    event = stripe.Webhook.construct_event(body, signature, endpoint["secret"])
    assert event.type == "customer.created"
    assert json.loads(body)["data"]["object"]["id"] == customer.id


def test_events_and_endpoints_are_listed(env: Env) -> None:
    endpoints = env.client.v1.webhook_endpoints.list()
    assert [(e.url, e.enabled_events) for e in endpoints.data] == [
        ("http://hooks.test/stripe", ["*"])
    ]
    assert "secret" not in endpoints.data[0]
    env.client.v1.customers.create(params={"email": "e@example.com"})
    event = env.client.v1.events.list(params={"type": "customer.created"}).data[0]
    again = env.client.v1.events.retrieve(event.id)
    assert again.request is not None
    assert again.request.id is not None
    assert again.request.idempotency_key is not None
    assert httpx.codes.is_success(env.http.get("/_sim/webhooks/settings").status_code)
