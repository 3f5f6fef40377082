"""The service's own tables and its database engine (SQLite by default, PostgreSQL by URL).

No migrations yet: the tables are created with `metadata.create_all` at start because the service
has never been deployed, so there is no schema in the wild to migrate from. The first change to a
deployed table brings Alembic in (its own version table, apart from the local tool's).

All times are Unix seconds (BigInteger: never a 2038 problem, never a time-zone question).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("stripe_customer_id", String(255), unique=True),
    Column("created_at", BigInteger, nullable=False),
)

installs = Table(
    "installs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    # SHA-256 hex of the install token: the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("station", String(200), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

device_codes = Table(
    "device_codes",
    metadata,
    # SHA-256 hex of the device code: it is a bearer secret until it is exchanged.
    Column("code_hash", String(64), primary_key=True),
    Column("user_code", String(16), nullable=False, unique=True),
    Column("station", String(200), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("interval", Integer, nullable=False),
    Column("last_polled_at", BigInteger),
    # pending → approved | denied; approved → consumed once the install token is handed out.
    Column("status", String(16), nullable=False, default="pending"),
    Column("account_id", String(40), ForeignKey("accounts.id")),
)

plans = Table(
    "plans",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("price_lookup_key", String(200), nullable=False, unique=True),
    Column("order_limit", Integer, nullable=False),
    # Filled from Stripe's price on first use (or by `plans set --amount …`).
    Column("price_id", String(255)),
    Column("amount", BigInteger),
    Column("currency", String(8)),
    Column("interval", String(16)),
    Column("updated_at", BigInteger, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("stripe_customer_id", String(255)),
    Column("subscription_id", String(255), nullable=False),
    Column("subscription_created", BigInteger, nullable=False),
    Column("plan", String(64)),
    Column("status", String(32), nullable=False),
    Column("period_start", BigInteger, nullable=False),
    Column("period_end", BigInteger, nullable=False),
    Column("cancel_at_period_end", Boolean, nullable=False, default=False),
    Column("past_due_since", BigInteger),
    # `created` of the newest event applied: an older event never rolls the state back.
    Column("event_created", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
)

usage_ledger = Table(
    "usage_ledger",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    # The billing period the service placed the event in when it arrived (informational; counts
    # go by `occurred_at` within the period, so a late subscription webhook moves nothing).
    Column("period_start", BigInteger, nullable=False),
    Column("order_id", String(200), nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    # Billing Meter forwarding: NULL = not yet; "sent" | "duplicate" | "rejected".
    Column("forwarded", String(16)),
    Index("ix_usage_account_time", "account_id", "occurred_at"),
)

#: Execution option: begin the transaction with `BEGIN IMMEDIATE` on SQLite (writers).
SQLITE_BEGIN = "billing_sqlite_begin"


def make_engine(url: str) -> Engine:
    """The engine for `url`: a SQLite file (created 0600) or a PostgreSQL server.

    SQLite runs in WAL mode; transactions are begun by us so that writers can take the write
    lock up front (`BEGIN IMMEDIATE`) instead of failing with "database is locked" on upgrade.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    database = parsed.database or ""
    if database in ("", ":memory:"):
        engine = create_engine(
            parsed, connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    else:
        path = Path(database).expanduser().absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        engine = create_engine(
            parsed.set(database=str(path)),
            connect_args={"timeout": 15, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
        )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged webhook or usage batch is never re-sent, so it must survive
            # a power cut.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE"
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


def create_tables(engine: Engine) -> None:
    """Create the service's tables that do not exist yet (see the module docstring)."""
    metadata.create_all(engine)
