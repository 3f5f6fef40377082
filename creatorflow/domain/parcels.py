"""Parcels: the box a whole order ships in, and its weight, worked out from its lines.

A seller types ``--weight 12oz --dims 9x6x2in`` once per SKU; :func:`plan_parcel` then works
out the parcel of any order, including orders of several units and several SKUs
(ShipStation's product defaults stop at single-item orders). Weights are summed exactly
(``Decimal``); what goes to a label provider is rounded *up* to a tenth of an ounce or inch,
so a parcel is never declared lighter or smaller than it is (USPS re-bills those).

The units, :class:`Weight`, :class:`Dimensions`, parsing and dimensional weight live in
:mod:`creatorflow.domain.measures` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from creatorflow.domain.measures import (
    DIM_DIVISORS,
    USPS_DIM_WEIGHT_MIN_CUBIC_INCHES,
    Dimensions,
    DimensionUnit,
    Weight,
    WeightUnit,
    billable_weight_lb,
    dim_divisor,
    dimensional_weight_lb,
    parse_dimensions,
    parse_weight,
    round_up,
)

__all__ = [
    "DIM_DIVISORS",
    "PACKING_ALLOWANCE",
    "USPS_DIM_WEIGHT_MIN_CUBIC_INCHES",
    "DimensionUnit",
    "Dimensions",
    "MissingParcelData",
    "ParcelLine",
    "ParcelPlan",
    "Preset",
    "Weight",
    "WeightUnit",
    "billable_weight_lb",
    "dim_divisor",
    "dimensional_weight_lb",
    "parse_dimensions",
    "parse_weight",
    "plan_parcel",
]


@dataclass(frozen=True)
class Preset:
    """A named box the seller keeps: its empty weight and its (inside) size."""

    name: str
    weight: Weight
    dimensions: Dimensions

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a preset needs a name")


@dataclass(frozen=True)
class ParcelLine:
    """One SKU of an order, counted, with what is known about its size.

    ``weight``/``dimensions`` are for one unit; ``preset`` is the name of the box the SKU
    ships in on its own, when the seller set one.
    """

    sku_id: str
    seller_sku: str | None
    units: int
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    preset: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.units, bool) or self.units < 1:
            raise ValueError(f"a parcel line needs at least one unit, got {self.units!r}")

    @property
    def label(self) -> str:
        """The SKU as the seller knows it (their own code when set)."""
        return self.seller_sku or self.sku_id


@dataclass(frozen=True)
class ParcelPlan:
    """The parcel an order ships in, and why.

    ``weight`` is the exact total (items and box); ``weight_oz`` and the ``*_in`` sides are
    what a label provider gets: ounces and inches, rounded *up* to one decimal.
    ``preset`` is ``None`` when the box was computed from the items.
    """

    weight: Weight
    dimensions: Dimensions
    preset: str | None
    units: int
    reasons: tuple[str, ...]

    @property
    def weight_oz(self) -> Decimal:
        """Total weight in ounces, rounded up to a tenth."""
        return round_up(self.weight.ounces)

    @property
    def length_in(self) -> Decimal:
        """Longest side in inches, rounded up to a tenth."""
        return round_up(self.dimensions.inches.sides[0])

    @property
    def width_in(self) -> Decimal:
        """Middle side in inches, rounded up to a tenth."""
        return round_up(self.dimensions.inches.sides[1])

    @property
    def height_in(self) -> Decimal:
        """Shortest side in inches, rounded up to a tenth."""
        return round_up(self.dimensions.inches.sides[2])


@dataclass(frozen=True)
class MissingParcelData:
    """The parcel cannot be worked out: the order is held with :attr:`reason`.

    ``missing_weight`` and ``missing_dimensions`` list SKUs as the seller knows them
    (seller SKU, else TikTok's id); ``unknown_presets`` are preset names no preset has.
    """

    missing_weight: tuple[str, ...]
    missing_dimensions: tuple[str, ...]
    unknown_presets: tuple[str, ...]
    reason: str


#: Summed item volume is multiplied by this before a box counts as big enough for them.
PACKING_ALLOWANCE = Decimal("1.2")

_SET_PARCEL = "creatorflow products set-parcel SKU --weight 12oz --dims 9x6x2in"


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _missing(
    lines: Sequence[ParcelLine], presets: Mapping[str, Preset], default_preset: str | None
) -> MissingParcelData | None:
    no_weight = _dedupe(line.label for line in lines if line.weight is None)
    unknown = _dedupe(
        name
        for name in [*(line.preset for line in lines), default_preset]
        if name is not None and name not in presets
    )
    no_size: tuple[str, ...] = ()
    if default_preset is None:
        no_size = _dedupe(
            line.label for line in lines if line.dimensions is None and line.preset is None
        )
    if not (no_weight or unknown or no_size):
        return None
    parts: list[str] = []
    if no_weight:
        parts.append(f"No weight set for SKU {', '.join(no_weight)}.")
    if no_size:
        parts.append(f"No size or box preset set for SKU {', '.join(no_size)}.")
    if unknown:
        parts.append(f"Unknown box preset {', '.join(repr(name) for name in unknown)}.")
    fix = (
        f"Set it with `{_SET_PARCEL}`."
        if no_weight or no_size
        else "Create the preset or pick another."
    )
    return MissingParcelData(no_weight, no_size, unknown, " ".join([*parts, fix]))


def _items(lines: Sequence[ParcelLine], presets: Mapping[str, Preset]) -> list[Dimensions] | None:
    """One size per unit (a unit with only a preset counts as that whole box), if all known."""
    sizes: list[Dimensions] = []
    for line in lines:
        size = line.dimensions
        if size is None and line.preset is not None:
            size = presets[line.preset].dimensions
        if size is None:
            return None
        sizes.extend([size] * line.units)
    return sizes


def _fits(box: Dimensions, items: Sequence[Dimensions]) -> bool:
    """Every item fits the box on its own, and together (with allowance) by volume."""
    if not all(box.holds(item) for item in items):
        return False
    needed = sum((item.cubic_inches for item in items), Decimal(0)) * PACKING_ALLOWANCE
    return box.cubic_inches >= needed if len(items) > 1 else True


def _stacked(items: Sequence[Dimensions]) -> Dimensions:
    """A box of the items laid flat and stacked: longest, widest, summed heights (inches)."""
    sides = [item.inches.sides for item in items]
    length = max(side[0] for side in sides)
    width = max(side[1] for side in sides)
    height = sum((side[2] for side in sides), Decimal(0))
    first, second, third = sorted((length, width, height), reverse=True)
    return Dimensions(first, second, third, DimensionUnit.IN)


def _show(weight: Weight) -> str:
    """A weight as typed, with its ounces when it is not in ounces (``"1.5lb (24oz)"``)."""
    if weight.unit is WeightUnit.OZ:
        return weight.text()
    return f"{weight.text()} ({round_up(weight.ounces)}oz)"


def _describe(lines: Sequence[ParcelLine]) -> str:
    units = sum(line.units for line in lines)
    skus = len({line.sku_id for line in lines})
    return f"{units} unit{'s' if units != 1 else ''} of {skus} SKU{'s' if skus != 1 else ''}"


def _choose_box(
    lines: Sequence[ParcelLine], presets: Mapping[str, Preset], default_preset: str | None
) -> tuple[Dimensions, Preset | None, list[str]]:
    reasons: list[str] = []
    names = {line.preset for line in lines}
    items = _items(lines, presets)
    if len(names) == 1 and None not in names:
        (name,) = names
        assert name is not None
        shared = presets[name]
        measured = all(line.dimensions is not None for line in lines)
        if not measured or items is None or _fits(shared.dimensions, items):
            reasons.append(f"box {name!r}: the preset every SKU in the order uses")
            return shared.dimensions, shared, reasons
        reasons.append(f"preset {name!r} is too small for {_describe(lines)}")
    elif len(names - {None}) > 1:
        listed = ", ".join(repr(name) for name in sorted(n for n in names if n is not None))
        reasons.append(f"the SKUs use different presets ({listed})")
    if items is None:
        # Only reachable with a default preset: _missing() refused the rest.
        assert default_preset is not None
        fallback = presets[default_preset]
        reasons.append(f"box {default_preset!r}: the default preset (not every SKU has a size)")
        return fallback.dimensions, fallback, reasons
    fitting = sorted(
        (preset for preset in presets.values() if _fits(preset.dimensions, items)),
        key=lambda preset: (preset.dimensions.cubic_inches, preset.name),
    )
    if fitting:
        best = fitting[0]
        reasons.append(f"box {best.name!r}: the smallest preset that holds {_describe(lines)}")
        return best.dimensions, best, reasons
    box = _stacked(items)
    reasons.append(
        f"box {box.text()}: no preset holds {_describe(lines)}, so the items are stacked flat"
    )
    return box, None, reasons


def plan_parcel(
    lines: Sequence[ParcelLine],
    *,
    presets: Mapping[str, Preset] | Iterable[Preset],
    default_preset: str | None = None,
) -> ParcelPlan | MissingParcelData:
    """Work out one order's parcel from its lines.

    Weight is the sum of units times unit weight plus the empty box. The box is, in this order:

    1. the preset every line shares, unless every SKU has a size and those show it cannot
       hold them all;
    2. the smallest preset (by volume, then name) that holds every item and whose volume is
       at least the summed item volume times :data:`PACKING_ALLOWANCE`;
    3. a box computed from the items laid flat and stacked (no box weight is known for it,
       unless a line's preset gives one: the heaviest such preset's is added).

    A SKU with no size but a preset counts as that whole preset box. ``default_preset`` is
    the box when some SKU has neither size nor preset.

    Returns:
        the plan, or :class:`MissingParcelData` when a weight (or any size) is missing or a
        preset name is unknown: the order is held with that reason.

    Raises:
        ValueError: no lines.
    """
    if not lines:
        raise ValueError("an order with no lines has no parcel")
    by_name: Mapping[str, Preset] = (
        presets if isinstance(presets, Mapping) else {preset.name: preset for preset in presets}
    )
    missing = _missing(lines, by_name, default_preset)
    if missing is not None:
        return missing
    box, preset, reasons = _choose_box(lines, by_name, default_preset)
    weights = [line.weight.times(line.units) for line in lines if line.weight is not None]
    items = weights[0]
    for weight in weights[1:]:
        items = items + weight
    if preset is not None:
        box_weight = preset.weight
    else:
        used = [by_name[line.preset] for line in lines if line.preset is not None]
        box_weight = max((p.weight for p in used), key=lambda w: w.grams, default=Weight.zero())
    if box_weight.value:
        total = items + box_weight
        reasons.append(f"weight {_show(total)}: items {_show(items)} + box {_show(box_weight)}")
    else:
        total = items
        reasons.append(f"weight {_show(total)}: items only (no box weight known)")
    units = sum(line.units for line in lines)
    return ParcelPlan(
        weight=total,
        dimensions=box,
        preset=preset.name if preset else None,
        units=units,
        reasons=tuple(reasons),
    )
