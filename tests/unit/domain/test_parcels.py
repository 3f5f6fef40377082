"""Parcels: parsing what sellers type, exact weights, and the box of a multi-item order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.parcels import (
    PACKING_ALLOWANCE,
    Dimensions,
    DimensionUnit,
    MissingParcelData,
    ParcelLine,
    ParcelPlan,
    Preset,
    Weight,
    WeightUnit,
    billable_weight_lb,
    dim_divisor,
    dimensional_weight_lb,
    parse_dimensions,
    parse_weight,
    plan_parcel,
)

D = Decimal
OZ, LB, G, KG = WeightUnit.OZ, WeightUnit.LB, WeightUnit.G, WeightUnit.KG
IN, CM = DimensionUnit.IN, DimensionUnit.CM


def inches(length: str, width: str, height: str) -> Dimensions:
    return Dimensions(D(length), D(width), D(height), IN)


SMALL = Preset("small", Weight(D(1), OZ), inches("6", "4", "2"))
MEDIUM = Preset("medium", Weight(D(3), OZ), inches("10", "8", "4"))
LARGE = Preset("large", Weight(D(8), OZ), inches("14", "12", "8"))
PRESETS = {preset.name: preset for preset in (SMALL, MEDIUM, LARGE)}


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12oz", Weight(D(12), OZ)),
        ("1.5 lb", Weight(D("1.5"), LB)),
        ("500g", Weight(D(500), G)),
        ("0.5kg", Weight(D("0.5"), KG)),
        ("  3 OZ ", Weight(D(3), OZ)),
        ("2 pounds", Weight(D(2), LB)),
        (".25lbs", Weight(D("0.25"), LB)),
    ],
)
def test_parse_weight(text: str, expected: Weight) -> None:
    assert parse_weight(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12", "has no unit"),
        ("", "No weight given"),
        ("abc", "not a number with a unit"),
        ("1,5kg", "use a dot"),
        ("0oz", "more than zero"),
        ("12 stone", "unknown unit 'stone'"),
        ("-3oz", "not a number"),
        ("1e3g", "not a number"),
        ("9" * 80 + "oz", "too long"),
    ],
)
def test_parse_weight_explains_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weight(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9x6x2in", inches("9", "6", "2")),
        ("23x15x5 cm", Dimensions(D(23), D(15), D(5), CM)),
        ("9 x 6 x 2 inches", inches("9", "6", "2")),
        ("9X6X2IN", inches("9", "6", "2")),
        ("9\u00d76\u00d72in", inches("9", "6", "2")),
        ('12.5x9.5x0.75"', inches("12.5", "9.5", "0.75")),
    ],
)
def test_parse_dimensions(text: str, expected: Dimensions) -> None:
    assert parse_dimensions(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9x6x2", "has no unit"),
        ("9x6in", "not three sides"),
        ("9x6x0in", "more than zero"),
        ("9x6x2ft", "unknown unit 'ft'"),
        ("9,5x6x2in", "use a dot"),
        ("   ", "No size given"),
    ],
)
def test_parse_dimensions_explains_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_dimensions(text)


amounts = st.decimals(min_value=D("0.0001"), max_value=D("999999.9999"), places=4)


@given(amounts, st.sampled_from(list(WeightUnit)))
def test_weight_text_round_trips(value: Decimal, unit: WeightUnit) -> None:
    weight = Weight(value, unit)
    assert parse_weight(weight.text()) == weight
    assert parse_weight(f" {value} {unit.value.upper()} ") == weight


@given(amounts, amounts, amounts, st.sampled_from(list(DimensionUnit)))
def test_dimensions_text_round_trips(
    length: Decimal, width: Decimal, height: Decimal, unit: DimensionUnit
) -> None:
    size = Dimensions(length, width, height, unit)
    assert parse_dimensions(size.text()) == size
    assert parse_dimensions(f"{length} x {width} x {height} {unit.value}") == size


# --- units -----------------------------------------------------------------------------------


def test_conversions() -> None:
    assert Weight(D("1.5"), LB).ounces == 24
    assert Weight(D(1), KG).grams == 1000
    assert Weight(D("28.349523125"), G).ounces == 1
    assert Weight(D(16), OZ).pounds == 1
    assert inches("9", "6", "2").inches == inches("9", "6", "2")
    assert Dimensions(D("25.4"), D("2.54"), D("5.08"), CM).inches == inches("10", "1", "2")


def test_mixed_units_add_exactly_in_grams() -> None:
    total = Weight(D(1), LB) + Weight(D(1), OZ)
    assert total.unit is G
    assert total.grams == D("453.59237") + D("28.349523125")
    assert total.ounces == 17


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError):
        Weight(D(-1), OZ)
    with pytest.raises(ValueError):
        Dimensions(D(0), D(1), D(1), IN)
    with pytest.raises(ValueError):
        ParcelLine("s", None, 0)
    with pytest.raises(ValueError):
        Preset(" ", Weight(D(1), OZ), inches("1", "1", "1"))


def test_holds_turns_the_item() -> None:
    assert inches("10", "8", "4").holds(inches("4", "10", "8"))
    assert not inches("10", "8", "4").holds(inches("11", "1", "1"))


# --- plan_parcel ----------------------------------------------------------------------------


def line(
    sku: str,
    units: int = 1,
    weight: str | None = "4oz",
    dims: str | None = None,
    preset: str | None = None,
) -> ParcelLine:
    return ParcelLine(
        sku_id=f"id-{sku}",
        seller_sku=sku,
        units=units,
        weight=parse_weight(weight) if weight else None,
        dimensions=parse_dimensions(dims) if dims else None,
        preset=preset,
    )


def planned(result: ParcelPlan | MissingParcelData) -> ParcelPlan:
    assert isinstance(result, ParcelPlan), result
    return result


def test_shared_preset_is_used_and_weights_multiply() -> None:
    plan = planned(plan_parcel([line("TEE", 2, "5oz", preset="medium")], presets=PRESETS.values()))
    assert plan.preset == "medium"
    assert plan.weight == Weight(D(13), OZ)  # 2 x 5oz + 3oz box
    assert plan.units == 2
    assert "the preset every SKU in the order uses" in plan.reasons[0]
    assert plan.reasons[-1] == "weight 13oz: items 10oz + box 3oz"


def test_multi_sku_order_gets_the_smallest_preset_that_holds_everything() -> None:
    lines = [line("TEE", 3, "5oz", "8x6x1in"), line("MUG", 1, "12oz", "5x4x4in")]
    plan = planned(plan_parcel(lines, presets=PRESETS))
    assert plan.preset == "medium"
    assert plan.weight == Weight(D(30), OZ)
    assert "smallest preset that holds 4 units of 2 SKUs" in plan.reasons[0]


def test_mixed_presets_fall_back_to_the_search() -> None:
    lines = [line("A", 1, dims="5x3x1in", preset="small"), line("B", 1, dims="5x3x1in")]
    plan = planned(plan_parcel(lines, presets=PRESETS))
    assert plan.preset == "small"
    lines = [line("A", dims="5x3x1in", preset="small"), line("B", dims="5x3x1in", preset="large")]
    plan = planned(plan_parcel(lines, presets=PRESETS))
    assert plan.reasons[0] == "the SKUs use different presets ('large', 'small')"
    assert plan.preset == "small"


def test_shared_preset_too_small_for_many_units_is_replaced() -> None:
    plan = planned(plan_parcel([line("TEE", 6, dims="5x3x1in", preset="small")], presets=PRESETS))
    assert plan.reasons[0] == "preset 'small' is too small for 6 units of 1 SKU"
    assert plan.preset == "medium"


def test_no_preset_fits_so_the_box_is_computed() -> None:
    lines = [line("RUG", 2, "2lb", "20x10x5in"), line("PAD", 1, "3oz", "9x18x1in", "small")]
    plan = planned(plan_parcel(lines, presets=PRESETS))
    assert plan.preset is None
    assert plan.dimensions == inches("20", "11", "10")  # longest, widest, summed heights
    # items 4lb + 3oz; the heaviest preset named by a line (small, 1oz) stands in for the box
    assert plan.weight.ounces == 64 + 3 + 1
    assert plan.weight_oz == D("68.0")
    assert "stacked flat" in plan.reasons[0]
    assert "(68.0oz)" in plan.reasons[-1]


def test_computed_box_without_any_preset_has_no_box_weight() -> None:
    plan = planned(plan_parcel([line("RUG", 1, "2lb", "30x20x5in")], presets=[]))
    assert plan.weight == Weight(D(2), LB)
    assert plan.reasons[-1] == "weight 2lb (32.0oz): items only (no box weight known)"


def test_provider_figures_round_up() -> None:
    plan = planned(plan_parcel([line("X", 1, "100g", "10x5x3.01cm")], presets=[]))
    assert plan.weight_oz == D("3.6")  # 3.527... oz
    assert (plan.length_in, plan.width_in, plan.height_in) == (D("4.0"), D("2.0"), D("1.2"))


def test_missing_weight_holds_the_order_with_every_sku() -> None:
    lines = [line("A", weight=None, preset="small"), line("B"), line("C", weight=None)]
    result = plan_parcel(lines, presets=PRESETS, default_preset="small")
    assert isinstance(result, MissingParcelData)
    assert result.missing_weight == ("A", "C")
    assert result.reason.startswith("No weight set for SKU A, C.")
    assert "creatorflow products set-parcel" in result.reason


def test_missing_size_needs_a_default_preset() -> None:
    lines = [line("A"), line("B", dims="1x1x1in")]
    result = plan_parcel(lines, presets=PRESETS)
    assert isinstance(result, MissingParcelData)
    assert result.missing_dimensions == ("A",)
    plan = planned(plan_parcel(lines, presets=PRESETS, default_preset="large"))
    assert plan.preset == "large"
    assert "default preset" in plan.reasons[0]


def test_unknown_preset_is_reported() -> None:
    result = plan_parcel([line("A", preset="huge")], presets=PRESETS)
    assert isinstance(result, MissingParcelData)
    assert result.unknown_presets == ("huge",)
    assert result.reason == "Unknown box preset 'huge'. Create the preset or pick another."


def test_seller_sku_falls_back_to_the_tiktok_id() -> None:
    result = plan_parcel([ParcelLine("1729", None, 1)], presets=[])
    assert isinstance(result, MissingParcelData)
    assert result.missing_weight == ("1729",)


def test_no_lines_is_an_error() -> None:
    with pytest.raises(ValueError):
        plan_parcel([], presets=[])


sides = st.decimals(min_value=D("0.5"), max_value=D(30), places=1)
sizes = st.builds(Dimensions, sides, sides, sides, st.sampled_from(list(DimensionUnit)))
ounces = st.decimals(min_value=D("0.1"), max_value=D(200), places=2)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[ParcelLine], list[Preset]]:
    count = draw(st.integers(1, 4))
    presets = [
        Preset(f"box{index}", Weight(draw(ounces), OZ), draw(sizes))
        for index in range(draw(st.integers(0, 4)))
    ]
    names = [preset.name for preset in presets]
    lines = [
        ParcelLine(
            sku_id=f"sku{index}",
            seller_sku=None,
            units=draw(st.integers(1, 5)),
            weight=Weight(draw(ounces), OZ),
            dimensions=draw(sizes),
            preset=draw(st.sampled_from([None, *names])) if names else None,
        )
        for index in range(count)
    ]
    return lines, presets


@given(orders())
def test_plan_never_returns_a_box_smaller_than_an_item(
    order: tuple[list[ParcelLine], list[Preset]],
) -> None:
    lines, presets = order
    plan = planned(plan_parcel(lines, presets=presets))
    for item in lines:
        assert item.dimensions is not None
        assert plan.dimensions.holds(item.dimensions)
    if plan.preset is not None and plan.units > 1:
        needed = sum(
            (item.dimensions.cubic_inches * item.units for item in lines if item.dimensions),
            D(0),
        )
        assert plan.dimensions.cubic_inches >= needed * PACKING_ALLOWANCE


@given(orders())
def test_weight_sums_are_exact(order: tuple[list[ParcelLine], list[Preset]]) -> None:
    lines, presets = order
    plan = planned(plan_parcel(lines, presets=presets))
    items = sum((item.weight.value * item.units for item in lines if item.weight), D(0))
    by_name = {preset.name: preset for preset in presets}
    if plan.preset is not None:
        box = by_name[plan.preset].weight.value
    else:
        box = max((by_name[i.preset].weight.value for i in lines if i.preset), default=D(0))
    assert plan.weight == Weight(items + box, OZ)
    assert plan.weight_oz >= plan.weight.ounces
    assert plan.weight_oz - plan.weight.ounces < D("0.1")
    assert plan.units == sum(item.units for item in lines)


# --- dimensional weight ---------------------------------------------------------------------


def test_dim_divisors() -> None:
    assert dim_divisor("USPS") == 166
    assert dim_divisor("ups") == 139
    assert dim_divisor("FedEx") == 139
    assert dim_divisor("dhl_express") == 139
    assert dim_divisor("OnTrac") is None


def test_dimensional_weight_rounds_up_to_pounds() -> None:
    assert dimensional_weight_lb(inches("12", "12", "12"), 139) == 13  # 1728 / 139 = 12.4
    assert dimensional_weight_lb(inches("12", "12", "12"), 166) == 11  # 10.4
    with pytest.raises(ValueError):
        dimensional_weight_lb(inches("1", "1", "1"), 0)


def test_billable_weight() -> None:
    light = Weight(D(8), OZ)
    cube = inches("12", "12", "12")
    bigger = inches("14", "12", "12")  # 2016 in3
    assert billable_weight_lb(light, cube, "UPS") == 13
    assert billable_weight_lb(light, cube, "USPS") == 1  # one cubic foot or less: actual
    assert billable_weight_lb(light, bigger, "USPS") == 13  # 2016 / 166 = 12.1
    assert billable_weight_lb(Weight(D(20), LB), bigger, "usps") == 20
    assert billable_weight_lb(light, bigger, "OnTrac") == 1
