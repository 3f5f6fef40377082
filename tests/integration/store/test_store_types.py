"""UtcDateTime and ExactDecimal, through a real database on each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import StatementError

from creatorflow.store.types import ExactDecimal, UtcDateTime, from_minor_units, to_minor_units

BIGINT_MAX = 2**63 - 1
MONEY = st.decimals(
    min_value=from_minor_units(-BIGINT_MAX),
    max_value=from_minor_units(BIGINT_MAX),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)

scratch_metadata = MetaData()
samples = Table(
    "type_samples",
    scratch_metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime),
    Column("amount", ExactDecimal),
)


@pytest.fixture
def scratch(engine: Engine) -> Iterator[Engine]:
    scratch_metadata.create_all(engine)
    yield engine
    scratch_metadata.drop_all(engine)


def _store_and_read(engine: Engine, **values: object) -> tuple[datetime | None, Decimal | None]:
    with engine.begin() as conn:
        new_id = conn.execute(insert(samples).values(**values).returning(samples.c.id)).scalar_one()
        row = conn.execute(select(samples.c.at, samples.c.amount).where(samples.c.id == new_id))
        at, amount = row.one()
    return at, amount


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(scratch: Engine) -> None:
    plus_530 = timezone(timedelta(hours=5, minutes=30))
    sent = datetime(2026, 11, 2, 21, 0, 0, 123456, tzinfo=plus_530)
    at, _ = _store_and_read(scratch, at=sent)
    assert at == sent
    assert at is not None
    assert at.tzinfo == UTC
    assert at.hour == 15
    assert at.microsecond == 123456


def test_naive_datetimes_are_refused(scratch: Engine) -> None:
    with pytest.raises(StatementError) as info:
        _store_and_read(scratch, at=datetime(2026, 11, 2, 15, 30))
    assert isinstance(info.value.orig, ValueError)
    assert "naive" in str(info.value.orig)


def test_utc_times_compare_in_sql_across_offsets(scratch: Engine) -> None:
    early = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    late_in_tokyo = datetime(2026, 11, 2, 20, 0, tzinfo=timezone(timedelta(hours=9)))  # 11:00Z
    _store_and_read(scratch, at=late_in_tokyo)
    _store_and_read(scratch, at=early)
    with scratch.connect() as conn:
        ordered = conn.scalars(select(samples.c.at).order_by(samples.c.at)).all()
        after = conn.scalars(
            select(samples.c.at).where(samples.c.at > datetime(2026, 11, 2, 10, 30, tzinfo=UTC))
        ).all()
    assert ordered == [early, late_in_tokyo]
    assert after == [late_in_tokyo]


def test_money_round_trips_with_four_places(scratch: Engine) -> None:
    _, amount = _store_and_read(scratch, amount=Decimal("12.99"))
    assert amount == Decimal("12.99")
    assert str(amount) == "12.9900"


def test_money_sums_exactly_in_sql(scratch: Engine) -> None:
    with scratch.begin() as conn:
        conn.execute(insert(samples), [{"amount": Decimal("0.1")} for _ in range(10)])
        total = conn.execute(select(func.sum(samples.c.amount))).scalar_one()
    assert total == Decimal("1")
    assert str(total) == "1.0000"


def test_money_compares_in_sql(scratch: Engine) -> None:
    for value in ("4.9999", "5.0000", "5.0001"):
        _store_and_read(scratch, amount=Decimal(value))
    with scratch.connect() as conn:
        above = conn.scalars(select(samples.c.amount).where(samples.c.amount > Decimal("5")))
        assert above.all() == [Decimal("5.0001")]


@pytest.mark.parametrize("value", [Decimal("0.00001"), Decimal("19.99999"), Decimal("1E-5")])
def test_money_with_five_places_is_refused_not_rounded(scratch: Engine, value: Decimal) -> None:
    with pytest.raises(StatementError) as info:
        _store_and_read(scratch, amount=value)
    assert isinstance(info.value.orig, ValueError)
    assert "decimal places" in str(info.value.orig)


@pytest.mark.parametrize("value", [1.5, True, "1.50"])
def test_money_of_other_types_is_refused(scratch: Engine, value: object) -> None:
    with pytest.raises(StatementError) as info:
        _store_and_read(scratch, amount=value)
    assert isinstance(info.value.orig, TypeError)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=MONEY)
def test_any_four_place_amount_round_trips(scratch: Engine, value: Decimal) -> None:
    _, amount = _store_and_read(scratch, amount=value)
    assert amount == value
    assert amount is not None
    assert amount.as_tuple().exponent == -4


@given(units=st.integers(min_value=-BIGINT_MAX, max_value=BIGINT_MAX))
def test_minor_units_round_trip(units: int) -> None:
    assert to_minor_units(from_minor_units(units)) == units


@given(value=MONEY, extra=st.integers(min_value=1, max_value=9), places=st.integers(5, 12))
def test_any_extra_decimal_place_is_refused(value: Decimal, extra: int, places: int) -> None:
    with pytest.raises(ValueError, match="decimal places"):
        to_minor_units(value + Decimal(extra).scaleb(-places))


@pytest.mark.parametrize(
    "value", [Decimal("1E+20"), from_minor_units(BIGINT_MAX) + 1, Decimal("NaN"), Decimal("Inf")]
)
def test_unstorable_amounts_are_refused(value: Decimal) -> None:
    with pytest.raises(ValueError):
        to_minor_units(value)


def test_trailing_zeros_beyond_four_places_are_fine() -> None:
    assert to_minor_units(Decimal("1.230000000")) == 12300
    assert to_minor_units(Decimal("-0.0001")) == -1
    assert to_minor_units(Decimal("5E+3")) == 50_000_000


def test_money_adds_and_compares_in_sql(scratch: Engine) -> None:
    _store_and_read(scratch, amount=Decimal("2.50"))
    with scratch.connect() as conn:
        plus_fee = conn.scalar(select(samples.c.amount + Decimal("0.25")))
        doubled = conn.scalar(select(samples.c.amount + samples.c.amount))
        between = conn.scalar(
            select(func.count()).where(samples.c.amount.between(Decimal("2"), Decimal("3")))
        )
        listed = conn.scalar(select(func.count()).where(samples.c.amount.in_([Decimal("2.5")])))
    assert plus_fee == Decimal("2.75")
    assert doubled == Decimal("5.00")
    assert between == listed == 1


@pytest.mark.parametrize(
    "build",
    [
        lambda: samples.c.amount * 3,
        lambda: 3 * samples.c.amount,
        lambda: samples.c.amount / 2,
        lambda: samples.c.amount * samples.c.id,
    ],
)
def test_money_arithmetic_that_would_scale_wrongly_is_refused(build: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match="only \\+ and -"):
        build()


@settings(max_examples=200)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), ZoneInfo("UTC")]),
    )
)
def test_sqlite_fast_time_binding_writes_what_sqlalchemy_would(moment: datetime) -> None:
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    column_type = UtcDateTime()
    ours = column_type.bind_processor(dialect)
    assert ours is not None
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    theirs = sqlite.DATETIME().bind_processor(dialect)
    assert theirs is not None
    assert ours(moment) == theirs(naive)
    assert ours(moment) == ours(moment)  # the remembered last value
    assert ours(None) is None


def test_sqlite_fast_time_binding_still_refuses_naive_times() -> None:
    from sqlalchemy.dialects import sqlite

    process = UtcDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))
