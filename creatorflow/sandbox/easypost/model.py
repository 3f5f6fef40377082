"""What the EasyPost simulator stores: shipments, their rates and labels, trackers, refunds.

Tracking and refunds are not stored as changes: they are computed from the simulated clock
(``timeline``), so advancing the clock is all it takes for a parcel to move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from creatorflow.sandbox.easypost.data import Quote

FILE_TYPES = {
    "PNG": "image/png",
    "PDF": "application/pdf",
    "ZPL": "application/zpl",
    "EPL2": "application/epl2",
}
EXTENSIONS = {"PNG": "png", "PDF": "pdf", "ZPL": "zpl", "EPL2": "epl2"}
# Test tracking codes: EZ1000000001 pre_transit (recorded) … EZ7000000007 unknown.
TEST_CODES = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}


@dataclass
class StoredAddress:
    """An Address as given (``zip`` is EasyPost's name for the postal code)."""

    id: str
    created: datetime
    fields: dict[str, Any]


@dataclass
class StoredParcel:
    """A Parcel: inches and ounces."""

    id: str
    created: datetime
    length: float | None
    width: float | None
    height: float | None
    weight: float
    predefined_package: str | None = None


@dataclass
class StoredRate:
    """A Rate of one shipment."""

    id: str
    created: datetime
    quote: Quote
    carrier_account_id: str


@dataclass
class StoredLabel:
    """A PostageLabel: its primary format and the formats converted since."""

    id: str
    created: datetime
    label_format: str
    label_size: str
    formats: list[str]
    updated: datetime


@dataclass
class Event:
    """One scan of the timeline."""

    at: datetime
    status: str
    status_detail: str
    message: str
    place: StoredAddress | None


@dataclass
class Shipment:
    """A Shipment and, once bought, its label, tracking code, tracker and refund."""

    id: str
    created: datetime
    updated: datetime
    reference: str | None
    options: dict[str, Any]
    from_address: StoredAddress
    to_address: StoredAddress
    return_address: StoredAddress
    parcel: StoredParcel
    rates: list[StoredRate]
    messages: list[dict[str, Any]]
    usps_zone: int
    selected_rate: StoredRate | None = None
    label: StoredLabel | None = None
    tracking_code: str | None = None
    tracker_id: str | None = None
    tracker_created: datetime | None = None
    bought_at: datetime | None = None
    refund_status: str | None = None
    refund_requested_at: datetime | None = None
    refund_ids: list[str] = field(default_factory=list)

    @property
    def bought(self) -> bool:
        """Whether postage was bought."""
        return self.label is not None

    @property
    def carrier(self) -> str | None:
        """The carrier of the bought rate."""
        return self.selected_rate.quote.service.carrier if self.selected_rate else None

    def rate(self, rate_id: str) -> StoredRate | None:
        """One of this shipment's rates by id."""
        return next((r for r in self.rates if r.id == rate_id), None)


@dataclass
class Tracker:
    """A Tracker made by ``POST /trackers`` (those of bought shipments live on the shipment)."""

    id: str
    created: datetime
    tracking_code: str
    carrier: str
    shipment_id: str | None = None


@dataclass
class Timing:
    """How a simulated parcel moves, measured from the label purchase."""

    info_sent: timedelta = timedelta(minutes=5)
    first_scan: timedelta = timedelta(hours=6)
    departed: timedelta = timedelta(hours=12)
    out_for_delivery_before: timedelta = timedelta(hours=4)
    refund_delay: timedelta = timedelta(days=1)


def timeline(shipment: Shipment, timing: Timing, now: datetime) -> list[Event]:
    """The scans of a bought shipment that have happened by `now`, oldest first.

    A label whose refund was requested before the first scan is never scanned.
    """
    if shipment.bought_at is None or shipment.selected_rate is None:
        return []
    start = shipment.bought_at
    days = max(1, shipment.selected_rate.quote.delivery_days)
    delivered = start + timedelta(days=days)
    origin, destination = shipment.from_address, shipment.to_address
    carrier = shipment.carrier or "USPS"
    planned = [
        Event(start + timing.info_sent, "pre_transit", "label_created",
              f"Pre-Shipment Info Sent to {carrier}", None),
        Event(start + timing.first_scan, "in_transit", "arrived_at_facility",
              "Accepted at Origin Facility", origin),
        Event(start + timing.departed, "in_transit", "departed_facility",
              "Departed Origin Facility", origin),
        Event(max(start + timing.departed, delivered - timing.out_for_delivery_before),
              "out_for_delivery", "out_for_delivery", "Out for Delivery", destination),
        Event(delivered, "delivered", "arrived_at_destination", "Delivered", destination),
    ]  # fmt: skip
    if shipment.refund_requested_at is not None and shipment.refund_status != "rejected":
        cut = shipment.refund_requested_at
        planned = [e for e in planned if e.status == "pre_transit" or e.at < cut]
    return [e for e in planned if e.at <= now]


def first_scan_at(shipment: Shipment, timing: Timing) -> datetime | None:
    """When the carrier scans (or scanned) the parcel, if it ever will without a refund."""
    if shipment.bought_at is None:
        return None
    return shipment.bought_at + timing.first_scan


def status_of(events: list[Event]) -> str:
    """The tracker status after `events` (``unknown`` before any)."""
    return events[-1].status if events else "unknown"


def money_amount(value: Decimal) -> str:
    """Fees are sent with five decimals (``"6.07000"``)."""
    return f"{value:.5f}"
