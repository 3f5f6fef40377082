"""A TikTok Shop simulator on loopback, a CreatorFlow install connected to it, and the daemon's
webhook receiver in front of that install (as in ``tests/integration/tiktok``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.daemon.webhooks import WebhookReceiver
from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.context import Services
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok

APP_KEY = "sec-app-key"
APP_SECRET = "sec-app-secret-\u00e9\u202e"  # a secret that is not ASCII signs like any other


@pytest.fixture
def sim() -> TikTokShopSimulator:
    return TikTokShopSimulator(
        seed=17, app_key=APP_KEY, app_secret=APP_SECRET, product_count=2, qps=1000
    )


@pytest.fixture
def server(sim: TikTokShopSimulator) -> Iterator[RunningServer]:
    with serve(sim.app) as running:
        yield running


@pytest.fixture
def connected(
    server: RunningServer, sim: TikTokShopSimulator, tmp_path: Path
) -> Iterator[Services]:
    """An initialised install pointed at the simulator (secrets in memory), connected."""
    environ = {
        "CREATORFLOW_HOME": str(tmp_path / "home"),
        "CREATORFLOW_TIKTOK_API_BASE": server.base_url,
        "CREATORFLOW_TIKTOK_AUTH_BASE": server.base_url,
        "CREATORFLOW_TIKTOK_APP_KEY": APP_KEY,
    }
    secrets = SecretStore([MemoryBackend({"tiktok_app_secret": APP_SECRET})])
    built = Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)
    initialize(built)
    connect_tiktok(built, auth_code=sim.issue_auth_code())
    yield built
    built.close()


@pytest.fixture
def receiver(connected: Services) -> Iterator[WebhookReceiver]:
    running = WebhookReceiver(connected)
    running.start("127.0.0.1", 0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(receiver: WebhookReceiver) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=receiver.url.removesuffix("/webhooks/tiktok")) as client:
        yield client


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
