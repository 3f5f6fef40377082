"""``sandbox serve``'s service: a working TikTok Shop on loopback and how to point at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.errors import UsageError
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.context import Services
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.sandbox import run_tiktok_sandbox
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok


def test_the_printed_settings_and_code_connect_and_sync(tmp_path: Path) -> None:
    with run_tiktok_sandbox(port=0, orders=30, seed=5) as info:
        environ = {"CREATORFLOW_HOME": str(tmp_path), **info.environment}
        secret = environ.pop("CREATORFLOW_SECRET_TIKTOK_APP_SECRET")
        services = Services(
            paths=resolve_paths(environ),
            environ=environ,
            secret_store=SecretStore([MemoryBackend({"tiktok_app_secret": secret})]),
        )
        initialize(services)
        connected = connect_tiktok(services, auth_code=info.auth_code)
        assert [shop.name for shop in connected.shops] == list(info.shop_names)
        assert sync_orders(services).new == 30
        services.close()


def test_a_taken_port_is_a_usage_error() -> None:
    with (
        run_tiktok_sandbox(port=0, orders=0) as first,
        pytest.raises(UsageError, match="cannot listen"),
        run_tiktok_sandbox(port=int(first.base_url.rsplit(":", 1)[1]), orders=0),
    ):
        pass
