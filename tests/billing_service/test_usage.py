"""`POST/GET /v1/usage`: durable dedup, the period's count, Billing Meter forwarding."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from creatorflow.billing_service.db import usage_ledger
from tests.billing_service.conftest import (
    DAY,
    GROWTH_LIMIT,
    START,
    Harness,
    Login,
    make_harness,
    wait_for,
)


def _id(order_id: str, shop: str = "shop1") -> str:
    return hashlib.sha256(f"labelled/{shop}/{order_id}".encode()).hexdigest()


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _batch(orders: list[str], at: int = START + 3600) -> dict[str, object]:
    return {"events": [{"id": _id(o), "order_id": o, "occurred_at": _iso(at)} for o in orders]}


def _activate(h: Harness, login: Login) -> None:
    h.stripe.put_subscription("sub_1", account_id=login.account_id, customer="cus_9")
    assert h.webhook("evt_1", "customer.subscription.created", {"id": "sub_1"}).json()["handled"]


def test_same_batch_three_times_counts_once(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login)
    batch = _batch([f"57700{i}" for i in range(5)])
    answers = [
        harness.client.post("/v1/usage", headers=login.headers, json=batch).json() for _ in range(3)
    ]
    assert [(a["accepted"], a["duplicates"], a["period_used"]) for a in answers] == [
        (5, 0, 5),
        (0, 5, 5),
        (0, 5, 5),
    ]
    assert answers[0]["order_limit"] == GROWTH_LIMIT
    summary = harness.client.get("/v1/usage", headers=login.headers).json()
    assert summary == {
        "period_start": START,
        "period_end": START + 30 * DAY,
        "used": 5,
        "order_limit": GROWTH_LIMIT,
    }


def test_two_stations_labelling_the_same_order_count_once(harness: Harness) -> None:
    one = harness.login(station="a")
    two = harness.login(station="b")
    harness.client.post("/v1/usage", headers=one.headers, json=_batch(["1", "2"]))
    answer = harness.client.post("/v1/usage", headers=two.headers, json=_batch(["2", "3"])).json()
    assert (answer["accepted"], answer["duplicates"], answer["period_used"]) == (1, 1, 3)


def test_duplicates_inside_one_batch(harness: Harness) -> None:
    login = harness.login()
    answer = harness.client.post(
        "/v1/usage", headers=login.headers, json=_batch(["1", "1", "1", "2"])
    ).json()
    assert (answer["accepted"], answer["duplicates"], answer["period_used"]) == (2, 2, 2)


def test_events_outside_the_period_are_kept_but_not_counted(harness: Harness) -> None:
    login = harness.login()
    _activate(harness, login)
    harness.client.post("/v1/usage", headers=login.headers, json=_batch(["old"], START - DAY))
    answer = harness.client.post("/v1/usage", headers=login.headers, json=_batch(["new"])).json()
    assert (answer["accepted"], answer["period_used"]) == (1, 1)
    # A clock far ahead is placed at "now", inside the period.
    far = harness.client.post(
        "/v1/usage", headers=login.headers, json=_batch(["future"], START + 20 * 365 * DAY)
    ).json()
    assert far["period_used"] == 2


def test_batch_limits_and_bad_events(harness: Harness) -> None:
    login = harness.login()
    too_many = _batch([str(i) for i in range(501)])
    response = harness.client.post("/v1/usage", headers=login.headers, json=too_many)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    for event in [
        {"id": "short", "order_id": "1", "occurred_at": _iso(START)},
        {"id": "x" * 101, "order_id": "1", "occurred_at": _iso(START)},
        {"id": "has space in it", "order_id": "1", "occurred_at": _iso(START)},
        {"id": _id("1"), "order_id": "", "occurred_at": _iso(START)},
        {"id": _id("1"), "order_id": "1", "occurred_at": "yesterday"},
        {"id": _id("1"), "order_id": "1"},
    ]:
        response = harness.client.post("/v1/usage", headers=login.headers, json={"events": [event]})
        assert response.status_code == 422, event
    full = harness.client.post(
        "/v1/usage", headers=login.headers, json=_batch([str(i) for i in range(500)])
    )
    assert full.json()["accepted"] == 500
    empty = harness.client.post("/v1/usage", headers=login.headers, json={"events": []})
    assert empty.json()["period_used"] == 500


@pytest.fixture
def metered(tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(tmp_path, meter_event="orders_labelled")
    try:
        yield h
    finally:
        h.close()


def _forwarded(h: Harness) -> dict[str, str | None]:
    with h.store.engine.connect() as conn:
        rows = conn.execute(select(usage_ledger.c.event_id, usage_ledger.c.forwarded)).all()
    return {row.event_id: row.forwarded for row in rows}


def test_usage_is_forwarded_to_the_meter_once(metered: Harness) -> None:
    login = metered.login()
    _activate(metered, login)
    metered.clock.advance(2 * 3600)
    batch = _batch(["1", "2", "3"])
    for _ in range(3):
        metered.client.post("/v1/usage", headers=login.headers, json=batch)
    wait_for(lambda: set(_forwarded(metered).values()) == {"sent"})
    assert set(metered.stripe.meter_events) == {_id("1"), _id("2"), _id("3")}
    sent = metered.stripe.meter_events[_id("1")]
    assert sent == {
        "event_name": "orders_labelled",
        "customer": "cus_9",
        "timestamp": START + 3600,
    }
    assert metered.stripe.meter_calls == 3


def test_a_duplicate_meter_answer_counts_as_delivered(metered: Harness) -> None:
    login = metered.login()
    _activate(metered, login)
    metered.stripe.meter_events[_id("1")] = {"earlier": True}
    metered.client.post("/v1/usage", headers=login.headers, json=_batch(["1", "2"]))
    wait_for(lambda: None not in _forwarded(metered).values())
    assert _forwarded(metered) == {_id("1"): "duplicate", _id("2"): "sent"}


def test_meter_outage_is_retried_with_the_next_batch(metered: Harness) -> None:
    login = metered.login()
    _activate(metered, login)
    metered.stripe.down = True
    metered.client.post("/v1/usage", headers=login.headers, json=_batch(["1"]))
    wait_for(lambda: metered.stripe.meter_calls >= 1)
    assert _forwarded(metered) == {_id("1"): None}
    metered.stripe.down = False
    metered.client.post("/v1/usage", headers=login.headers, json=_batch(["2"]))
    wait_for(lambda: set(_forwarded(metered).values()) == {"sent"})


def test_no_customer_means_nothing_is_forwarded_yet(metered: Harness) -> None:
    login = metered.login()
    metered.client.post("/v1/usage", headers=login.headers, json=_batch(["1"]))
    assert metered.stripe.meter_calls == 0
    with metered.store.engine.begin() as conn:
        conn.execute(update(usage_ledger).values(forwarded=None))
    assert _forwarded(metered) == {_id("1"): None}
