"""The declarative base every table shares: naming convention and Python → SQL type map."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, MetaData
from sqlalchemy.orm import DeclarativeBase

from creatorflow.store.types import ExactDecimal, Json, UtcDateTime

#: Every constraint and index gets a predictable name: Alembic's batch mode on SQLite can
#: only drop or alter constraints it can name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every CreatorFlow table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        Decimal: ExactDecimal(),
        dict[str, Any]: Json,
    }


def utcnow() -> datetime:
    """The current time, aware UTC: the default for bookkeeping columns."""
    return datetime.now(UTC)


def one_of(name: str, column: str, values: Iterable[str]) -> CheckConstraint:
    """A named CHECK that ``column`` holds one of ``values`` (or NULL)."""
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)
