"""EasyPost's JSON objects, key for key as the recorded responses show them.

Key sets and order follow ``tests/fixtures/easypost_cassettes`` (EasyPost's own recordings):
a Shipment has 31 keys, an embedded Tracker differs from a stand-alone one (``fees`` versus
``finalized``/``is_return``), Address timestamps carry ``+00:00`` while the others end in ``Z``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from creatorflow.sandbox.easypost.data import money
from creatorflow.sandbox.easypost.model import (
    EXTENSIONS,
    FILE_TYPES,
    TEST_CODES,
    Event,
    Shipment,
    StoredAddress,
    StoredLabel,
    StoredParcel,
    StoredRate,
    Timing,
    Tracker,
    money_amount,
    status_of,
    timeline,
)

ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "state", "zip", "country",
                  "phone", "email")  # fmt: skip


def ts(at: datetime) -> str:
    """``2025-03-07T16:46:20Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_offset(at: datetime) -> str:
    """``2025-03-07T16:46:19+00:00`` (Address timestamps)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class Renderer:
    """Renders stored objects as of `now`; label URLs point at `base_url`."""

    base_url: str
    now: datetime
    timing: Timing
    mode: str = "test"

    def address(self, address: StoredAddress) -> dict[str, object]:
        """An Address."""
        out: dict[str, object] = {
            "id": address.id,
            "object": "Address",
            "created_at": ts_offset(address.created),
            "updated_at": ts_offset(address.created),
        }
        for key in ADDRESS_FIELDS:
            out[key] = address.fields.get(key)
        out |= {
            "mode": self.mode,
            "carrier_facility": None,
            "residential": address.fields.get("residential"),
            "federal_tax_id": None,
            "state_tax_id": None,
            "verifications": {},
        }
        return out

    def parcel(self, parcel: StoredParcel) -> dict[str, object]:
        """A Parcel."""
        return {
            "id": parcel.id,
            "object": "Parcel",
            "created_at": ts(parcel.created),
            "updated_at": ts(parcel.created),
            "length": parcel.length,
            "width": parcel.width,
            "height": parcel.height,
            "predefined_package": parcel.predefined_package,
            "weight": parcel.weight,
            "mode": self.mode,
        }

    def rate(self, rate: StoredRate, shipment_id: str) -> dict[str, object]:
        """A Rate (``rate`` and the other amounts are strings)."""
        q = rate.quote
        return {
            "id": rate.id,
            "object": "Rate",
            "created_at": ts(rate.created),
            "updated_at": ts(rate.created),
            "mode": self.mode,
            "service": q.service.service,
            "carrier": q.service.carrier,
            "rate": money(q.rate),
            "currency": "USD",
            "retail_rate": money(q.retail_rate),
            "retail_currency": "USD",
            "list_rate": money(q.list_rate),
            "list_currency": "USD",
            "billing_type": "easypost",
            "delivery_days": q.delivery_days,
            "delivery_date": None,
            "delivery_date_guaranteed": False,
            "est_delivery_days": q.delivery_days,
            "shipment_id": shipment_id,
            "carrier_account_id": rate.carrier_account_id,
        }

    def label_url(self, label: StoredLabel, fmt: str) -> str:
        """Where the file of `label` in `fmt` is served."""
        return f"{self.base_url}/sandbox/labels/{label.id}.{EXTENSIONS[fmt]}"

    def postage_label(self, label: StoredLabel) -> dict[str, object]:
        """A PostageLabel: ``label_url`` in the primary format plus any converted formats."""

        def url(fmt: str) -> str | None:
            return self.label_url(label, fmt) if fmt in label.formats else None

        return {
            "object": "PostageLabel",
            "id": label.id,
            "created_at": ts(label.created),
            "updated_at": ts(label.updated),
            "date_advance": 0,
            "integrated_form": "none",
            "label_date": ts(label.created),
            "label_resolution": 300,
            "label_size": label.label_size,
            "label_type": "default",
            "label_file_type": FILE_TYPES[label.label_format],
            "label_url": self.label_url(label, label.label_format),
            "label_pdf_url": url("PDF"),
            "label_zpl_url": url("ZPL"),
            "label_epl2_url": url("EPL2"),
            "label_file": None,
        }

    def detail(self, event: Event, carrier: str) -> dict[str, object]:
        """A TrackingDetail."""
        place = event.place.fields if event.place is not None else {}
        return {
            "object": "TrackingDetail",
            "message": event.message,
            "description": "",
            "status": event.status,
            "status_detail": event.status_detail,
            "datetime": ts(event.at),
            "source": carrier,
            "carrier_code": "",
            "tracking_location": {
                "object": "TrackingLocation",
                "city": place.get("city"),
                "state": place.get("state"),
                "country": place.get("country"),
                "zip": place.get("zip"),
            },
        }

    def _carrier_detail(self, shipment: Shipment | None) -> dict[str, object] | None:
        if shipment is None or shipment.selected_rate is None:
            return None
        origin, dest = shipment.from_address.fields, shipment.to_address.fields
        return {
            "object": "CarrierDetail",
            "service": shipment.selected_rate.quote.service.service,
            "container_type": None,
            "est_delivery_date_local": None,
            "est_delivery_time_local": None,
            "origin_location": f"{origin.get('city')} {origin.get('state')}, {origin.get('zip')}",
            "origin_tracking_location": None,
            "destination_location": f"{dest.get('city')} {dest.get('state')}, {dest.get('zip')}",
            "destination_tracking_location": None,
            "guaranteed_delivery_date": None,
            "alternate_identifier": None,
            "initial_delivery_attempt": None,
        }

    def _tracking(
        self, shipment: Shipment | None, tracker: Tracker | None
    ) -> tuple[str, str, list[dict[str, object]], str | None, bool]:
        """(status, status_detail, details, est_delivery_date, finalized)."""
        if shipment is not None and shipment.selected_rate is not None:
            events = timeline(shipment, self.timing, self.now)
            carrier = shipment.carrier or "USPS"
            assert shipment.bought_at is not None
            eta = shipment.bought_at + timedelta(days=shipment.selected_rate.quote.delivery_days)
            status = status_of(events)
            detail = events[-1].status_detail if events else "unknown"
            return (
                status,
                detail,
                [self.detail(e, carrier) for e in events],
                ts(eta),
                status == "delivered",
            )
        if tracker is not None and tracker.tracking_code in TEST_CODES:
            status = TEST_CODES[tracker.tracking_code]
            event = Event(tracker.created, status, "status_update", f"Test tracker: {status}", None)
            details = [] if status == "unknown" else [self.detail(event, tracker.carrier)]
            return status, "status_update", details, ts(tracker.created), True
        return "unknown", "unknown", [], None, False

    def tracker(
        self,
        tracker_id: str,
        tracking_code: str,
        carrier: str,
        created: datetime,
        public_code: str,
        *,
        shipment: Shipment | None = None,
        tracker: Tracker | None = None,
        embedded: bool = False,
    ) -> dict[str, object]:
        """A Tracker; ``embedded`` gives the variant nested in a Shipment."""
        status, detail, details, eta, finalized = self._tracking(shipment, tracker)
        out: dict[str, object] = {
            "id": tracker_id,
            "object": "Tracker",
            "mode": self.mode,
            "tracking_code": tracking_code,
            "status": status,
            "status_detail": detail,
            "created_at": ts(created),
            "updated_at": ts(max(created, self.now) if details else created),
            "signed_by": None,
            "weight": None,
            "est_delivery_date": eta,
            "shipment_id": shipment.id if shipment is not None else None,
            "carrier": carrier,
            "tracking_details": details,
        }
        if embedded:
            out["fees"] = []
            out["carrier_detail"] = self._carrier_detail(shipment)
        else:
            out["carrier_detail"] = self._carrier_detail(shipment)
            out["finalized"] = finalized
            out["is_return"] = False
        out["public_url"] = f"https://track.easypost.com/{public_code}"
        return out

    def shipment(self, shipment: Shipment, public_code: str | None) -> dict[str, object]:
        """A Shipment with its addresses, parcel, rates and (once bought) label and tracker."""
        tracker = None
        status = "unknown"
        if shipment.tracker_id and shipment.tracking_code and shipment.tracker_created:
            tracker = self.tracker(
                shipment.tracker_id,
                shipment.tracking_code,
                shipment.carrier or "USPS",
                shipment.tracker_created,
                public_code or "",
                shipment=shipment,
                embedded=True,
            )
            status = str(tracker["status"])
        fees: list[dict[str, object]] = []
        if shipment.selected_rate is not None:
            refunded = self.refund_status(shipment) == "refunded"
            fees = [
                {"object": "Fee", "type": "LabelFee", "amount": "0.00000", "charged": True,
                 "refunded": False},
                {"object": "Fee", "type": "PostageFee",
                 "amount": money_amount(shipment.selected_rate.quote.rate), "charged": True,
                 "refunded": refunded},
            ]  # fmt: skip
        return {
            "id": shipment.id,
            "created_at": ts(shipment.created),
            "is_return": False,
            "messages": shipment.messages,
            "mode": self.mode,
            "options": shipment.options,
            "reference": shipment.reference,
            "status": status,
            "tracking_code": shipment.tracking_code,
            "updated_at": ts(shipment.updated),
            "batch_id": None,
            "batch_status": None,
            "batch_message": None,
            "customs_info": None,
            "from_address": self.address(shipment.from_address),
            "insurance": None,
            "order_id": None,
            "parcel": self.parcel(shipment.parcel),
            "postage_label": self.postage_label(shipment.label) if shipment.label else None,
            "rates": [self.rate(r, shipment.id) for r in shipment.rates],
            "refund_status": self.refund_status(shipment),
            "scan_form": None,
            "selected_rate": (
                self.rate(shipment.selected_rate, shipment.id) if shipment.selected_rate else None
            ),
            "tracker": tracker,
            "to_address": self.address(shipment.to_address),
            "usps_zone": shipment.usps_zone,
            "return_address": self.address(shipment.return_address),
            "buyer_address": self.address(shipment.to_address),
            "forms": [],
            "fees": fees,
            "object": "Shipment",
        }

    def refund_status(self, shipment: Shipment) -> str | None:
        """``submitted`` turns ``refunded`` once ``refund_delay`` has passed."""
        if shipment.refund_status != "submitted" or shipment.refund_requested_at is None:
            return shipment.refund_status
        if self.now >= shipment.refund_requested_at + self.timing.refund_delay:
            return "refunded"
        return "submitted"

    def refund(self, refund_id: str, shipment: Shipment, created: datetime) -> dict[str, object]:
        """A Refund (``POST /refunds``)."""
        return {
            "id": refund_id,
            "object": "Refund",
            "created_at": ts(created),
            "updated_at": ts(created),
            "tracking_code": shipment.tracking_code,
            "confirmation_number": None,
            "status": self.refund_status(shipment),
            "carrier": shipment.carrier,
            "shipment_id": shipment.id,
        }
