"""Shippo labels through the official ``shippo`` 3.9.0 SDK (reference §1, §2, §5.1).

* Every SDK call goes through one ``requests`` session with a timeout and no automatic retries
  (:class:`~.shippo_errors.TimeoutSession`), and every failure is translated
  (:func:`~.shippo_errors.translate`).
* :meth:`ShippoProvider.buy` sends ``metadata=<reference>`` and never retries: a timeout, a
  dropped connection, a 5xx or an answer the SDK cannot parse raise
  :class:`~.base.PurchaseOutcomeUnknown`, and :meth:`ShippoProvider.find_purchase` then lists the
  transactions of the rate (Shippo has no metadata filter) to adopt what was bought.
* Purchases are asynchronous (the SDK sends ``async: true``): QUEUED/WAITING transactions are
  polled with bounded backoff; the ``sleep`` is injectable so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import shippo
from shippo.models import components, operations

from creatorflow.errors import ProviderError, RateLimitedError
from creatorflow.integrations.http import TransientHTTPError
from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    VoidResult,
    VoidState,
)
from creatorflow.integrations.shipping.shippo_errors import TimeoutSession, translate

__all__ = ["DEFAULT_API_BASE", "SHIPPO_API_VERSION", "ShippoProvider"]

T = TypeVar("T")

DEFAULT_API_BASE = "https://api.goshippo.com"
SHIPPO_API_VERSION = "2018-02-08"
IN_FLIGHT = frozenset({"QUEUED", "WAITING"})
ADOPTABLE = frozenset({"SUCCESS", "QUEUED", "WAITING"})
FILE_TYPES = {LabelFormat.PDF_4X6: "PDF_4x6", LabelFormat.ZPL: "ZPLII"}
TRACKING = {
    "UNKNOWN": TrackingStatus.UNKNOWN,
    "PRE_TRANSIT": TrackingStatus.PRE_TRANSIT,
    "TRANSIT": TrackingStatus.IN_TRANSIT,
    "DELIVERED": TrackingStatus.DELIVERED,
    "RETURNED": TrackingStatus.RETURNED,
    "FAILURE": TrackingStatus.FAILURE,
}
CARRIER_TOKENS = {"usps": "usps", "ups": "ups", "fedex": "fedex", "dhl express": "dhl_express"}
LIST_PAGES = 10
"""How many pages of 100 transactions :meth:`ShippoProvider.find_purchase` scans at most."""


def _value(enum_or_str: object) -> str:
    """The string behind an SDK enum member (or the string itself)."""
    return str(getattr(enum_or_str, "value", enum_or_str) or "")


def _messages(messages: Sequence[Any] | None) -> str:
    texts = []
    for message in messages or ():
        text = getattr(message, "text", None) or str(message)
        source = getattr(message, "source", None)
        texts.append(f"{source}: {text}" if source else text)
    return " ".join(texts)


class ShippoProvider:
    """The Shippo :class:`~.base.LabelProvider`; never retries a purchase by itself."""

    name = "shippo"

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 30.0,
    ) -> None:
        self._session = TimeoutSession(timeout)
        self._sleep = sleep
        self._poll_seconds = poll_seconds
        self._sdk = shippo.Shippo(
            api_key_header=api_key,
            shippo_api_version=SHIPPO_API_VERSION,
            server_url=api_base,
            client=self._session,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], *args: Any, buying: bool = False) -> T:
        try:
            return fn(*args)
        except Exception as error:  # every failure is translated; none escapes raw
            raise translate(error, what=what, buying=buying) from error

    def verify_key(self) -> None:
        """One cheap authenticated call; raises AuthError when Shippo refuses the key."""
        self._call("checking the API token", self._sdk.addresses.list, 1, 1)

    # -- quote --------------------------------------------------------------------------------

    def quote(
        self, ship_from: Address, ship_to: Address, parcel: Parcel, *, reference: str
    ) -> Sequence[Rate]:
        """Create a shipment (``async: false``) and return its rates, cheapest first.

        Raises:
            LabelRejected: no carrier rated it and Shippo said why (``shipment.messages``).
        """
        request = components.ShipmentCreateRequest(
            address_from=_address(ship_from),
            address_to=_address(ship_to),
            parcels=[_parcel(parcel)],
            metadata=reference[:100],
            async_=False,
        )
        shipment = self._call("creating the shipment", self._sdk.shipments.create, request)
        for pause in self._pauses():
            if _value(shipment.status) not in IN_FLIGHT:
                break
            self._sleep(pause)
            get = self._sdk.shipments.get
            shipment = self._call("fetching the shipment", get, shipment.object_id)
        if _value(shipment.status) == "ERROR" or not shipment.rates:
            why = _messages(shipment.messages)
            if why:
                raise LabelRejected(f"Shippo found no rates for this parcel: {why}")
            return []
        best: dict[tuple[str, str], Rate] = {}
        for raw in shipment.rates:
            rate = _rate(raw, shipment.object_id)
            key = (rate.carrier, rate.service_token)
            if key not in best or rate.amount < best[key].amount:
                best[key] = rate
        return sorted(best.values(), key=lambda r: (r.amount, r.estimated_days or 99))

    # -- buy and reconcile --------------------------------------------------------------------

    def buy(self, rate: Rate, *, label_format: LabelFormat, reference: str) -> Label:
        """Buy ``rate`` (metadata = `reference`) and wait, bounded, for Shippo to finish.

        Raises:
            LabelRejected: Shippo refused (4xx) or the transaction ended in ERROR.
            PurchaseOutcomeUnknown: timeout, dropped connection, 5xx, unreadable answer, or
                still in flight after ``poll_seconds``: reconcile with :meth:`find_purchase`.
            RateLimitedError: HTTP 429 (the request was refused; nothing was bought).
        """
        request = components.TransactionCreateRequest(
            rate=rate.rate_id,
            label_file_type=components.LabelFileTypeEnum(FILE_TYPES[label_format]),
            metadata=reference[:100],
            async_=True,
        )
        txn = self._call("buying the label", self._sdk.transactions.create, request, buying=True)
        txn = self._settle(txn)
        return self._label(txn, rate)

    def find_purchase(self, *, reference: str, rate: Rate | None) -> Label | None:
        """The label already bought for `reference` (on `rate` when given), if any; buys nothing.

        A purchase still in flight is polled; if it stays in flight this raises
        PurchaseOutcomeUnknown (it exists, but has no label yet).
        """
        wanted = reference[:100]
        found = None
        for txn in self._transactions(rate.rate_id if rate else None):
            if (txn.metadata or "") != wanted or _value(txn.status) not in ADOPTABLE:
                continue
            if found is None or (
                _value(txn.status) == "SUCCESS" and _value(found.status) != "SUCCESS"
            ):
                found = txn
        if found is None:
            return None
        found = self._settle(found)
        if rate is None:
            rate_id = _rate_id(found)
            raw = self._call("fetching the rate", self._sdk.rates.get, rate_id)
            rate = _rate(raw, raw.shipment)
        return self._label(found, rate)

    def _transactions(self, rate_id: str | None) -> list[components.Transaction]:
        out: list[components.Transaction] = []
        for page in range(1, LIST_PAGES + 1):
            request = operations.ListTransactionsRequest(rate=rate_id, page=page, results=100)
            listing = self._call("listing the labels", self._sdk.transactions.list, request)
            out.extend(listing.results or [])
            if not listing.next:
                break
        return out

    def _pauses(self) -> list[float]:
        """Bounded backoff: 0.2, 0.5, 1, 2, 4, 5, 5 … seconds, summing to ``poll_seconds``.

        Most purchases settle within a second, so the first look comes early.
        """
        pauses, delay, total = [0.2], 0.5, 0.2
        while total < self._poll_seconds:
            pause = min(delay, self._poll_seconds - total)
            pauses.append(pause)
            total += pause
            delay = min(delay * 2, 5.0)
        return pauses

    def _settle(self, txn: components.Transaction) -> components.Transaction:
        """Poll a QUEUED/WAITING transaction until SUCCESS (returned) or ERROR (raised)."""
        pauses = iter(self._pauses())
        while _value(txn.status) in IN_FLIGHT:
            pause = next(pauses, None)
            if pause is None:
                raise PurchaseOutcomeUnknown(
                    f"Shippo is still processing label purchase {txn.object_id} "
                    f"(status {_value(txn.status)}).",
                    hint="CreatorFlow checks again later; nothing will be bought twice.",
                )
            self._sleep(pause)
            try:
                txn = self._call(
                    "checking the label purchase",
                    self._sdk.transactions.get,
                    txn.object_id,
                    buying=True,
                )
            except RateLimitedError as error:
                self._sleep(min(error.retry_after or 1.0, self._poll_seconds))
            except LabelRejected as error:  # a 4xx on a GET of our own purchase: unknown
                raise PurchaseOutcomeUnknown(str(error)) from error
        status = _value(txn.status)
        if status == "ERROR":
            why = _messages(txn.messages) or "no reason given"
            raise LabelRejected(f"Shippo could not buy the label: {why}")
        if status != "SUCCESS" or not txn.tracking_number:
            raise PurchaseOutcomeUnknown(
                f"Shippo label purchase {txn.object_id} is in status {status or 'unknown'}."
            )
        return txn

    def _label(self, txn: components.Transaction, rate: Rate) -> Label:
        file_type = _value(txn.label_file_type)
        return Label(
            provider=self.name,
            label_id=str(txn.object_id),
            tracking_number=str(txn.tracking_number),
            carrier=rate.carrier,
            service=rate.service,
            cost=rate.amount,
            currency=rate.currency,
            label_url=txn.label_url or None,
            label_format=LabelFormat.ZPL if file_type == "ZPLII" else LabelFormat.PDF_4X6,
            rate_id=_rate_id(txn) or rate.rate_id,
            shipment_id=rate.shipment_id,
            tracking_url=txn.tracking_url_provider or None,
        )

    # -- after the purchase -------------------------------------------------------------------

    def void(self, label: Label) -> VoidResult:
        """Request a refund; a second request reports the state of the first."""
        try:
            refund = self._call("requesting the refund", self._sdk.refunds.create, label.label_id)
        except LabelRejected as error:
            txn = self._call("checking the label", self._sdk.transactions.get, label.label_id)
            state = {
                "REFUNDPENDING": VoidState.PENDING,
                "REFUNDED": VoidState.REFUNDED,
                "REFUNDREJECTED": VoidState.REJECTED,
            }.get(_value(txn.status), VoidState.REJECTED)
            return VoidResult(state, error.message)
        status = _value(refund.status)
        if status == "SUCCESS":
            return VoidResult(VoidState.REFUNDED)
        if status == "ERROR":
            return VoidResult(
                VoidState.REJECTED, "The carrier refused the refund (was the label scanned?)."
            )
        return VoidResult(VoidState.PENDING, f"Shippo refund {refund.object_id} is {status}.")

    def track(self, label: Label) -> TrackingUpdate:
        """The parcel's status and scans (oldest first) from ``GET /tracks``."""
        carrier = CARRIER_TOKENS.get(label.carrier.lower(), label.carrier.lower().replace(" ", "_"))
        track = self._call(
            "fetching tracking",
            self._sdk.tracking_status.get,
            label.tracking_number,
            carrier,
        )
        history = list(track.tracking_history or [])
        if not history and track.tracking_status is not None:
            history = [track.tracking_status]
        events = tuple(_event(s) for s in history)
        current = track.tracking_status
        status = _status(current) if current is not None else TrackingStatus.UNKNOWN
        return TrackingUpdate(status=status, events=events)

    def download(self, label: Label) -> bytes:
        """The label file (PDF or ZPL) from its signed URL."""
        url = label.label_url
        if not url:
            raise LabelRejected(f"Shippo label {label.label_id} has no file to download.")
        response = self._call("downloading the label", self._session.get, url)
        status = int(response.status_code)
        if status == 429:
            raise RateLimitedError("The label download was rate limited (HTTP 429).")
        if 500 <= status < 600:
            raise TransientHTTPError(
                f"The label download failed with HTTP {status}.", status=status
            )
        if status != 200:
            raise LabelRejected(
                f"The label file of {label.label_id} could not be downloaded (HTTP {status}).",
                hint="Signed label links expire; fetch the label again from Shippo.",
            )
        content: bytes = response.content
        return content


# -- conversions ----------------------------------------------------------------------------


def _address(address: Address) -> components.AddressCreateRequest:
    return components.AddressCreateRequest(
        country=address.country,
        name=address.name,
        company=address.company,
        street1=address.street1,
        street2=address.street2,
        city=address.city,
        state=address.state,
        zip=address.postal_code,
        phone=address.phone,
        email=address.email,
        is_residential=address.residential,
    )


def _parcel(parcel: Parcel) -> components.ParcelCreateRequest:
    return components.ParcelCreateRequest(
        mass_unit=components.WeightUnitEnum.OZ,
        weight=str(parcel.weight_oz),
        distance_unit=components.DistanceUnitEnum.IN,
        length=str(parcel.length_in),
        width=str(parcel.width_in),
        height=str(parcel.height_in),
    )


def _rate(raw: components.Rate, shipment_id: str | None) -> Rate:
    try:
        amount = Decimal(str(raw.amount))
    except InvalidOperation as error:
        message = f"Shippo sent a rate without a valid amount: {raw.amount!r}."
        raise ProviderError(message) from error
    level = raw.servicelevel
    return Rate(
        provider="shippo",
        rate_id=str(raw.object_id),
        shipment_id=shipment_id or raw.shipment,
        carrier=str(raw.provider),
        service=str(getattr(level, "name", None) or ""),
        service_token=str(getattr(level, "token", None) or ""),
        amount=amount,
        currency=str(raw.currency),
        estimated_days=raw.estimated_days,
        attributes=tuple(_value(a) for a in raw.attributes or ()),
    )


def _rate_id(txn: components.Transaction) -> str:
    rate = txn.rate
    if isinstance(rate, str):
        return rate
    return str(getattr(rate, "object_id", "") or "")


def _status(status: components.TrackingStatus) -> TrackingStatus:
    code = getattr(status.substatus, "code", None)
    if _value(status.status) == "TRANSIT" and code == "out_for_delivery":
        return TrackingStatus.OUT_FOR_DELIVERY
    return TRACKING.get(_value(status.status), TrackingStatus.UNKNOWN)


def _event(status: components.TrackingStatus) -> TrackingEvent:
    at: datetime = status.status_date or status.object_created
    where = status.location
    location = None
    if where is not None:
        parts = [p for p in (where.city, where.state, where.zip, where.country) if p]
        location = ", ".join(parts) or None
    return TrackingEvent(
        at=at, status=_status(status), description=status.status_details or "", location=location
    )
