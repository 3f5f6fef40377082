"""Fixtures for the store tests: a real SQLite file, and PostgreSQL when one is configured.

Set ``CREATORFLOW_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run the tests marked ``postgres``; each such test gets a schema of its own, dropped after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creatorflow.domain.stages import Stage
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.schema import upgrade
from creatorflow.store.session import Store
from creatorflow.store.tables import Order, Shop
from tests.postgres import postgres_schema

T0 = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "data" / "creatorflow.db")
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the empty database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """The engine, with the schema migrated to head."""
    upgrade(engine, backup_dir=None)
    return engine


@pytest.fixture
def store(migrated: Engine) -> Store:
    """A store over a migrated database."""
    return Store(migrated)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store over a migrated SQLite file (for SQLite-only behaviour)."""
    engine = make_engine(sqlite_url(tmp_path / "creatorflow.db"))
    upgrade(engine, backup_dir=None)
    store = Store(engine)
    yield store
    store.dispose()


def _add_order(
    session: Session, order_id: str = "576000000000000001", stage: Stage = Stage.NEW
) -> Order:
    if session.get(Shop, "7000001") is None:
        session.add(
            Shop(id="7000001", cipher="ROW_abc", name="Test shop", region="US", authorized_at=T0)
        )
    order = Order(
        id=order_id,
        shop_id="7000001",
        status="AWAITING_SHIPMENT",
        stage=stage,
        tiktok_created_at=T0,
        tiktok_updated_at=T0,
        total_amount=Decimal("24.99"),
        currency="USD",
        units=1,
    )
    session.add(order)
    session.flush()
    return order


@pytest.fixture
def add_order() -> Callable[..., Order]:
    """Insert a shop (once) and an order: ``add_order(session, order_id, stage)``."""
    return _add_order
