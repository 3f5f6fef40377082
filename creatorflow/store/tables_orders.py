"""Tables for the shop's own data: shops, orders and their lines, products, parcels, shipments.

Money columns are exact (``ExactDecimal``) and always sit beside a currency column; every time
is aware UTC (``UtcDateTime``). TikTok ids are strings: they exceed 53 bits and are opaque.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from creatorflow.domain.measures import DimensionUnit, WeightUnit
from creatorflow.domain.stages import Stage
from creatorflow.store.base import Base, one_of, utcnow
from creatorflow.store.types import StrEnumText

Currency = String(3)


class ShipmentState(StrEnum):
    """Where a label purchase, and later its void and refund, stands."""

    PURCHASING = "purchasing"
    PURCHASED = "purchased"
    VOIDING = "voiding"
    VOIDED = "voided"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    FAILED = "failed"


class EventKind(StrEnum):
    """What an order event records."""

    STAGE = "stage"
    STATUS = "status"
    NOTE = "note"


class Shop(Base):
    """An authorised TikTok shop. Its tokens live in the secret store, never here."""

    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(primary_key=True)
    cipher: Mapped[str]
    name: Mapped[str]
    region: Mapped[str]
    seller_type: Mapped[str | None]
    access_token_expires_at: Mapped[datetime | None]
    refresh_token_expires_at: Mapped[datetime | None]
    authorized_at: Mapped[datetime]
    deauthorized_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Order(Base):
    """A TikTok order: TikTok's ``status`` mirrored, our own ``stage`` beside it."""

    __tablename__ = "orders"
    __table_args__ = (
        one_of("stage", "stage", Stage),
        CheckConstraint("units >= 0", name="units_not_negative"),
        Index(None, "stage", "shipping_due_at"),
        Index(None, "status"),
        Index(None, "shop_id", "tiktok_updated_at"),
        Index(None, "tiktok_updated_at"),
        Index(None, "tiktok_created_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    status: Mapped[str]
    stage: Mapped[Stage] = mapped_column(StrEnumText(Stage), default=Stage.NEW)
    stage_changed_at: Mapped[datetime | None]
    hold_reason: Mapped[str | None] = mapped_column(Text)
    attention_reason: Mapped[str | None] = mapped_column(Text)
    buyer_cancel_requested: Mapped[bool] = mapped_column(default=False)
    tiktok_created_at: Mapped[datetime]
    tiktok_updated_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipping_due_at: Mapped[datetime | None]
    collection_due_at: Mapped[datetime | None]
    delivery_due_at: Mapped[datetime | None]
    total_amount: Mapped[Decimal]
    shipping_fee: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(Currency)
    units: Mapped[int] = mapped_column(default=0)
    address_masked: Mapped[bool] = mapped_column(default=False)
    recipient_name: Mapped[str | None]
    recipient_phone: Mapped[str | None]
    address_line1: Mapped[str | None]
    address_line2: Mapped[str | None]
    address_line3: Mapped[str | None]
    address_line4: Mapped[str | None]
    city: Mapped[str | None]
    state: Mapped[str | None]
    postal_code: Mapped[str | None]
    country_code: Mapped[str | None] = mapped_column(String(2))
    delivery_option_id: Mapped[str | None]
    #: ``SELLER``: we buy the label; ``TIKTOK``: TikTok Shipping does (reference §6).
    shipping_type: Mapped[str | None]
    fulfillment_type: Mapped[str | None]
    buyer_message: Mapped[str | None] = mapped_column(Text)
    #: Against TikTok's ship-by time, judged by the first carrier scan: waiting, at_risk,
    #: overdue, on_time, late (``domain.deadlines.DispatchState``); set by tracking sync.
    dispatch_state: Mapped[str | None]
    #: No carrier scan for 7 business days after the last one: the parcel may be lost.
    possibly_lost: Mapped[bool] = mapped_column(default=False)
    raw: Mapped[dict[str, Any] | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    shop: Mapped[Shop] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderLine.id",
    )
    shipments: Mapped[list[Shipment]] = relationship(back_populates="order", order_by="Shipment.id")

    # Optimistic concurrency: an ORM flush of a stale copy raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OrderLine(Base):
    """One unit of one SKU in an order (TikTok sends one line per unit)."""

    __tablename__ = "order_lines"
    __table_args__ = (Index(None, "order_id"), Index(None, "sku_id"), Index(None, "seller_sku"))

    id: Mapped[str] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    sku_id: Mapped[str]
    seller_sku: Mapped[str | None]
    product_id: Mapped[str]
    product_name: Mapped[str]
    sku_name: Mapped[str | None]
    unit_price: Mapped[Decimal]
    original_price: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(Currency)
    package_id: Mapped[str | None]
    is_gift: Mapped[bool] = mapped_column(default=False)
    display_status: Mapped[str | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="lines")


class Product(Base):
    """A product as synced from TikTok."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    title: Mapped[str]
    status: Mapped[str]
    tiktok_created_at: Mapped[datetime | None]
    tiktok_updated_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw: Mapped[dict[str, Any] | None]

    shop: Mapped[Shop] = relationship()
    skus: Mapped[list[Sku]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Sku.id",
    )


class ParcelPreset(Base):
    """A named box with its empty weight, reused across SKUs."""

    __tablename__ = "parcel_presets"
    __table_args__ = (
        one_of("weight_unit", "weight_unit", WeightUnit),
        one_of("dimension_unit", "dimension_unit", DimensionUnit),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    weight_value: Mapped[Decimal]
    weight_unit: Mapped[WeightUnit] = mapped_column(StrEnumText(WeightUnit))
    length: Mapped[Decimal]
    width: Mapped[Decimal]
    height: Mapped[Decimal]
    dimension_unit: Mapped[DimensionUnit] = mapped_column(StrEnumText(DimensionUnit))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sku(Base):
    """A sellable variant: price and stock from TikTok, weight and size kept locally."""

    __tablename__ = "skus"
    __table_args__ = (
        one_of("weight_unit", "weight_unit", WeightUnit),
        one_of("dimension_unit", "dimension_unit", DimensionUnit),
        CheckConstraint("(weight_value IS NULL) = (weight_unit IS NULL)", name="weight_has_unit"),
        CheckConstraint(
            "dimension_unit IS NOT NULL OR (length IS NULL AND width IS NULL AND height IS NULL)",
            name="dimensions_have_unit",
        ),
        Index(None, "product_id"),
        Index(None, "seller_sku"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    seller_sku: Mapped[str | None]
    name: Mapped[str | None]
    price: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(Currency)
    stock: Mapped[int | None]
    weight_value: Mapped[Decimal | None]
    weight_unit: Mapped[WeightUnit | None] = mapped_column(StrEnumText(WeightUnit))
    length: Mapped[Decimal | None]
    width: Mapped[Decimal | None]
    height: Mapped[Decimal | None]
    dimension_unit: Mapped[DimensionUnit | None] = mapped_column(StrEnumText(DimensionUnit))
    preset_id: Mapped[int | None] = mapped_column(
        ForeignKey("parcel_presets.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="skus")
    preset: Mapped[ParcelPreset | None] = relationship()


class Shipment(Base):
    """One label for one package of an order, in one generation.

    ``(order_id, package_key, generation)`` is unique in the database: two workers racing
    to buy the same label cannot both record it. A deliberate re-buy bumps ``generation``.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("order_id", "package_key", "generation"),
        one_of("state", "state", ShipmentState),
        CheckConstraint("generation >= 1", name="generation_positive"),
        Index(None, "tracking_number"),
        Index(None, "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade: a bought label is a money record and outlives any clean-up of orders.
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    package_key: Mapped[str]
    generation: Mapped[int] = mapped_column(default=1)
    provider: Mapped[str]
    provider_shipment_id: Mapped[str | None]
    provider_rate_id: Mapped[str | None]
    provider_transaction_id: Mapped[str | None]
    carrier: Mapped[str | None]
    service: Mapped[str | None]
    tracking_number: Mapped[str | None]
    tracking_url: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(Currency)
    label_format: Mapped[str | None]
    label_path: Mapped[str | None] = mapped_column(Text)
    state: Mapped[ShipmentState] = mapped_column(
        StrEnumText(ShipmentState), default=ShipmentState.PURCHASING
    )
    tracking_status: Mapped[str | None]
    tracking_checked_at: Mapped[datetime | None]
    last_scan_at: Mapped[datetime | None]
    first_scan_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    refund_state: Mapped[str | None]
    refund_requested_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    printed_at: Mapped[datetime | None]
    print_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="shipments")


class OrderEvent(Base):
    """The audit log: who moved which order, from what to what, when and why."""

    __tablename__ = "order_events"
    __table_args__ = (one_of("kind", "kind", EventKind), Index(None, "order_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    # Plain text, not the Actor enum: an older install must still read a newer actor's events.
    actor: Mapped[str]
    kind: Mapped[EventKind] = mapped_column(StrEnumText(EventKind))
    from_value: Mapped[str | None]
    to_value: Mapped[str | None]
    reason: Mapped[str | None] = mapped_column(Text)
    #: The packing station (``station.name`` or host name) whose process wrote the event; None
    #: for TikTok status changes stored by a sync page and for events older than revision 0005.
    station: Mapped[str | None]
