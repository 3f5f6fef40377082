"""Column types that keep times aware-UTC and money exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)

#: JSON documents (raw TikTok payloads, effect requests/results). Python ``None`` is SQL NULL.
Json = JSON(none_as_null=True)


class JsonText(str):
    """A JSON document that is already text (a payload exactly as TikTok sent it).

    Bound to a ``Json`` column it is stored as it is, not encoded again as a JSON string: a
    sync stores thousands of payloads and re-encoding each one would double its cost.
    """

    __slots__ = ()


#: Money is stored as an integer count of ten-thousandths: sums stay exact in SQL on both
#: backends, and SQLite has no exact decimal type of its own.
MONEY_SCALE = 4
_BIGINT_MAX = 2**63 - 1
#: Operators that treat both sides as money (``between`` arrives as ``and_``).
_MONEY_OPERATORS = frozenset(
    {
        operators.add,
        operators.sub,
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.and_,
        operators.in_op,
        operators.not_in_op,
        operators.is_distinct_from,
        operators.is_not_distinct_from,
    }
)
_MONEY_ARITHMETIC = "only + and - between amounts work on money in SQL; compute the rest in Python"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and always read back as aware UTC.

    Naive datetimes are refused on the way in: a time without a zone is a bug waiting to
    happen (is it the packing PC's local time, or UTC?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a timezone")
        value = value.astimezone(UTC)
        # SQLite stores text without an offset: normalising to UTC first keeps every stored
        # value comparable and sortable as a string.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, check and format in one step: a sync binds tens of thousands of times."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        check = self.process_bind_param
        # A bulk insert binds the same ``now`` in several columns of every row: remember the
        # last value converted (one tuple, so threads never see a half-updated pair).
        last: list[tuple[object, str | None]] = [(None, None)]

        def process(value: datetime | None) -> str | None:
            seen, text = last[0]
            if value is seen:
                return text
            # Times built with tz=UTC (every TikTok time) skip the conversion.
            if type(value) is datetime and value.tzinfo is UTC:
                utc: datetime | None = value.replace(tzinfo=None)
            else:
                utc = check(value, dialect)
            # The exact text SQLAlchemy's SQLite DATETIME writes (a test holds them equal).
            text = None if utc is None else utc.isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` with at most four decimal places, stored as a BIGINT of ten-thousandths.

    A value with more places is refused, never rounded: silently losing money precision is
    worse than a loud error. Values read back have exactly four places (``Decimal("1.5000")``).
    """

    impl = BigInteger
    cache_ok = True

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal

    class comparator_factory(TypeDecorator.Comparator[Decimal]):
        """Keeps ``amount + amount`` typed as money; refuses arithmetic that would scale wrongly."""

        __slots__ = ()

        def _adapt_expression(
            self, op: OperatorType, other_comparator: TypeEngine.Comparator[Any]
        ) -> tuple[OperatorType, TypeEngine[Any]]:
            if op in (operators.add, operators.sub) and isinstance(
                other_comparator.type, ExactDecimal
            ):
                return op, self.type
            raise TypeError(_MONEY_ARITHMETIC)

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> Any:
        # A Python value next to an amount is bound as an amount (scaled to ten-thousandths),
        # which is only right when it is an amount too: ``price * 3`` would bind 30000.
        if op in _MONEY_OPERATORS:
            return self
        raise TypeError(_MONEY_ARITHMETIC)

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"money must be a Decimal or int, got {type(value).__name__}")
        return to_minor_units(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # SUM() comes back as int on SQLite and as an integral NUMERIC (Decimal) on PostgreSQL.
        return from_minor_units(int(value))


def to_minor_units(value: Decimal) -> int:
    """``value`` as an integer count of ten-thousandths, computed without any rounding.

    Raises:
        ValueError: the value is not finite, has more than four decimal places, or is too
            large for a BIGINT.
    """
    if not value.is_finite():
        raise ValueError(f"money must be finite, got {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite values have an integer exponent
    coefficient = int("".join(map(str, digits)) or "0")
    shift = exponent + MONEY_SCALE
    if coefficient and shift > 19:  # more than 10**19 ten-thousandths overflows a BIGINT
        raise ValueError(f"money value {value} is too large to store")
    power: int = 10 ** abs(shift)
    if shift >= 0:
        units = coefficient * power
    else:
        units, remainder = divmod(coefficient, power)
        if remainder:
            raise ValueError(
                f"money value {value} has more than {MONEY_SCALE} decimal places; round it first"
            )
    if units > _BIGINT_MAX:
        raise ValueError(f"money value {value} is too large to store")
    return -units if sign else units


def from_minor_units(units: int) -> Decimal:
    """An integer count of ten-thousandths as a ``Decimal`` with exactly four places."""
    return Decimal(units).scaleb(-MONEY_SCALE)


class StrEnumText(TypeDecorator[E]):
    """A ``StrEnum`` stored as its plain text value (no native ENUM type to migrate).

    Pair it with a CHECK constraint listing the values; reads come back as enum members.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E]) -> None:
        super().__init__()
        self.enum_class = enum_class

    @property
    def python_type(self) -> type[E]:
        return self.enum_class

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum_class(value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.enum_class.__name__})"
