"""Reading orders from the local store: the listing and one order in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from creatorflow.domain.money import tidy
from creatorflow.domain.orders import LineRecord, SkuUnits, group_units
from creatorflow.domain.stages import Stage
from creatorflow.errors import NotFoundError, UsageError
from creatorflow.services.context import Services

__all__ = [
    "MAX_LIMIT",
    "AddressView",
    "EventView",
    "OrderDetail",
    "OrderSummary",
    "ShipmentView",
    "list_orders",
    "parse_stage",
    "show_order",
]

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class OrderSummary:
    """One row of ``orders list``."""

    id: str
    shop_id: str
    status: str
    stage: Stage
    created_at: datetime
    updated_at: datetime
    shipping_due_at: datetime | None
    total_amount: Decimal
    currency: str
    units: int
    hold_reason: str | None
    attention_reason: str | None
    buyer_cancel_requested: bool
    dispatch_state: str | None = None
    possibly_lost: bool = False


@dataclass(frozen=True)
class EventView:
    """One entry of an order's audit log."""

    at: datetime
    actor: str
    kind: str
    from_value: str | None
    to_value: str | None
    reason: str | None
    #: The packing station that wrote it (None before schema 0005 and for synced statuses).
    station: str | None = None


@dataclass(frozen=True)
class ShipmentView:
    """A label bought for an order."""

    provider: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    cost: Decimal | None
    currency: str | None
    state: str
    created_at: datetime


@dataclass(frozen=True)
class AddressView:
    """Where the order ships; ``None`` on the order while TikTok masks it."""

    name: str | None
    phone: str | None
    lines: tuple[str, ...]
    city: str | None
    state: str | None
    postal_code: str | None
    country_code: str | None


@dataclass(frozen=True)
class OrderDetail:
    """``orders show``: the summary, lines grouped per SKU, address, events and shipments."""

    summary: OrderSummary
    lines: list[SkuUnits]
    address: AddressView | None
    buyer_message: str | None
    events: list[EventView]
    shipments: list[ShipmentView]


#: ``--stage`` also takes these flags set by tracking sync (not stages of their own).
FLAGS = ("late", "at_risk", "overdue", "possibly_lost")


def parse_stage(value: str) -> Stage | str:
    """A stage name as the user typed it, or one of the tracking :data:`FLAGS`.

    Raises:
        UsageError: neither (the hint lists them).
    """
    cleaned = value.strip().lower().replace("-", "_")
    if cleaned in FLAGS:
        return cleaned
    try:
        return Stage(cleaned)
    except ValueError:
        raise UsageError(
            f"There is no stage called {value!r}.",
            hint="Stages: "
            + ", ".join(stage.value for stage in Stage)
            + "; flags: "
            + ", ".join(FLAGS)
            + ".",
        ) from None


def _summary(order: object) -> OrderSummary:
    from creatorflow.store.tables import Order

    assert isinstance(order, Order)
    return OrderSummary(
        id=order.id,
        shop_id=order.shop_id,
        status=order.status,
        stage=order.stage,
        created_at=order.tiktok_created_at,
        updated_at=order.tiktok_updated_at,
        shipping_due_at=order.shipping_due_at,
        total_amount=tidy(order.total_amount, order.currency),
        currency=order.currency,
        units=order.units,
        hold_reason=order.hold_reason,
        attention_reason=order.attention_reason,
        buyer_cancel_requested=order.buyer_cancel_requested,
        dispatch_state=order.dispatch_state,
        possibly_lost=order.possibly_lost,
    )


def list_orders(
    services: Services,
    *,
    stage: Stage | str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    limit: int = 50,
) -> list[OrderSummary]:
    """The newest orders first, filtered by our stage (or a tracking flag: ``late`` lists the
    late, overdue and at-risk ones, most urgent first), TikTok's status and the ship-by time.

    Raises:
        UsageError: ``limit`` is not between 1 and 10,000.
    """
    from sqlalchemy import select

    from creatorflow.store.tables import Order

    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be between 1 and {MAX_LIMIT:,}, not {limit}.")
    query = select(Order).order_by(Order.tiktok_created_at.desc(), Order.id.desc()).limit(limit)
    if isinstance(stage, Stage):
        query = query.where(Order.stage == stage)
    elif stage is not None:
        # A tracking flag: orders still on their way, most urgent first.
        from creatorflow.services.tracking_sync import dispatch_filter_values

        if stage == "possibly_lost":
            query = query.where(Order.possibly_lost.is_(True))
        else:
            query = query.where(Order.dispatch_state.in_(dispatch_filter_values()[stage]))
        query = (
            query.where(Order.stage.not_in([Stage.CANCELLED, Stage.VOIDING, Stage.VOIDED]))
            .order_by(None)
            .order_by(Order.shipping_due_at, Order.id)
        )
    if status is not None:
        query = query.where(Order.status == status.strip().upper())
    if due_before is not None:
        query = query.where(Order.shipping_due_at < due_before)
    with services.store.read() as session:
        return [_summary(order) for order in session.scalars(query)]


def show_order(services: Services, order_id: str) -> OrderDetail:
    """One order with its lines, address (unless masked), audit log and labels.

    Raises:
        NotFoundError: no such order in the local store.
    """
    from sqlalchemy import select

    from creatorflow.store.tables import Order, OrderEvent

    with services.store.read() as session:
        order = session.get(Order, order_id.strip())
        if order is None:
            raise NotFoundError(
                f"Order {order_id.strip()} is not in the local store.",
                hint="Run `creatorflow orders sync`, or find the id in `creatorflow orders list`.",
            )
        events = session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.at, OrderEvent.id)
        ).all()
        lines = [
            LineRecord(
                id=line.id,
                sku_id=line.sku_id,
                product_id=line.product_id,
                product_name=line.product_name,
                unit_price=tidy(line.unit_price, line.currency),
                currency=line.currency,
                seller_sku=line.seller_sku,
                sku_name=line.sku_name,
            )
            for line in order.lines
        ]
        shipments = [
            ShipmentView(
                provider=shipment.provider,
                carrier=shipment.carrier,
                service=shipment.service,
                tracking_number=shipment.tracking_number,
                cost=tidy(shipment.cost, shipment.currency or "USD")
                if shipment.cost is not None
                else None,
                currency=shipment.currency,
                state=shipment.state.value,
                created_at=shipment.created_at,
            )
            for shipment in order.shipments
        ]
        address = None
        if not order.address_masked:
            parts = (order.address_line1, order.address_line2, order.address_line3)
            address = AddressView(
                name=order.recipient_name,
                phone=order.recipient_phone,
                lines=tuple(part for part in (*parts, order.address_line4) if part),
                city=order.city,
                state=order.state,
                postal_code=order.postal_code,
                country_code=order.country_code,
            )
        return OrderDetail(
            summary=_summary(order),
            lines=group_units(lines),
            address=address,
            buyer_message=order.buyer_message,
            events=[
                EventView(
                    e.at, e.actor, e.kind.value, e.from_value, e.to_value, e.reason, e.station
                )
                for e in events
            ],
            shipments=shipments,
        )
