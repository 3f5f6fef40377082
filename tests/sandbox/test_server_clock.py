"""The loopback server helper and the simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from creatorflow.http_server import serve
from creatorflow.sandbox.clock import SimClock


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def test_serve_on_a_free_port_and_stop_twice() -> None:
    app = Starlette(routes=[Route("/", _hello)])
    server = serve(app)
    try:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port > 0
        assert httpx.get(server.base_url + "/").text == "hello"
    finally:
        server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/")


def test_clock_frozen_advance_and_speed() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SimClock(start, speed=0)
    assert clock.now() == start
    clock.advance(timedelta(hours=2))
    assert clock.now() == start + timedelta(hours=2)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        SimClock(datetime(2026, 1, 1))
    fast = SimClock(start, speed=3600)
    assert fast.now() >= start
    assert SimClock().now().tzinfo is UTC
