"""Weights and sizes: the units sellers type them in, parsing, and dimensional weight.

``parse_weight("12oz")`` and ``parse_dimensions("9x6x2in")`` read what a seller types in
``products set-parcel``; their ``ValueError`` messages are shown to the seller as they are.
Amounts stay exact ``Decimal`` in the unit they were typed in; conversions to ounces and
inches happen on demand. Units keep the values the store uses (``oz``, ``lb``, ``g``, ``kg``;
``in``, ``cm``) so the two sets of enums map one to one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

__all__ = [
    "DIM_DIVISORS",
    "USPS_DIM_WEIGHT_MIN_CUBIC_INCHES",
    "DimensionUnit",
    "Dimensions",
    "Weight",
    "WeightUnit",
    "billable_weight_lb",
    "dim_divisor",
    "dimensional_weight_lb",
    "parse_dimensions",
    "parse_weight",
    "round_up",
]


class WeightUnit(StrEnum):
    """Units a weight may be entered in (the store keeps these values)."""

    OZ = "oz"
    LB = "lb"
    G = "g"
    KG = "kg"


class DimensionUnit(StrEnum):
    """Units a side may be entered in (the store keeps these values)."""

    IN = "in"
    CM = "cm"


#: Grams in one unit; exact by definition (1 lb = 453.59237 g, 1 oz = 1/16 lb).
_GRAMS: Mapping[WeightUnit, Decimal] = {
    WeightUnit.OZ: Decimal("28.349523125"),
    WeightUnit.LB: Decimal("453.59237"),
    WeightUnit.G: Decimal(1),
    WeightUnit.KG: Decimal(1000),
}
_CM_PER_INCH = Decimal("2.54")
_TENTH = Decimal("0.1")

_WEIGHT_UNITS: Mapping[str, WeightUnit] = {
    "oz": WeightUnit.OZ,
    "ounce": WeightUnit.OZ,
    "ounces": WeightUnit.OZ,
    "lb": WeightUnit.LB,
    "lbs": WeightUnit.LB,
    "pound": WeightUnit.LB,
    "pounds": WeightUnit.LB,
    "g": WeightUnit.G,
    "gram": WeightUnit.G,
    "grams": WeightUnit.G,
    "kg": WeightUnit.KG,
    "kgs": WeightUnit.KG,
    "kilo": WeightUnit.KG,
    "kilos": WeightUnit.KG,
    "kilogram": WeightUnit.KG,
    "kilograms": WeightUnit.KG,
}
_DIMENSION_UNITS: Mapping[str, DimensionUnit] = {
    "in": DimensionUnit.IN,
    "inch": DimensionUnit.IN,
    "inches": DimensionUnit.IN,
    '"': DimensionUnit.IN,
    "cm": DimensionUnit.CM,
}

_NUMBER = r"\d{1,6}(?:\.\d{1,4})?|\.\d{1,4}"
_WEIGHT_RE = re.compile(rf"^(?P<value>{_NUMBER})\s*(?P<unit>[a-z\"]*)$")
_DIMS_RE = re.compile(
    rf"^(?P<l>{_NUMBER})\s*[x\u00d7*]\s*(?P<w>{_NUMBER})\s*[x\u00d7*]\s*(?P<h>{_NUMBER})\s*(?P<unit>[a-z\"]*)$"
)
_MAX_INPUT = 60

_WEIGHT_EXAMPLE = "write it like 12oz, 1.5lb, 500g or 0.5kg"
_DIMS_EXAMPLE = "write length x width x height with a unit, like 9x6x2in or 23x15x5cm"


def _plain(value: Decimal) -> str:
    """A decimal without exponent or needless trailing zeros (``1.50`` → ``1.5``)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def round_up(value: Decimal, step: Decimal = _TENTH) -> Decimal:
    """``value`` rounded up to ``step`` (a tenth by default): never under-declares."""
    return value.quantize(step, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Weight:
    """A weight as entered: an exact positive (or, for totals, zero) amount of one unit."""

    value: Decimal
    unit: WeightUnit

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite() or self.value < 0:
            raise ValueError(f"a weight must be a finite, non-negative Decimal: {self.value!r}")

    @classmethod
    def zero(cls, unit: WeightUnit = WeightUnit.OZ) -> Weight:
        """No weight at all."""
        return cls(Decimal(0), unit)

    @property
    def grams(self) -> Decimal:
        """The weight in grams (exact for every unit)."""
        return self.value * _GRAMS[self.unit]

    @property
    def ounces(self) -> Decimal:
        """The weight in ounces (exact for oz and lb; 28 significant digits for metric)."""
        if self.unit is WeightUnit.OZ:
            return self.value
        if self.unit is WeightUnit.LB:
            return self.value * 16
        return self.grams / _GRAMS[WeightUnit.OZ]

    @property
    def pounds(self) -> Decimal:
        """The weight in pounds."""
        return self.ounces / 16

    def times(self, units: int) -> Weight:
        """``units`` of this weight, in the same unit."""
        if units < 0:
            raise ValueError("cannot weigh a negative number of units")
        return Weight(self.value * units, self.unit)

    def __add__(self, other: Weight) -> Weight:
        """The exact sum: in the shared unit, else in grams (exact for every unit)."""
        if other.unit is self.unit:
            return Weight(self.value + other.value, self.unit)
        return Weight(self.grams + other.grams, WeightUnit.G)

    def text(self) -> str:
        """The weight as a seller would type it (``"12oz"``); :func:`parse_weight` reads it."""
        return f"{_plain(self.value)}{self.unit.value}"

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Dimensions:
    """A box or an item: three positive sides in one unit."""

    length: Decimal
    width: Decimal
    height: Decimal
    unit: DimensionUnit

    def __post_init__(self) -> None:
        for side in (self.length, self.width, self.height):
            if not isinstance(side, Decimal) or not side.is_finite() or side <= 0:
                raise ValueError(f"every side must be a positive finite Decimal: {side!r}")

    @property
    def inches(self) -> Dimensions:
        """The same sides in inches."""
        if self.unit is DimensionUnit.IN:
            return self
        return Dimensions(
            self.length / _CM_PER_INCH,
            self.width / _CM_PER_INCH,
            self.height / _CM_PER_INCH,
            DimensionUnit.IN,
        )

    @property
    def sides(self) -> tuple[Decimal, Decimal, Decimal]:
        """The sides, longest first."""
        first, second, third = sorted((self.length, self.width, self.height), reverse=True)
        return first, second, third

    @property
    def volume(self) -> Decimal:
        """Length times width times height, in the cube of the unit."""
        return self.length * self.width * self.height

    @property
    def cubic_inches(self) -> Decimal:
        """The volume in cubic inches."""
        return self.inches.volume

    def holds(self, item: Dimensions) -> bool:
        """Whether ``item`` fits inside this box, turned any right-angled way."""
        box, thing = self.inches.sides, item.inches.sides
        return all(b >= t for b, t in zip(box, thing, strict=True))

    def text(self) -> str:
        """The sides as a seller would type them (``"9x6x2in"``)."""
        sides = "x".join(_plain(side) for side in (self.length, self.width, self.height))
        return f"{sides}{self.unit.value}"

    def __str__(self) -> str:
        return self.text()


def _clean(text: str, what: str, example: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"No {what} given: {example}.")
    if len(text) > _MAX_INPUT:
        raise ValueError(f"That {what} is too long to be real: {example}.")
    return " ".join(text.strip().lower().split())


def parse_weight(text: str) -> Weight:
    """Read a weight as typed: ``"12oz"``, ``"1.5 lb"``, ``"500g"``, ``"0.5kg"``.

    Raises:
        ValueError: not a positive number followed by a known unit; the message says how to
            write it.
    """
    cleaned = _clean(text, "weight", _WEIGHT_EXAMPLE)
    if "," in cleaned:
        raise ValueError(f"Weight {text.strip()!r}: use a dot for decimals ({_WEIGHT_EXAMPLE}).")
    match = _WEIGHT_RE.match(cleaned)
    if match is None:
        raise ValueError(f"Weight {text.strip()!r} is not a number with a unit: {_WEIGHT_EXAMPLE}.")
    unit_text = match["unit"]
    if not unit_text:
        raise ValueError(f"Weight {text.strip()!r} has no unit: {_WEIGHT_EXAMPLE}.")
    unit = _WEIGHT_UNITS.get(unit_text)
    if unit is None:
        raise ValueError(
            f"Weight {text.strip()!r}: unknown unit {unit_text!r}; use oz, lb, g or kg."
        )
    value = Decimal(match["value"])
    if value <= 0:
        raise ValueError(f"Weight {text.strip()!r} must be more than zero.")
    return Weight(value, unit)


def parse_dimensions(text: str) -> Dimensions:
    """Read a size as typed: ``"9x6x2in"``, ``"23x15x5 cm"``, ``"9 x 6 x 2 inches"``.

    Raises:
        ValueError: not three positive numbers and a known unit; the message says how to
            write it.
    """
    cleaned = _clean(text, "size", _DIMS_EXAMPLE)
    if "," in cleaned:
        raise ValueError(f"Size {text.strip()!r}: use a dot for decimals ({_DIMS_EXAMPLE}).")
    match = _DIMS_RE.match(cleaned)
    if match is None:
        raise ValueError(f"Size {text.strip()!r} is not three sides: {_DIMS_EXAMPLE}.")
    unit_text = match["unit"]
    if not unit_text:
        raise ValueError(f"Size {text.strip()!r} has no unit: {_DIMS_EXAMPLE}.")
    unit = _DIMENSION_UNITS.get(unit_text)
    if unit is None:
        raise ValueError(f"Size {text.strip()!r}: unknown unit {unit_text!r}; use in or cm.")
    sides = [Decimal(match[key]) for key in ("l", "w", "h")]
    if any(side <= 0 for side in sides):
        raise ValueError(f"Size {text.strip()!r}: every side must be more than zero.")
    return Dimensions(sides[0], sides[1], sides[2], unit)


#: Cubic inches per pound of billed weight, by carrier (Shippo's rate-shopping guide).
DIM_DIVISORS: Mapping[str, int] = {"usps": 166, "ups": 139, "fedex": 139, "dhl": 139}

#: USPS bills dimensional weight only for parcels above one cubic foot.
USPS_DIM_WEIGHT_MIN_CUBIC_INCHES = Decimal(1728)


def _carrier(carrier: str) -> str | None:
    key = carrier.strip().lower().replace(" ", "_")
    for name in DIM_DIVISORS:
        if key == name or key.startswith(f"{name}_"):
            return name
    return None


def dim_divisor(carrier: str) -> int | None:
    """The dimensional-weight divisor of ``carrier`` (``USPS`` → 166), if known."""
    name = _carrier(carrier)
    return None if name is None else DIM_DIVISORS[name]


def dimensional_weight_lb(dimensions: Dimensions, divisor: int) -> Decimal:
    """Volume in cubic inches ÷ ``divisor``, rounded up to a whole pound as carriers bill."""
    if divisor <= 0:
        raise ValueError("a dimensional-weight divisor must be positive")
    return (dimensions.cubic_inches / divisor).quantize(Decimal(1), rounding=ROUND_CEILING)


def billable_weight_lb(weight: Weight, dimensions: Dimensions, carrier: str) -> Decimal:
    """What ``carrier`` bills: the greater of actual and dimensional weight, in whole pounds.

    Unknown carriers bill actual weight; USPS applies dimensional weight only above one
    cubic foot.
    """
    actual = weight.pounds.quantize(Decimal(1), rounding=ROUND_CEILING)
    name = _carrier(carrier)
    if name is None:
        return actual
    if name == "usps" and dimensions.cubic_inches <= USPS_DIM_WEIGHT_MIN_CUBIC_INCHES:
        return actual
    return max(actual, dimensional_weight_lb(dimensions, DIM_DIVISORS[name]))
