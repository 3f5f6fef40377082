"""The documented rate limits (429 + Retry-After) and every injected fault kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from shippo.models import errors, operations

from creatorflow.sandbox.shippo.limits import RateLimiter
from tests.sandbox.shippo.conftest import Env, buy, make_env, sdk_for, shipment


@pytest.fixture
def limited() -> Iterator[Env]:
    yield from make_env(requests_per_minute={"default:write": 2, "default:list": 1})


def test_rate_limit_answers_429_with_retry_after(limited: Env) -> None:
    env = limited
    shipment(env.sdk)
    shipment(env.sdk)
    with pytest.raises(errors.SDKError) as caught:
        shipment(env.sdk)
    assert caught.value.status_code == 429
    assert caught.value.raw_response.headers["Retry-After"] == "30"
    env.sdk.transactions.list(operations.ListTransactionsRequest())
    with pytest.raises(errors.SDKError) as listed:
        env.sdk.transactions.list(operations.ListTransactionsRequest())
    assert listed.value.status_code == 429
    assert listed.value.raw_response.headers["Retry-After"] == "60"
    env.wall.now += 30
    shipment(env.sdk)  # one write came back
    stats = env.sim.stats()
    assert stats["rate_limited"] == {"POST /shipments": 1, "GET /transactions": 1}


def test_documented_limits_per_family() -> None:
    now = [0.0]
    limiter = RateLimiter({"default:list": 10, "default:get": 400}, wall=lambda: now[0])
    assert all(limiter.take("transactions", "list") is None for _ in range(10))
    assert limiter.take("transactions", "list") == 6
    assert limiter.take("transactions", "get") is None  # another bucket
    now[0] += 6
    assert limiter.take("transactions", "list") is None


def test_5xx_fault_processes_nothing(env: Env) -> None:
    shp = shipment(env.sdk)
    env.sim.faults.fail_next(1, "5xx", "POST /transactions")
    with pytest.raises(errors.SDKError) as caught:
        buy(env.sdk, shp.rates[0].object_id)
    assert caught.value.status_code in (500, 503)
    assert env.sim.stats()["purchases"] == 0
    assert env.sim.stats()["faults"] == {"5xx": 1}


def test_429_fault_has_retry_after(env: Env) -> None:
    env.sim.faults.fail_next(1, "429", "/shipments")
    with pytest.raises(errors.SDKError) as caught:
        shipment(env.sdk)
    assert caught.value.status_code == 429
    assert caught.value.raw_response.headers["Retry-After"] == "1"
    assert env.sim.stats()["shipments"] == 0


def test_drop_fault_buys_then_hangs_up(env: Env) -> None:
    shp = shipment(env.sdk)
    env.sim.faults.fail_next(1, "drop", "/transactions")
    with pytest.raises(requests.exceptions.RequestException):  # broken answer
        buy(env.sdk, shp.rates[0].object_id)
    assert env.sim.stats()["purchases"] == 1
    assert buy(env.sdk, shp.rates[0].object_id, metadata="other").object_id


def test_slow_fault_trips_a_client_timeout(env: Env) -> None:
    env.sim.faults.slow_seconds = 0.5

    class Timed(requests.Session):
        def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
            kwargs["timeout"] = 0.1
            return super().send(request, **kwargs)  # type: ignore[arg-type]

    with Timed() as session:
        sdk = sdk_for(env.base_url, session)
        env.sim.faults.fail_next(1, "slow", "/addresses")
        with pytest.raises(requests.exceptions.ReadTimeout):
            sdk.addresses.list(page=1, results=1)
        assert sdk.addresses.list(page=1, results=1).results == []


def test_random_faults_are_reproducible() -> None:
    from creatorflow.sandbox.shippo import FaultPlan

    def draw() -> list[str | None]:
        plan = FaultPlan(3)
        plan.error_rate = 0.5
        return [plan.pick("GET", "/x") for _ in range(20)]

    assert draw() == draw()
    assert any(draw())
    assert None in draw()


def test_unknown_fault_kind_is_refused() -> None:
    from creatorflow.sandbox.shippo import FaultPlan

    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan(0).fail_next(1, "boom")


def test_latency_is_awaited() -> None:
    import time

    for env in make_env(latency=0.2):
        started = time.monotonic()
        env.sdk.addresses.list(page=1, results=1)
        assert time.monotonic() - started >= 0.2
