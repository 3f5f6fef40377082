"""``SandboxWorld``: three simulators on one clock, their knobs and one summary of them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

import httpx
import pytest

from creatorflow.sandbox.control import SandboxServers, control_app
from creatorflow.sandbox.world import SandboxWorld


def test_the_three_simulators_share_one_clock() -> None:
    world = SandboxWorld(seed=1)
    assert world.tiktok.clock is world.shippo.clock is world.easypost.clock is world.clock
    before = world.shippo.now()
    world.advance(timedelta(hours=5))
    # EasyPost shows whole seconds.
    assert world.easypost.now() >= (before + timedelta(hours=5)).replace(microsecond=0)
    assert world.tiktok.clock_now() - int(before.timestamp()) >= 5 * 3600


def test_stats_count_the_orders_by_status() -> None:
    world = SandboxWorld(seed=2)
    world.tiktok.generate_orders(6, spread=timedelta(hours=3), status="AWAITING_SHIPMENT")
    cancelled = world.tiktok.generate_orders(2, spread=timedelta(hours=3), status="ON_HOLD")
    world.cancel_order(cancelled[0])
    stats = world.stats()
    assert stats["orders_created"] == 8
    assert stats["orders_by_status"] == {"AWAITING_SHIPMENT": 6, "ON_HOLD": 1, "CANCELLED": 1}
    assert stats["orders_shipped"] == 0
    assert stats["labels_bought"] == {
        "tiktok_shipping": 0,
        "shippo": 0,
        "easypost": 0,
        "total": 0,
    }
    assert stats["duplicate_purchases"] == 0


def test_orders_arrive_at_the_rate_per_simulated_hour() -> None:
    world = SandboxWorld(seed=3, orders_per_hour=60)
    world.advance(timedelta(hours=2))
    assert world.stats()["orders_created"] == 120
    statuses = world.stats()["orders_by_status"]
    assert isinstance(statuses, dict)
    # Paid after 1-10 minutes, then TikTok's one-hour hold: the early ones are ready by now.
    assert statuses.get("AWAITING_SHIPMENT", 0) > 0


def test_duplicates_add_up_across_the_three_providers() -> None:
    world = SandboxWorld(seed=4)
    world.tiktok.label_purchases.update({"pkg-1": 1, "pkg-2": 3})
    world.shippo.purchases_by_metadata.update({"label:a": 2, "label:b": 1})
    world.easypost.duplicate_purchases = 1
    assert world.duplicate_purchases() == 2 + 1 + 1
    stats = world.stats()
    assert stats["duplicate_purchases"] == 4
    assert stats["labels_bought"] == {
        "tiktok_shipping": 4,
        "shippo": 0,
        "easypost": 0,
        "total": 4,
    }


def test_the_fault_rate_reaches_all_three_and_is_counted() -> None:
    world = SandboxWorld(seed=5, fault_rate=1.0)
    for plan in (world.tiktok.faults, world.shippo.faults, world.easypost.faults):
        assert plan.error_rate == 1.0
    assert world.tiktok.faults.pick("/order/202309/orders/search") is not None
    assert world.shippo.faults.choose("/shipments/") is not None
    faults = world.stats()["faults"]
    assert isinstance(faults, dict)
    assert faults["total"] == 2
    world.fault_rate = 0
    assert world.easypost.faults.error_rate == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        world.fault_rate = 1.5


def test_latency_delays_every_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    world = SandboxWorld(seed=6, latency=0.25)
    assert world.shippo.latency == world.easypost.latency == 0.25
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    # The world module awaits asyncio.sleep: the same function object is replaced here.
    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/no/such/path",
        "raw_path": b"/no/such/path",
        "query_string": b"",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }

    async def call() -> None:
        await world.apps()["tiktok"](scope, receive, send)

    asyncio.run(call())
    assert slept[:1] == [0.25]
    assert sent[0]["status"] == 404
    with pytest.raises(ValueError, match=">= 0"):
        world.latency = -1


async def test_the_control_app_answers_stats_codes_and_clock_moves() -> None:
    world = SandboxWorld(seed=7)
    world.tiktok.generate_orders(3, status="AWAITING_SHIPMENT")
    servers = SandboxServers(world.apps())
    transport = httpx.ASGITransport(app=control_app(world, servers))
    async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
        stats = (await client.get("/stats")).json()
        assert stats["orders_created"] == 3
        assert stats["outage"] == {"down": False, "seconds_left": 0.0}
        first = (await client.post("/auth-code")).json()["auth_code"]
        assert first != (await client.post("/auth-code")).json()["auth_code"]
        before = world.clock.now()
        moved = await client.post("/advance", json={"seconds": 7200})
        assert moved.status_code == 200
        assert world.clock.now() - before >= timedelta(hours=2)
        for body in ({}, {"seconds": 0}, {"seconds": "ten"}, {"seconds": 99999}):
            refused = await client.post("/outage", json=body)
            assert refused.status_code == 400, body
            assert "seconds" in refused.json()["error"]


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_an_outage_refuses_connections_and_closing_ends_it_for_good() -> None:
    world = SandboxWorld(seed=8)
    servers = SandboxServers(world.apps())
    servers.start()
    ports = [int(url.rsplit(":", 1)[1]) for url in servers.urls.values()]
    assert not any(_refuses(port) for port in ports)
    servers.outage(600)
    assert servers.down_for() > 590
    assert all(_refuses(port) for port in ports)
    with pytest.raises(ValueError, match="at most"):
        servers.outage(0)
    servers.close()  # returns at once: the pending come-back is called off
    assert all(_refuses(port) for port in ports)
