"""Money: exact parsing, currency safety, rounding and display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.money import CurrencyMismatchError, Money, total


def test_parse_keeps_the_exact_amount() -> None:
    assert Money.parse(" 12.99 ", "usd") == Money(Decimal("12.99"), "USD")


@pytest.mark.parametrize("bad", [1.5, True, "abc", "NaN", "Infinity"])
def test_parse_refuses_floats_and_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError):
        Money.parse(bad, "USD")  # type: ignore[arg-type]


def test_currency_must_be_iso() -> None:
    with pytest.raises(ValueError):
        Money(Decimal(1), "US")


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.parse("1", "USD") + Money.parse("1", "GBP")


def test_total_and_multiplication() -> None:
    items = [Money.parse("0.10", "USD")] * 10
    assert total(items, "USD") == Money.parse("1.00", "USD")
    assert Money.parse("4.25", "USD") * 3 == Money.parse("12.75", "USD")
    assert total([], "EUR") == Money.zero("EUR")


def test_rounding_follows_the_currency() -> None:
    assert Money.parse("100.5", "JPY").text() == "100"
    assert Money.parse("2.345", "USD").text() == "2.34"  # half to even
    assert Money.parse("1.2345", "KWD").text() == "1.234"


def test_display() -> None:
    assert Money.parse("1234.5", "USD").display() == "$1,234.50"
    assert Money.parse("-3", "USD").display() == "-$3.00"
    assert Money.parse("9", "SEK").display() == "9.00 SEK"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_text_round_trips_cents(amount: Decimal) -> None:
    money = Money(amount, "USD")
    assert Money.parse(money.text(), "USD") == money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("65.5700", "USD", "65.57"),
        ("65.0000", "USD", "65.00"),
        ("0.0001", "USD", "0.0001"),
        ("5000.0000", "IDR", "5000"),
        ("1.2500", "KWD", "1.250"),
    ],
)
def test_tidy_shows_usual_places_and_never_rounds(
    amount: str, currency: str, expected: str
) -> None:
    from creatorflow.domain.money import tidy

    assert str(tidy(Decimal(amount), currency)) == expected
