"""The v1 API through the real ``stripe`` SDK: catalog, errors, idempotency, faults, lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest
import stripe

from creatorflow.sandbox.stripe import API_VERSION
from tests.sandbox.stripe.conftest import KEY, Env, client_for, growth_price

if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams


def headers(obj: stripe.StripeObject) -> Mapping[str, str]:
    """The HTTP headers (case-insensitive) of the answer `obj` came in."""
    assert obj.last_response is not None
    return obj.last_response.headers


def test_products_and_prices_by_lookup_key(env: Env) -> None:
    price = growth_price(env.client)
    assert price.object == "price"
    assert price.id.startswith("price_")
    assert price.recurring is not None
    assert price.recurring.interval == "month"
    assert price.recurring.usage_type == "licensed"
    assert headers(price)["Stripe-Version"] == API_VERSION
    assert headers(price)["Request-Id"].startswith("req_")

    found = env.client.v1.prices.list(params={"lookup_keys": ["growth_monthly"]})
    assert [p.id for p in found.data] == [price.id]
    assert found.url == "/v1/prices"
    product = env.client.v1.products.retrieve(price.product)  # type: ignore[arg-type]
    assert product.metadata["order_limit"] == "2000"

    with pytest.raises(stripe.InvalidRequestError) as taken:
        growth_price(env.client)
    assert taken.value.param == "lookup_key"

    moved = env.client.v1.prices.create(
        params={
            "product": price.product,  # type: ignore[typeddict-item]
            "currency": "usd",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
            "lookup_key": "growth_monthly",
            "transfer_lookup_key": True,
        }
    )
    found = env.client.v1.prices.list(params={"lookup_keys": ["growth_monthly"]})
    assert [p.id for p in found.data] == [moved.id]
    assert env.client.v1.prices.retrieve(price.id).lookup_key is None

    env.client.v1.prices.update(price.id, params={"active": False})
    active = env.client.v1.prices.list(params={"active": True})
    assert [p.id for p in active.data] == [moved.id]
    inactive = env.client.v1.prices.list(params={"active": False})
    assert [p.id for p in inactive.data] == [price.id]


def test_auth_and_parameter_errors(env: Env) -> None:
    with pytest.raises(stripe.AuthenticationError) as bad_key:
        client_for(env.base_url, key="sk_test_wrong").v1.customers.list()
    assert bad_key.value.http_status == 401

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        env.client.v1.customers.create(params=cast(Any, {"emial": "x@example.com"}))
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "emial")
    assert unknown.value.request_id is not None

    with pytest.raises(stripe.InvalidRequestError) as missing:
        env.client.v1.checkout.sessions.create(params={"mode": "subscription"})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "line_items")

    with pytest.raises(stripe.InvalidRequestError) as nothing:
        env.client.v1.customers.retrieve("cus_missing")
    assert nothing.value.http_status == 404
    assert nothing.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError) as nested:
        env.client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 100,
                "product_data": {"name": "X"},
                "recurring": {"interval": "month", "cadence": "often"},  # type: ignore[typeddict-unknown-key]
            }
        )
    assert nested.value.param == "recurring[cadence]"


def test_idempotent_replay_and_mismatch(env: Env) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "customer:acct_1"}
    params: CustomerCreateParams = {
        "email": "a@example.com",
        "metadata": {"account_id": "acct_1"},
    }
    first = env.client.v1.customers.create(params=params, options=options)
    again = env.client.v1.customers.create(params=params, options=options)
    assert again.id == first.id
    assert headers(again).get("Idempotent-Replayed") == "true"
    assert env.sim.stats()["customers"] == 1

    with pytest.raises(stripe.IdempotencyError) as mismatch:
        env.client.v1.customers.create(params={"email": "b@example.com"}, options=options)
    assert mismatch.value.http_status == 400
    assert env.sim.stats()["customers"] == 1


def test_sdk_retry_of_a_500_reuses_the_key_and_creates_one_object(env: Env) -> None:
    env.sim.faults.fail_next(1, "5xx", "POST /v1/customers")
    customer = env.client.v1.customers.create(params={"email": "retry@example.com"})
    attempts = [r for r in env.sim.request_log if r["endpoint"] == "POST /v1/customers"]
    assert [r["status"] for r in attempts] == [500, 200]
    assert attempts[0]["idempotency_key"] == attempts[1]["idempotency_key"]
    listed = env.client.v1.customers.list(params={"email": "retry@example.com"})
    assert [c.id for c in listed.data] == [customer.id]


def test_saved_500_is_replayed_and_should_retry_false_stops_the_sdk(env: Env) -> None:
    env.sim.faults.fail_next(1, "5xx_saved", "POST /v1/customers")
    with pytest.raises(stripe.APIError):
        env.client.v1.customers.create(params={"email": "gone@example.com"})
    attempts = [r for r in env.sim.request_log if r["endpoint"] == "POST /v1/customers"]
    assert [(r["status"], r["replayed"]) for r in attempts] == [
        (500, False),
        (500, True),
        (500, True),
    ]
    assert len({r["idempotency_key"] for r in attempts}) == 1
    assert env.sim.stats()["customers"] == 0

    env.sim.faults.fail_next(1, "5xx", "POST /v1/products", should_retry=False)
    with pytest.raises(stripe.APIError) as refused:
        env.client.v1.products.create(params={"name": "Pro"})
    assert refused.value.headers is not None
    assert refused.value.headers["Stripe-Should-Retry"] == "false"
    assert env.sim.stats()["requests"]["POST /v1/products"] == 1


def test_dropped_answer_then_application_retry_gets_the_saved_object(env: Env) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-sync-7"}
    env.sim.faults.fail_next(1, "drop", "POST /v1/customers")
    with pytest.raises(stripe.APIConnectionError):
        env.client.v1.customers.create(params={"email": "d@example.com"}, options=options)
    assert env.sim.stats()["customers"] == 1
    customer = env.client.v1.customers.create(params={"email": "d@example.com"}, options=options)
    assert customer.email == "d@example.com"
    assert env.sim.stats()["customers"] == 1
    assert env.sim.stats()["idempotent_replays"] == 1


def test_list_pagination_follows_url_and_cursors(env: Env) -> None:
    created = [
        env.client.v1.customers.create(params={"email": f"c{n}@example.com"}).id for n in range(23)
    ]
    page = env.client.v1.customers.list(params={"limit": 10})
    assert page.has_more is True
    assert page.url == "/v1/customers"
    seen = [c.id for c in page.auto_paging_iter()]
    assert seen == created[::-1]

    older = env.client.v1.customers.list(params={"limit": 5, "starting_after": created[10]})
    assert [c.id for c in older.data] == created[9:4:-1]
    newer = env.client.v1.customers.list(params={"limit": 5, "ending_before": created[10]})
    assert [c.id for c in newer.data] == created[15:10:-1]
    assert newer.has_more is True

    with pytest.raises(stripe.InvalidRequestError):
        env.client.v1.customers.list(params={"limit": 101})


def test_meter_events_dedup_and_summaries(env: Env) -> None:
    customer = env.client.v1.customers.create(params={"email": "m@example.com"})
    meter = env.client.v1.billing.meters.create(
        params={
            "display_name": "Orders processed",
            "event_name": "orders_processed",
            "default_aggregation": {"formula": "sum"},
        }
    )
    assert meter.id.startswith("mtr_")
    now = env.sim.timestamp()
    event = env.client.v1.billing.meter_events.create(
        params={
            "event_name": "orders_processed",
            "payload": {"stripe_customer_id": customer.id, "value": "1"},
            "identifier": "ord_abc",
            "timestamp": now - 30,
        }
    )
    assert (event.object, event.identifier) == ("billing.meter_event", "ord_abc")

    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        env.client.v1.billing.meter_events.create(
            params={
                "event_name": "orders_processed",
                "payload": {"stripe_customer_id": customer.id, "value": "1"},
                "identifier": "ord_abc",
            }
        )
    assert duplicate.value.headers is not None
    assert duplicate.value.headers["Stripe-Should-Retry"] == "false"
    assert "already exists" in str(duplicate.value.user_message)

    with pytest.raises(stripe.InvalidRequestError) as stale:
        env.client.v1.billing.meter_events.create(
            params={
                "event_name": "orders_processed",
                "payload": {"stripe_customer_id": customer.id, "value": "1"},
                "timestamp": now - int(timedelta(days=36).total_seconds()),
            }
        )
    assert stale.value.param == "timestamp"

    env.client.v1.billing.meter_events.create(
        params={
            "event_name": "orders_processed",
            "payload": {"stripe_customer_id": customer.id, "value": "2"},
            "identifier": "ord_def",
        }
    )
    start = now - now % 3600 - 3600
    summaries = env.client.v1.billing.meters.event_summaries.list(
        meter.id, params={"customer": customer.id, "start_time": start, "end_time": start + 7200}
    )
    assert [s.aggregated_value for s in summaries.data] == [3.0]
    assert env.sim.stats()["meter_events"] == {
        "accepted": 2,
        "duplicates": 1,
        "rejected": 1,
        "canceled": 0,
    }

    env.client.v1.billing.meter_event_adjustments.create(
        params={
            "event_name": "orders_processed",
            "type": "cancel",
            "cancel": {"identifier": "ord_def"},
        }
    )
    hourly = env.client.v1.billing.meters.event_summaries.list(
        meter.id,
        params={
            "customer": customer.id,
            "start_time": start,
            "end_time": start + 7200,
            "value_grouping_window": "hour",
        },
    )
    assert sum(s.aggregated_value for s in hourly.auto_paging_iter()) == 1.0


def test_unrecognized_url_and_bearer_required(env: Env) -> None:
    answer = env.http.get("/v1/nothing", headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 404
    assert "Unrecognized request URL" in answer.json()["error"]["message"]
    assert env.http.get("/v1/customers").status_code == 401
