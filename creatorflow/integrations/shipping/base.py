"""What every label provider offers CreatorFlow: quote, buy, find a purchase, void, track.

Shippo, EasyPost and TikTok Shipping each implement :class:`LabelProvider`. Amounts are exact
``Decimal`` with their currency; weights travel in ounces and sizes in inches (the domain
converts what the seller typed). Every call takes the effect's ``reference`` — the journal key
of the purchase — and providers attach it to what they create (Shippo ``metadata``, EasyPost
``reference``) so that :meth:`LabelProvider.find_purchase` can prove, after a crash or a
timeout, whether a label already exists before anything is bought again (DESIGN §5.1).

Errors, all :class:`~creatorflow.errors.CreatorflowError`:

* :class:`LabelRejected` — the provider refused for a reason a person must fix (bad address,
  no rates, account problem); never retried; its message is the provider's.
* :class:`PurchaseOutcomeUnknown` — the purchase request may have reached the provider and we
  do not know what happened (timeout, dropped connection, 5xx, an answer the SDK could not
  parse): reconcile with :meth:`LabelProvider.find_purchase`, never buy blindly.
* transient errors from :mod:`creatorflow.integrations.http` (``RateLimitedError``,
  ``TransientHTTPError``, ``NetworkError``) on calls that bought nothing (quotes, lookups).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from creatorflow.errors import ProviderError

__all__ = [
    "Address",
    "Label",
    "LabelFormat",
    "LabelProvider",
    "LabelReference",
    "LabelRejected",
    "Parcel",
    "PurchaseOutcomeUnknown",
    "Rate",
    "TrackingEvent",
    "TrackingStatus",
    "TrackingUpdate",
    "VoidResult",
    "VoidState",
]


class LabelFormat(StrEnum):
    """Label file formats CreatorFlow prints (config ``labels.format``)."""

    PDF_4X6 = "pdf_4x6"
    ZPL = "zpl"


@dataclass(frozen=True)
class Address:
    """A postal address; ``state`` is the two-letter code in the US."""

    name: str
    street1: str
    city: str
    state: str
    postal_code: str
    country: str
    street2: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None
    residential: bool | None = None


@dataclass(frozen=True)
class Parcel:
    """One box: weight in ounces, sides in inches."""

    weight_oz: Decimal
    length_in: Decimal
    width_in: Decimal
    height_in: Decimal


@dataclass(frozen=True)
class Rate:
    """A price for one service, valid for the shipment it was quoted on.

    ``rate_id`` is what :meth:`LabelProvider.buy` buys; ``shipment_id`` is the provider's
    shipment (EasyPost buys *on* a shipment; Shippo rates belong to one).
    """

    provider: str
    rate_id: str
    shipment_id: str | None
    carrier: str
    service: str
    service_token: str
    amount: Decimal
    currency: str
    estimated_days: int | None = None
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    """A bought label.

    ``label_id`` is the provider's id of the purchase (Shippo transaction, EasyPost shipment,
    TikTok package); ``label_url`` is where the file can be downloaded (signed, short-lived:
    download it at once).
    """

    provider: str
    label_id: str
    tracking_number: str
    carrier: str
    service: str
    cost: Decimal
    currency: str
    label_url: str | None
    label_format: LabelFormat
    rate_id: str | None = None
    shipment_id: str | None = None
    tracking_url: str | None = None


class VoidState(StrEnum):
    """Where a void (refund) request stands."""

    PENDING = "pending"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class VoidResult:
    """What the provider said to a void request."""

    state: VoidState
    message: str | None = None


class TrackingStatus(StrEnum):
    """A parcel's journey, the same words for every provider."""

    UNKNOWN = "unknown"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    RETURNED = "returned"
    FAILURE = "failure"


@dataclass(frozen=True)
class TrackingEvent:
    """One scan."""

    at: datetime
    status: TrackingStatus
    description: str
    location: str | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """A parcel's current status and its scans, oldest first."""

    status: TrackingStatus
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)

    @property
    def first_scan_at(self) -> datetime | None:
        """When the carrier first had the parcel (TikTok measures late dispatch by it)."""
        for event in self.events:
            if event.status not in (TrackingStatus.UNKNOWN, TrackingStatus.PRE_TRANSIT):
                return event.at
        return None


@dataclass(frozen=True)
class LabelReference:
    """The journal key of one label purchase: ``label:{shop}:{order}:{package}:{generation}``.

    It is sent to the provider with the purchase (Shippo ``metadata``, EasyPost ``reference``)
    and is how a purchase is found again. TikTok Shipping reads the order id from it.
    """

    shop_id: str
    order_id: str
    package: str
    generation: int

    def __str__(self) -> str:
        return f"label:{self.shop_id}:{self.order_id}:{self.package}:{self.generation}"

    @classmethod
    def parse(cls, text: str) -> LabelReference:
        """Read a key made by ``str()``.

        Raises:
            ValueError: not a label key.
        """
        parts = text.split(":")
        if len(parts) != 5 or parts[0] != "label" or not all(parts[1:4]):
            raise ValueError(f"not a label reference: {text!r}")
        return cls(parts[1], parts[2], parts[3], int(parts[4]))


class LabelRejected(ProviderError):
    """The provider refused: a person must fix something (its message says what)."""

    title = "Label refused"


class PurchaseOutcomeUnknown(ProviderError):
    """A purchase may or may not have happened: reconcile before buying again."""

    title = "Label purchase not confirmed"


@runtime_checkable
class LabelProvider(Protocol):
    """A label provider. Implementations never retry :meth:`buy` by themselves."""

    name: str

    def quote(
        self, ship_from: Address, ship_to: Address, parcel: Parcel, *, reference: str
    ) -> Sequence[Rate]:
        """Rates for this parcel (empty when no carrier can take it)."""
        ...

    def buy(self, rate: Rate, *, label_format: LabelFormat, reference: str) -> Label:
        """Buy the label for ``rate``; waits for the provider to finish (bounded).

        Raises:
            LabelRejected: refused for good. PurchaseOutcomeUnknown: reconcile first.
        """
        ...

    def find_purchase(self, *, reference: str, rate: Rate | None) -> Label | None:
        """The label already bought for ``reference`` (and ``rate`` when known), if any.

        This is the reconciliation step: it must not buy anything.
        """
        ...

    def void(self, label: Label) -> VoidResult:
        """Ask for the label to be voided and refunded."""
        ...

    def track(self, label: Label) -> TrackingUpdate:
        """Where the parcel is now."""
        ...

    def download(self, label: Label) -> bytes:
        """The label file's bytes (PDF or ZPL)."""
        ...
