"""QPS limits and injected faults, seen from the client side."""

from __future__ import annotations

import httpx
import pytest

from creatorflow.http_server import serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import START, FakeWall, Seller

SHOPS = "/authorization/202309/shops"
SEARCH = "/order/202309/orders/search"


def test_qps_limit_per_api_path(wall: FakeWall) -> None:
    sim = TikTokShopSimulator(seed=1, clock=SimClock(START, speed=0), wall=wall, qps=3)
    with serve(sim.app) as server:
        seller = Seller(sim, server.base_url, wall)
        try:
            seller.authorize()
            codes = [seller.call("POST", SEARCH, {"page_size": "5"}, {}) for _ in range(4)]
            assert [r.status_code for r in codes] == [200, 200, 200, 429]
            assert codes[-1].json()["code"] == 36009002
            # Another API path has its own bucket.
            assert seller.call("GET", SHOPS, cipher=False).status_code == 200
            wall.now += 1.0  # the bucket refills on the wall clock
            assert seller.call("POST", SEARCH, {"page_size": "5"}, {}).status_code == 200
        finally:
            seller.http.close()
    assert sim.stats()["errors"] == {"36009002": 1}


@pytest.mark.parametrize(("kind", "statuses"), [("5xx", {500, 503}), ("429", {429})])
def test_error_faults(
    sim: TikTokShopSimulator, seller: Seller, kind: str, statuses: set[int]
) -> None:
    sim.faults.fail_next(2, kind, path_prefix="/order/")
    assert seller.call("GET", SHOPS, cipher=False).status_code == 200  # other prefix
    for _ in range(2):
        response = seller.call("POST", SEARCH, {"page_size": "5"}, {})
        assert response.status_code in statuses
        assert response.json()["code"] == (36009003 if kind == "5xx" else 36009002)
    assert seller.call("POST", SEARCH, {"page_size": "5"}, {}).status_code == 200
    assert sim.stats()["faults"] == {kind: 2}


def test_slow_fault_still_answers(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.faults.slow_seconds = 0.05
    sim.faults.fail_next(1, "slow")
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 0
    assert sim.stats()["faults"] == {"slow": 1}


def test_dropped_connection(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.faults.fail_next(1, "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        seller.call("GET", SHOPS, cipher=False)
    assert seller.call("GET", SHOPS, cipher=False).json()["code"] == 0


def test_random_faults_are_deterministic(wall: FakeWall) -> None:
    def run() -> list[int]:
        sim = TikTokShopSimulator(seed=5, clock=SimClock(START, speed=0), wall=wall, qps=0)
        sim.faults.error_rate = 0.5
        sim.faults.kinds = frozenset({"5xx", "429"})
        with serve(sim.app) as server:
            seller = Seller(sim, server.base_url, wall)
            sim.faults.error_rate = 0.0
            seller.authorize()
            sim.faults.error_rate = 0.5
            try:
                return [seller.call("GET", SHOPS, cipher=False).status_code for _ in range(30)]
            finally:
                seller.http.close()

    first = run()
    assert first == run()
    assert 200 in first
    assert set(first) - {200}


def test_unknown_fault_kind(sim: TikTokShopSimulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.fail_next(1, "fire")
