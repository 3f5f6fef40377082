"""Typed TikTok Shop fulfilment and logistics responses (202309; reference tiktok-shop.md §6).

Field names follow each endpoint's documented response fields; everything but an object's
``id`` is optional and enumerations stay ``str``. Weights and dimensions are decimal strings,
as TikTok sends and expects them. :class:`Weight` and :class:`Dimension` are what a request
sends (every part required); responses report them back as :class:`WeightInfo` and
:class:`DimensionInfo`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

__all__ = [
    "CreatedPackage",
    "Dimension",
    "DimensionInfo",
    "EligibleShippingServicesData",
    "MarkShippedResult",
    "PackageAddress",
    "PackageDetail",
    "PackageInsurance",
    "PackageOrder",
    "PackageSku",
    "PickupSlot",
    "ShippingDocument",
    "ShippingProvider",
    "ShippingProvidersData",
    "ShippingService",
    "ShippingServiceInfo",
    "ShippingWarning",
    "TrackingData",
    "TrackingEvent",
    "TrackingRecord",
    "Weight",
    "WeightInfo",
]


class _Model(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    pass


class _Request(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    pass


class Weight(_Request):
    """A package weight: ``value`` a decimal string, ``unit`` ``GRAM`` or ``POUND``."""

    value: str
    unit: str


class Dimension(_Request):
    """Package dimensions (decimal strings), ``unit`` ``CM`` or ``INCH``; all four go together."""

    length: str
    width: str
    height: str
    unit: str


class WeightInfo(_Model):
    """A weight as TikTok reports it back (parts may be missing)."""

    value: str | None = None
    unit: str | None = None


class DimensionInfo(_Model):
    """Dimensions as TikTok reports them back (parts may be missing)."""

    length: str | None = None
    width: str | None = None
    height: str | None = None
    unit: str | None = None


class ShippingProvider(_Model):
    """A carrier TikTok accepts for a delivery option; its ``id`` goes into fulfilment calls."""

    id: str
    name: str | None = None


class ShippingProvidersData(_Model):
    """``data`` of Get Shipping Providers."""

    shipping_providers: list[ShippingProvider] = msgspec.field(default_factory=list)


class ShippingWarning(_Model):
    """A warning TikTok attaches to a successful call (tracking number vs. carrier checks)."""

    message: str | None = None


class MarkShippedResult(_Model):
    """``data`` of Mark Package As Shipped; ``warning`` must be shown to the seller."""

    order_id: str | None = None
    order_line_item_ids: list[str] = msgspec.field(default_factory=list)
    package_id: str | None = None
    warning: ShippingWarning | None = None

    @property
    def warning_message(self) -> str | None:
        """TikTok's warning text, or ``None`` when there was none."""
        return (self.warning.message or None) if self.warning is not None else None


class PackageSku(_Model):
    """A SKU in a package, with how many units of it."""

    id: str | None = None
    name: str | None = None
    image_url: str | None = None
    quantity: int | None = None


class PackageOrder(_Model):
    """An order whose items are in a package."""

    id: str
    skus: list[PackageSku] = msgspec.field(default_factory=list)


class PickupSlot(_Model):
    """A carrier pickup window, Unix seconds."""

    start_time: int | None = None
    end_time: int | None = None


class PackageAddress(_Model):
    """A package's sender or recipient address (masked in places by TikTok)."""

    full_address: str | None = None
    phone_number: str | None = None
    name: str | None = None
    postal_code: str | None = None
    address_detail: str | None = None
    region_code: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    address_line4: str | None = None


class PackageInsurance(_Model):
    """Shipping insurance bought with a TikTok Shipping label."""

    is_purchased: bool | None = None
    coverage_amount: str | None = None
    is_claim_eligible: bool | None = None
    claim_status: str | None = None


class PackageDetail(_Model):
    """``data`` of Get Package Detail; times are Unix seconds."""

    package_id: str
    orders: list[PackageOrder] = msgspec.field(default_factory=list)
    package_status: str | None = None
    split_and_combine_tag: str | None = None
    has_multi_skus: bool | None = None
    note_tag: str | None = None
    shipping_provider_name: str | None = None
    shipping_provider_id: str | None = None
    shipping_type: str | None = None
    delivery_option_name: str | None = None
    delivery_option_id: str | None = None
    tracking_number: str | None = None
    last_mile_tracking_number: str | None = None
    pickup_slot: PickupSlot | None = None
    create_time: int | None = None
    handover_method: str | None = None
    order_line_item_ids: list[str] = msgspec.field(default_factory=list)
    recipient_address: PackageAddress | None = None
    sender_address: PackageAddress | None = None
    weight: WeightInfo | None = None
    dimension: DimensionInfo | None = None
    update_time: int | None = None
    insurance: PackageInsurance | None = None


class TrackingRecord(_Model):
    """One carrier event as TikTok sends it; note the **milliseconds**."""

    description: str | None = None
    update_time_millis: int | None = None


class TrackingData(_Model):
    """``data`` of Get Tracking."""

    tracking: list[TrackingRecord] = msgspec.field(default_factory=list)


class TrackingEvent(msgspec.Struct, frozen=True):
    """A carrier event of an order: what happened and when (aware UTC, ``None`` if unknown)."""

    description: str
    time: datetime | None

    @classmethod
    def from_record(cls, record: TrackingRecord) -> TrackingEvent:
        """Convert TikTok's record, turning ``update_time_millis`` into an aware datetime."""
        millis = record.update_time_millis
        when = datetime.fromtimestamp(millis / 1000, UTC) if millis else None
        return cls((record.description or "").strip(), when)


class ShippingDocument(_Model):
    """``data`` of Get Package Shipping Document: where to download the label or slip."""

    doc_url: str
    tracking_number: str | None = None


class ShippingService(_Model):
    """A TikTok Shipping service an order can ship with, and its estimated price."""

    id: str
    name: str | None = None
    price: str | None = None
    currency: str | None = None
    earliest_delivery_days: int | None = None
    latest_delivery_days: int | None = None
    is_default: bool | None = None
    shipping_provider_name: str | None = None
    shipping_provider_id: str | None = None


class EligibleShippingServicesData(_Model):
    """``data`` of Get Eligible Shipping Service (note TikTok's ``order_line_id`` here)."""

    order_id: str | None = None
    order_line_id: list[str] = msgspec.field(default_factory=list)
    weight: WeightInfo | None = None
    shipping_services: list[ShippingService] = msgspec.field(default_factory=list)
    dimension: DimensionInfo | None = None


class ShippingServiceInfo(_Model):
    """The TikTok Shipping service a package was created with."""

    id: str | None = None
    name: str | None = None
    price: str | None = None
    currency: str | None = None
    earliest_delivery_days: int | None = None
    latest_delivery_days: int | None = None
    shipping_provider_id: str | None = None
    shipping_provider_name: str | None = None


class CreatedPackage(_Model):
    """``data`` of Create Packages: the package a TikTok Shipping label was bought for."""

    package_id: str
    order_id: str | None = None
    order_line_item_ids: list[str] = msgspec.field(default_factory=list)
    dimension: DimensionInfo | None = None
    shipping_service_info: ShippingServiceInfo | None = None
    weight: WeightInfo | None = None
    create_time: int | None = None
