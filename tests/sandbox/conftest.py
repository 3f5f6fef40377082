"""A served simulator and a tiny, independent TikTok request signer for the sandbox tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from creatorflow.http_server import serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.tiktok import TikTokShopSimulator

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def tts_sign(secret: str, path: str, query: dict[str, str], body: bytes = b"") -> str:
    """The signing recipe of the reference (§2.1), written out again for the tests."""
    items = sorted((k, v) for k, v in query.items() if k not in ("sign", "access_token"))
    base = path + "".join(f"{k}{v}" for k, v in items)
    wrapped = secret.encode() + base.encode() + body + secret.encode()
    return hmac.new(secret.encode(), wrapped, hashlib.sha256).hexdigest()


class FakeWall:
    """The simulator's real-time clock, movable by tests."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Seller:
    """An httpx client that authorizes like a seller and signs like a TikTok app."""

    def __init__(self, sim: TikTokShopSimulator, base_url: str, wall: FakeWall) -> None:
        self.sim = sim
        self.wall = wall
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.access_token = ""
        self.refresh_token = ""
        self.cipher = sim.shops[0].cipher

    def token(self, path: str, **params: str) -> httpx.Response:
        """Call a token endpoint (unsigned, app_secret in the query)."""
        query = {"app_key": self.sim.app_key, "app_secret": self.sim.app_secret} | params
        return self.http.get(path, params=query)

    def authorize(self) -> dict[str, Any]:
        """Run the auth-code exchange and keep the tokens."""
        code = self.sim.issue_auth_code("state-1")
        response = self.token("/api/v2/token/get", auth_code=code, grant_type="authorized_code")
        data: dict[str, Any] = response.json()["data"]
        self.access_token, self.refresh_token = data["access_token"], data["refresh_token"]
        return data

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: object | None = None,
        *,
        cipher: str | bool | None = True,
        raw_body: bytes | None = None,
        tamper: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A signed Open API request; `tamper` changes query values after signing."""
        query = {"app_key": self.sim.app_key, "timestamp": str(int(self.wall()))}
        query |= params or {}
        if cipher is True:
            query["shop_cipher"] = self.cipher
        elif isinstance(cipher, str):
            query["shop_cipher"] = cipher
        raw = raw_body
        if raw is None and body is not None:
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        query["sign"] = tts_sign(self.sim.app_secret, path, query, raw or b"")
        query |= tamper or {}
        headers = {"content-type": "application/json", "x-tts-access-token": self.access_token}
        return self.http.request(method, path, params=query, content=raw, headers=headers)

    def ok(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: object | None = None,
    ) -> dict[str, Any]:
        """A call that must succeed; returns ``data``."""
        response = self.call(method, path, params, body)
        payload = response.json()
        assert response.status_code == 200, payload
        assert payload["code"] == 0, payload
        assert set(payload) == {"code", "message", "request_id", "data"}
        data: dict[str, Any] = payload["data"]
        return data


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest.fixture
def sim(wall: FakeWall) -> TikTokShopSimulator:
    return TikTokShopSimulator(seed=7, clock=SimClock(START, speed=0), wall=wall, cancel_rate=0.0)


@pytest.fixture
def seller(sim: TikTokShopSimulator, wall: FakeWall) -> Iterator[Seller]:
    with serve(sim.app) as server:
        client = Seller(sim, server.base_url, wall)
        client.authorize()
        try:
            yield client
        finally:
            client.http.close()
