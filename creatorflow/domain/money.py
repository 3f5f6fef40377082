"""Money as an exact ``Decimal`` amount with its ISO 4217 currency.

TikTok, Shippo and EasyPost send amounts as strings; they are parsed straight into ``Decimal``
and never pass through ``float``. Adding amounts of different currencies is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: Currencies whose minor unit is not two digits (ISO 4217); the rest have cents.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "IDR": 0, "BHD": 3, "KWD": 3}

_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


class CurrencyMismatchError(ValueError):
    """Two amounts of different currencies were combined."""


@dataclass(frozen=True, order=False)
class Money:
    """An exact amount of one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError(f"amount must be a finite Decimal, got {self.amount!r}")
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"currency must be a three-letter ISO code, got {self.currency!r}")

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Read an amount as the APIs send it (``"12.99"``); floats are refused on purpose.

        Raises:
            ValueError: the amount is not a number or the currency is not an ISO code.
        """
        if isinstance(amount, float | bool):
            raise ValueError("money is never parsed from float or bool")
        try:
            value = Decimal(amount.strip() if isinstance(amount, str) else amount)
        except InvalidOperation:
            raise ValueError(f"not an amount: {amount!r}") from None
        return cls(value, currency.strip().upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money, in ``currency``."""
        return cls(Decimal(0), currency)

    @property
    def minor_digits(self) -> int:
        """How many decimal places the currency's smallest unit has."""
        return _MINOR_DIGITS.get(self.currency, 2)

    def rounded(self) -> Money:
        """This amount rounded (half to even) to the currency's smallest unit."""
        step = Decimal(1).scaleb(-self.minor_digits)
        return Money(self.amount.quantize(step, rounding=ROUND_HALF_EVEN), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def text(self) -> str:
        """The amount as a plain string for machine output (``"12.99"``)."""
        return f"{self.rounded().amount:f}"

    def display(self) -> str:
        """The amount for people (``"$12.99"``, ``"12.99 SEK"``)."""
        plain = f"{self.rounded().amount:,f}"
        symbol = _SYMBOLS.get(self.currency)
        if symbol is None:
            return f"{plain} {self.currency}"
        return f"-{symbol}{plain[1:]}" if plain.startswith("-") else f"{symbol}{plain}"


def tidy(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with the currency's usual decimal places (``65.5700`` → ``65.57``).

    Never rounds: an amount with more significant places than the currency's keeps them.
    """
    step = Decimal(1).scaleb(-_MINOR_DIGITS.get(currency, 2))
    try:
        short = amount.quantize(step)
    except InvalidOperation:
        return amount
    return short if short == amount else amount.normalize()


def total(amounts: list[Money], currency: str) -> Money:
    """Sum amounts of one currency; an empty list is zero.

    Raises:
        CurrencyMismatchError: an amount is in another currency.
    """
    result = Money.zero(currency)
    for item in amounts:
        result = result + item
    return result
