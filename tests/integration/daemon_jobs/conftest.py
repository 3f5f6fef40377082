"""An initialised install with rows written straight into its store, for the daemon's
housekeeping and notification jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.domain.stages import Stage
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.context import Services
from creatorflow.services.setup import initialize
from creatorflow.store.tables import Order, Shop
from tests.postgres import postgres_schema

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SHOP = "7000001"

MakeServices = Callable[..., Services]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``""`` (the SQLite file in the data folder), or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield ""
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def make_services(tmp_path: Path, database_url: str) -> Iterator[MakeServices]:
    """``make_services(env=None, **settings)``: a ``Services`` on one initialised home, settings
    given as environment overrides (``notify_command="…"`` → ``CREATORFLOW_NOTIFY_COMMAND``),
    ``env`` any other variables. Each call is a fresh process's view (settings read again),
    like a daemon restart."""
    home = tmp_path / "home"
    built: list[Services] = []

    def make(env: dict[str, str] | None = None, **settings: str) -> Services:
        environ = {"CREATORFLOW_HOME": str(home), **(env or {})}
        if database_url:
            environ["CREATORFLOW_DATABASE_URL"] = database_url
        environ.update({f"CREATORFLOW_{k.upper()}": v for k, v in settings.items()})
        services = Services(
            paths=resolve_paths(environ),
            environ=environ,
            secret_store=SecretStore([MemoryBackend({})]),
        )
        if not built:
            initialize(services)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def add_order(services: Services, order_id: str, **values: Any) -> None:
    """Insert an order of the test shop (created once); ``values`` override the defaults."""
    with services.store.write() as session:
        if session.get(Shop, SHOP) is None:
            session.add(
                Shop(id=SHOP, cipher="ROW_x", name="Test shop", region="US", authorized_at=NOW)
            )
            session.flush()
        row: dict[str, Any] = {
            "id": order_id,
            "shop_id": SHOP,
            "status": "AWAITING_SHIPMENT",
            "stage": Stage.NEW,
            "tiktok_created_at": NOW,
            "tiktok_updated_at": NOW,
            "stage_changed_at": NOW,
            "first_seen_at": NOW,
            "total_amount": Decimal("24.99"),
            "currency": "USD",
            "units": 1,
        }
        row.update(values)
        session.add(Order(**row))
