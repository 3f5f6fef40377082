"""PostgreSQL for tests: the server from ``CREATORFLOW_TEST_POSTGRES_URL`` and throw-away schemas.

Set it (``.ci/run`` does, when a server answers on 127.0.0.1:5432), e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; tests that need it skip otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from creatorflow.store.engine import make_engine

POSTGRES_ENV = "CREATORFLOW_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server to test against, or skip."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests")
    return url


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh, uniquely named schema; yields a URL whose search_path points at it."""
    name = f"cf_test_{secrets.token_hex(6)}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.dispose()
