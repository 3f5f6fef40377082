"""A TikTok Shop simulator on loopback and a CreatorFlow install connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.context import Services
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok

APP_KEY = "it-app-key"
APP_SECRET = "it-app-secret"


@pytest.fixture
def sim() -> TikTokShopSimulator:
    return TikTokShopSimulator(seed=11, app_key=APP_KEY, app_secret=APP_SECRET, product_count=4)


@pytest.fixture
def server(sim: TikTokShopSimulator) -> Iterator[RunningServer]:
    with serve(sim.app) as running:
        yield running


@pytest.fixture
def services(server: RunningServer, tmp_path: Path) -> Iterator[Services]:
    """An initialised install pointed at the simulator (secrets in memory), not connected."""
    environ = {
        "CREATORFLOW_HOME": str(tmp_path / "home"),
        "CREATORFLOW_TIKTOK_API_BASE": server.base_url,
        "CREATORFLOW_TIKTOK_AUTH_BASE": server.base_url,
        "CREATORFLOW_TIKTOK_APP_KEY": APP_KEY,
    }
    secrets = SecretStore([MemoryBackend({"tiktok_app_secret": APP_SECRET})])
    built = Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)
    initialize(built)
    yield built
    built.close()


@pytest.fixture
def connected(services: Services, sim: TikTokShopSimulator) -> Services:
    connect_tiktok(services, auth_code=sim.issue_auth_code())
    return services
