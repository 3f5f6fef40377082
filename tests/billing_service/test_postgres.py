"""The same service on PostgreSQL: login, usage dedup, out-of-order webhooks, revocation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.billing_service.conftest import START, Harness, make_harness
from tests.postgres import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_harness(postgres_url: str, tmp_path: Path) -> Iterator[Harness]:
    with postgres_schema(postgres_url) as url:
        h = make_harness(tmp_path, database_url=url)
        try:
            yield h
        finally:
            h.close()
            h.store.engine.dispose()


def test_the_core_flows_on_postgresql(pg_harness: Harness) -> None:
    h = pg_harness
    login = h.login()
    h.stripe.put_subscription("sub_1", account_id=login.account_id, status="past_due")
    h.webhook("evt_2", "customer.subscription.updated", {"id": "sub_1"}, created=START + 10)
    h.stripe.set_status("sub_1", "active")
    h.webhook("evt_1", "customer.subscription.created", {"id": "sub_1"}, created=START)
    h.webhook("evt_1", "customer.subscription.created", {"id": "sub_1"}, created=START)
    sub = h.store.subscription(login.account_id)
    assert sub is not None
    assert sub.status == "past_due"

    events = [
        {
            "id": hashlib.sha256(f"labelled/s/{i}".encode()).hexdigest(),
            "order_id": str(i),
            "occurred_at": "2026-05-28T21:00:00Z",
        }
        for i in [1, 2, 2, 3]
    ]
    answers = [
        h.client.post("/v1/usage", headers=login.headers, json={"events": events}).json()
        for _ in range(3)
    ]
    assert [(a["accepted"], a["duplicates"], a["period_used"]) for a in answers] == [
        (3, 1, 3),
        (0, 4, 3),
        (0, 4, 3),
    ]
    assert h.client.delete("/v1/install", headers=login.headers).status_code == 200
    assert h.client.get("/v1/entitlement", headers=login.headers).status_code == 401
