"""Parcel data: per-SKU weight and size, named box presets, and the parcel of an order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from creatorflow.domain.parcels import (
    Dimensions,
    MissingParcelData,
    ParcelLine,
    ParcelPlan,
    Preset,
    Weight,
    parse_dimensions,
    parse_weight,
    plan_parcel,
)
from creatorflow.errors import NotFoundError, UsageError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.store.tables import ParcelPreset, Sku

__all__ = [
    "PresetView",
    "SkuParcelView",
    "add_preset",
    "list_presets",
    "order_parcel",
    "set_parcel",
]


@dataclass(frozen=True)
class PresetView:
    """A box preset as the front ends show it."""

    name: str
    weight: str
    dimensions: str


@dataclass(frozen=True)
class SkuParcelView:
    """What ``set-parcel`` stored for a SKU."""

    sku_id: str
    seller_sku: str | None
    weight: str | None
    dimensions: str | None
    preset: str | None


def _weight(text: str) -> Weight:
    try:
        return parse_weight(text)
    except ValueError as exc:
        raise UsageError(str(exc), hint="Examples: 12oz, 1.5lb, 500g.") from None


def _dimensions(text: str) -> Dimensions:
    try:
        return parse_dimensions(text)
    except ValueError as exc:
        raise UsageError(str(exc), hint="Examples: 9x6x2in, 23x15x5cm.") from None


def _preset_domain(row: ParcelPreset) -> Preset:
    return Preset(
        name=row.name,
        weight=Weight(row.weight_value, row.weight_unit),
        dimensions=Dimensions(row.length, row.width, row.height, row.dimension_unit),
    )


def _preset_view(row: ParcelPreset) -> PresetView:
    preset = _preset_domain(row)
    return PresetView(row.name, preset.weight.text(), preset.dimensions.text())


def list_presets(services: Services) -> list[PresetView]:
    """Every box preset, by name."""
    from creatorflow.store.tables import ParcelPreset

    with services.store.read() as session:
        rows = session.scalars(select(ParcelPreset).order_by(ParcelPreset.name)).all()
        return [_preset_view(row) for row in rows]


def add_preset(services: Services, name: str, *, weight: str, dims: str) -> PresetView:
    """Add (or change) a named box: its empty weight and inside size.

    Raises:
        UsageError: a bad name, weight or size.
    """
    from creatorflow.store import tables

    clean = name.strip()
    if not clean or len(clean) > 64:
        raise UsageError("A preset needs a name of 1 to 64 characters.")
    box_weight, box = _weight(weight), _dimensions(dims)
    with services.store.write() as session:
        row = session.scalars(
            select(tables.ParcelPreset).where(tables.ParcelPreset.name == clean)
        ).first()
        if row is None:
            row = tables.ParcelPreset(name=clean)
            session.add(row)
        row.weight_value = box_weight.value
        row.weight_unit = box_weight.unit
        row.length, row.width, row.height = box.length, box.width, box.height
        row.dimension_unit = box.unit
        session.flush()
        return _preset_view(row)


def _find_sku(session: Session, sku: str) -> Sku:
    from creatorflow.store.tables import Sku

    found = session.scalars(
        select(Sku).where(or_(Sku.id == sku.strip(), Sku.seller_sku == sku.strip()))
    ).all()
    if not found:
        raise NotFoundError(
            f"There is no SKU {sku.strip()!r}.",
            hint="Run `creatorflow products sync`, then see `creatorflow products list`.",
        )
    if len(found) > 1:
        raise UsageError(
            f"{sku.strip()!r} matches {len(found)} SKUs.",
            hint="Use TikTok's SKU id instead (the sku_id column of `products list --json`).",
        )
    return found[0]


def set_parcel(
    services: Services,
    sku: str,
    *,
    weight: str | None = None,
    dims: str | None = None,
    preset: str | None = None,
) -> SkuParcelView:
    """Set a SKU's unit weight, size and/or box preset (by seller SKU or TikTok SKU id).

    Raises:
        UsageError: nothing to set, or a bad value. NotFoundError: unknown SKU or preset.
    """
    from creatorflow.store import tables

    if weight is None and dims is None and preset is None:
        raise UsageError("Give --weight, --dims or --preset.")
    unit_weight = _weight(weight) if weight is not None else None
    size = _dimensions(dims) if dims is not None else None
    with services.store.write() as session:
        row = _find_sku(session, sku)
        if unit_weight is not None:
            row.weight_value = unit_weight.value
            row.weight_unit = unit_weight.unit
        if size is not None:
            row.length, row.width, row.height = size.length, size.width, size.height
            row.dimension_unit = size.unit
        if preset is not None:
            box = session.scalars(
                select(tables.ParcelPreset).where(tables.ParcelPreset.name == preset.strip())
            ).first()
            if box is None:
                raise NotFoundError(
                    f"There is no box preset {preset.strip()!r}.",
                    hint="See `creatorflow presets list`, or add one with `presets add`.",
                )
            row.preset_id = box.id
        session.flush()
        return _sku_view(session, row)


def _sku_view(session: Session, row: Sku) -> SkuParcelView:
    line = _parcel_line(row, units=1)
    return SkuParcelView(
        sku_id=row.id,
        seller_sku=row.seller_sku,
        weight=line.weight.text() if line.weight else None,
        dimensions=line.dimensions.text() if line.dimensions else None,
        preset=row.preset.name if row.preset is not None else None,
    )


def _parcel_line(row: Sku, *, units: int) -> ParcelLine:
    weight = None
    if row.weight_value is not None and row.weight_unit is not None:
        weight = Weight(row.weight_value, row.weight_unit)
    size = None
    if (
        row.length is not None
        and row.width is not None
        and row.height is not None
        and row.dimension_unit is not None
    ):
        size = Dimensions(row.length, row.width, row.height, row.dimension_unit)
    return ParcelLine(
        sku_id=row.id,
        seller_sku=row.seller_sku,
        units=units,
        weight=weight,
        dimensions=size,
        preset=row.preset.name if row.preset is not None else None,
    )


def order_parcel(
    session: Session, order_id: str, default_preset: str | None
) -> ParcelPlan | MissingParcelData:
    """The parcel of an order from its lines' SKUs (unknown SKUs count as missing data)."""
    from creatorflow.store.tables import OrderLine, ParcelPreset, Sku

    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).all()
    units: dict[str, int] = {}
    seller: dict[str, str | None] = {}
    for line in lines:
        units[line.sku_id] = units.get(line.sku_id, 0) + 1
        seller[line.sku_id] = line.seller_sku
    skus = {row.id: row for row in session.scalars(select(Sku).where(Sku.id.in_(list(units))))}
    parcel_lines: Sequence[ParcelLine] = [
        _parcel_line(skus[sku_id], units=count)
        if sku_id in skus
        else ParcelLine(sku_id=sku_id, seller_sku=seller[sku_id], units=count)
        for sku_id, count in units.items()
    ]
    presets = [_preset_domain(row) for row in session.scalars(select(ParcelPreset))]
    return plan_parcel(parcel_lines, presets=presets, default_preset=default_preset or None)
