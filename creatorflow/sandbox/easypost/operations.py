"""The API operations on the simulator's state: each takes parsed JSON and returns JSON.

They run under the simulator's lock (the app takes it) and raise ``errors.ApiError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.easypost import errors
from creatorflow.sandbox.easypost.data import MAX_OZ, SERVICES, price, zone
from creatorflow.sandbox.easypost.model import (
    FILE_TYPES,
    TEST_CODES,
    Shipment,
    StoredAddress,
    StoredLabel,
    StoredParcel,
    StoredRate,
    Tracker,
    first_scan_at,
)
from creatorflow.sandbox.easypost.render import ADDRESS_FIELDS, Renderer

if TYPE_CHECKING:
    from creatorflow.sandbox.easypost.simulator import EasyPostSimulator

JSON = dict[str, Any]
US_REQUIRED = ("street1", "city", "state", "zip", "country")


def _object(body: Mapping[str, Any], key: str) -> JSON:
    value = body.get(key)
    if not isinstance(value, dict) or not value:
        raise errors.required(key)
    return value


def _address(sim: EasyPostSimulator, raw: object, field: str, now: datetime) -> StoredAddress:
    if isinstance(raw, str):
        known = sim.addresses.get(raw)
        if known is None:
            raise errors.not_found(f"Address {raw} not found.")
        return known
    if not isinstance(raw, dict) or not raw:
        raise errors.required(field)
    if isinstance(raw.get("id"), str) and raw["id"] in sim.addresses:
        return sim.addresses[raw["id"]]
    fields: dict[str, Any] = {
        k: (str(raw[k]) if raw.get(k) is not None else None) for k in ADDRESS_FIELDS
    }
    fields["country"] = (fields["country"] or "US").upper()
    residential = raw.get("residential")
    fields["residential"] = residential if isinstance(residential, bool) else None
    needed = US_REQUIRED if fields["country"] == "US" else ("street1", "city", "country")
    for key in needed:
        if not (fields.get(key) or "").strip():
            raise errors.address_not_found(key, f"{key} is missing")
    if fields["country"] == "US":
        zip_ = (fields["zip"] or "").strip()
        if len(zip_) < 5 or not zip_[:5].isdigit() or zip_[:5] == "00000":
            raise errors.address_not_found("zip", "Invalid ZIP code")
        if "UNDELIVERABLE" in (fields["street1"] or "").upper():
            raise errors.address_not_found("street1", "Address does not exist")
    address = StoredAddress(sim.ids.make("adr"), now, fields)
    sim.addresses[address.id] = address
    return address


def _number(raw: Mapping[str, Any], key: str, *, needed: bool) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        if needed:
            raise errors.required(f"parcel.{key}")
        return None
    try:
        number = round(float(value), 1)
    except (TypeError, ValueError):
        raise errors.invalid(f"parcel.{key}", "must be a number") from None
    if not number > 0:
        raise errors.invalid(f"parcel.{key}", "must be greater than 0")
    return number


def _parcel(sim: EasyPostSimulator, raw: object, now: datetime) -> StoredParcel:
    if not isinstance(raw, dict) or not raw:
        raise errors.required("parcel")
    weight = _number(raw, "weight", needed=True)
    assert weight is not None
    sides = [_number(raw, k, needed=False) for k in ("length", "width", "height")]
    predefined = raw.get("predefined_package")
    parcel = StoredParcel(
        sim.ids.make("prcl"),
        now,
        sides[0],
        sides[1],
        sides[2],
        weight,
        str(predefined) if predefined else None,
    )
    return parcel


def create_shipment(sim: EasyPostSimulator, body: JSON, r: Renderer) -> JSON:
    """POST /v2/shipments."""
    raw = _object(body, "shipment")
    now = r.now
    from_address = _address(sim, raw.get("from_address"), "from_address", now)
    to_address = _address(sim, raw.get("to_address"), "to_address", now)
    return_address = (
        _address(sim, raw["return_address"], "return_address", now)
        if raw.get("return_address")
        else from_address
    )
    parcel = _parcel(sim, raw.get("parcel"), now)
    options = raw.get("options") if isinstance(raw.get("options"), dict) else {}
    assert isinstance(options, dict)
    label_format = str(options.get("label_format") or "PNG").upper()
    if label_format not in FILE_TYPES:
        raise errors.invalid("options.label_format", f"must be one of {sorted(FILE_TYPES)}")
    options = {
        **options,
        "label_format": label_format,
        "currency": "USD",
        "payment": {"type": "SENDER"},
        "date_advance": 0,
    }
    shipment_id = sim.ids.make("shp")
    zone_ = zone(str(from_address.fields.get("zip") or ""), str(to_address.fields.get("zip") or ""))
    rates: list[StoredRate] = []
    messages: list[JSON] = []
    wanted = raw.get("carrier")
    for service in SERVICES:
        if isinstance(wanted, str) and wanted.lower() != service.carrier.lower():
            continue
        account = sim.ids.carrier_account(service.carrier)
        if parcel.weight > service.max_oz:
            message = {
                "carrier": service.carrier,
                "carrier_account_id": account,
                "type": "rate_error",
                "message": f"Shipment cannot weigh more than {service.max_oz // 16} lbs.",
            }
            if message not in messages:
                messages.append(message)
            continue
        quote = price(sim.seed, service, parcel.weight, zone_)
        rates.append(StoredRate(sim.ids.make("rate"), now, quote, account))
    if parcel.weight > MAX_OZ and not rates and not messages:
        messages.append({"carrier": "USPS", "type": "rate_error", "message": "Too heavy."})
    reference = raw.get("reference")
    shipment = Shipment(
        id=shipment_id,
        created=now,
        updated=now,
        reference=str(reference) if reference not in (None, "") else None,
        options=options,
        from_address=from_address,
        to_address=to_address,
        return_address=return_address,
        parcel=parcel,
        rates=rates,
        messages=messages,
        usps_zone=zone_,
    )
    sim.shipments[shipment.id] = shipment
    return r.shipment(shipment, None)


def find_shipment(sim: EasyPostSimulator, key: str) -> Shipment:
    """A shipment by id, or by ``reference`` (EasyPost accepts references in place of ids).

    Several shipments may share a reference; the simulator picks the latest bought one, else
    the latest (how the live API chooses is unverified).
    """
    shipment = sim.shipments.get(key)
    if shipment is not None:
        return shipment
    same = [s for s in sim.shipments.values() if s.reference == key]
    if not same:
        raise errors.not_found(f"Shipment {key} not found.")
    bought = [s for s in same if s.bought]
    return (bought or same)[-1]


def render_shipment(sim: EasyPostSimulator, shipment: Shipment, r: Renderer) -> JSON:
    """A Shipment as of now."""
    public = sim.ids.public_code(shipment.tracker_id) if shipment.tracker_id else None
    return r.shipment(shipment, public)


def buy(sim: EasyPostSimulator, shipment_id: str, body: JSON, r: Renderer) -> JSON:
    """POST /v2/shipments/{id}/buy with ``{"rate": {"id": ...}}``."""
    shipment = find_shipment(sim, shipment_id)
    raw_rate = body.get("rate")
    rate_id = raw_rate.get("id") if isinstance(raw_rate, dict) else raw_rate
    if not isinstance(rate_id, str) or not rate_id:
        raise errors.required("rate")
    if shipment.bought:
        sim.rejected_rebuys += 1
        raise errors.postage_exists()
    rate = shipment.rate(rate_id)
    if rate is None:
        raise errors.postage_failure(f"The rate {rate_id} is not a rate of {shipment.id}.")
    if sim.declined:
        raise errors.ApiError(
            402, "PAYMENT.INSUFFICIENT_FUNDS", "Insufficient funds. Add funds to your wallet."
        )
    now = r.now
    label_format = str(shipment.options.get("label_format") or "PNG")
    label_size = str(shipment.options.get("label_size") or "4x6")
    shipment.selected_rate = rate
    shipment.label = StoredLabel(
        sim.ids.make("pl"), now, label_format, label_size, [label_format], now
    )
    shipment.tracking_code = sim.ids.tracking_code(rate.quote.service.carrier)
    shipment.tracker_id = sim.ids.make("trk")
    shipment.tracker_created = now
    shipment.bought_at = now
    shipment.updated = now
    sim.record_purchase(shipment)
    return render_shipment(sim, shipment, r)


def convert_label(
    sim: EasyPostSimulator, shipment_id: str, query: Mapping[str, str], r: Renderer
) -> JSON:
    """GET /v2/shipments/{id}/label?file_format=ZPL."""
    shipment = find_shipment(sim, shipment_id)
    fmt = str(query.get("file_format") or "").upper()
    if not fmt:
        raise errors.required("file_format")
    if fmt not in FILE_TYPES:
        raise errors.invalid("file_format", f"must be one of {sorted(FILE_TYPES)}")
    if shipment.label is None:
        raise errors.postage_required("Postage must be purchased before converting the label.")
    if fmt not in shipment.label.formats:
        shipment.label.formats.append(fmt)
        shipment.label.updated = r.now
        shipment.updated = r.now
    return render_shipment(sim, shipment, r)


def _refund(sim: EasyPostSimulator, shipment: Shipment, now: datetime) -> None:
    if shipment.refund_status is not None:
        return  # already asked: the answer stays what it was
    scan = first_scan_at(shipment, sim.timing)
    shipment.refund_requested_at = now
    shipment.updated = now
    if (shipment.carrier or "") in sim.bill_on_scan:
        shipment.refund_status = "not_applicable"
    elif scan is not None and scan <= now:
        shipment.refund_status = "rejected"
    else:
        shipment.refund_status = "submitted"
    sim.refund_requests[shipment.refund_status] += 1


def refund_shipment(sim: EasyPostSimulator, shipment_id: str, r: Renderer) -> JSON:
    """POST /v2/shipments/{id}/refund: ``refund_status`` submitted (later refunded), rejected
    once the carrier scanned the parcel, not_applicable for bill-on-scan carriers.
    """
    shipment = find_shipment(sim, shipment_id)
    if not shipment.bought:
        raise errors.postage_required("Postage must be purchased before it can be refunded.")
    _refund(sim, shipment, r.now)
    return render_shipment(sim, shipment, r)


def create_refunds(sim: EasyPostSimulator, body: JSON, r: Renderer) -> list[JSON]:
    """POST /v2/refunds with a carrier and tracking codes: a list of Refunds."""
    raw = _object(body, "refund")
    codes = raw.get("tracking_codes")
    if not isinstance(codes, list) or not codes:
        raise errors.required("tracking_codes")
    out = []
    for code in codes:
        shipment = next((s for s in sim.shipments.values() if s.tracking_code == str(code)), None)
        if shipment is None:
            raise errors.not_found(f"No shipment with tracking code {code}.")
        _refund(sim, shipment, r.now)
        refund_id = sim.ids.make("rfnd")
        sim.refunds[refund_id] = (shipment.id, r.now)
        shipment.refund_ids.append(refund_id)
        out.append(r.refund(refund_id, shipment, r.now))
    return out


def list_shipments(sim: EasyPostSimulator, query: Mapping[str, str], r: Renderer) -> JSON:
    """GET /v2/shipments: newest first, ``page_size`` (≤100), ``before_id``/``after_id``,
    ``purchased``, ``start_datetime``/``end_datetime``.
    """
    try:
        page_size = int(query.get("page_size") or 20)
    except ValueError:
        raise errors.invalid("page_size", "must be a whole number") from None
    if not 1 <= page_size <= 100:
        raise errors.invalid("page_size", "must be between 1 and 100")
    items = list(reversed(sim.shipments.values()))
    purchased = (query.get("purchased") or "").lower()
    if purchased in ("true", "false"):
        items = [s for s in items if s.bought == (purchased == "true")]
    ids = [s.id for s in items]
    before, after = query.get("before_id"), query.get("after_id")
    if before:
        items = items[ids.index(before) + 1 :] if before in ids else []
    elif after:
        items = items[: ids.index(after)] if after in ids else items
    for key, keep in (("start_datetime", True), ("end_datetime", False)):
        bound = query.get(key)
        if bound:
            try:
                when = datetime.fromisoformat(bound.replace("Z", "+00:00"))
            except ValueError:
                raise errors.invalid(key, "must be an ISO 8601 date-time") from None
            if when.tzinfo is None:
                raise errors.invalid(key, "must carry a time zone")
            items = [s for s in items if (s.created >= when) == keep]
    page = items[:page_size]
    return {
        "shipments": [render_shipment(sim, s, r) for s in page],
        "has_more": len(items) > page_size,
    }


def _tracker_json(sim: EasyPostSimulator, tracker: Tracker, r: Renderer) -> JSON:
    shipment = sim.shipments.get(tracker.shipment_id or "")
    return r.tracker(
        tracker.id,
        tracker.tracking_code,
        tracker.carrier,
        tracker.created,
        sim.ids.public_code(tracker.id),
        shipment=shipment,
        tracker=tracker,
    )


def create_tracker(sim: EasyPostSimulator, body: JSON, r: Renderer) -> JSON:
    """POST /v2/trackers: the shipment's tracker for one of our codes, else a new one."""
    raw = _object(body, "tracker")
    code = str(raw.get("tracking_code") or "").strip()
    if not code:
        raise errors.required("tracking_code")
    shipment = next((s for s in sim.shipments.values() if s.tracking_code == code), None)
    if shipment is not None and shipment.tracker_id and shipment.tracker_created:
        tracker = sim.trackers.get(shipment.tracker_id)
        if tracker is None:
            tracker = Tracker(
                shipment.tracker_id, shipment.tracker_created, code, shipment.carrier or "USPS",
                shipment.id,
            )  # fmt: skip
            sim.trackers[tracker.id] = tracker
        return _tracker_json(sim, tracker, r)
    existing = next((t for t in sim.trackers.values() if t.tracking_code == code), None)
    if existing is None:
        carrier = str(raw.get("carrier") or "USPS")
        existing = Tracker(sim.ids.make("trk"), r.now, code, carrier)
        sim.trackers[existing.id] = existing
    return _tracker_json(sim, existing, r)


def retrieve_tracker(sim: EasyPostSimulator, tracker_id: str, r: Renderer) -> JSON:
    """GET /v2/trackers/{id} (also the trackers of bought shipments)."""
    tracker = sim.trackers.get(tracker_id)
    if tracker is None:
        shipment = next((s for s in sim.shipments.values() if s.tracker_id == tracker_id), None)
        if shipment is None or shipment.tracking_code is None or shipment.tracker_created is None:
            raise errors.not_found(f"Tracker {tracker_id} not found.")
        tracker = Tracker(
            tracker_id, shipment.tracker_created, shipment.tracking_code,
            shipment.carrier or "USPS", shipment.id,
        )  # fmt: skip
        sim.trackers[tracker_id] = tracker
    return _tracker_json(sim, tracker, r)


def list_trackers(sim: EasyPostSimulator, query: Mapping[str, list[str]], r: Renderer) -> JSON:
    """GET /v2/trackers?tracking_codes[]=…&tracking_code=…&carrier=…"""
    codes = set(query.get("tracking_codes[]", [])) | set(query.get("tracking_code", []))
    carrier = (query.get("carrier") or [""])[0].lower()
    items = [
        t
        for t in reversed(sim.trackers.values())
        if (not codes or t.tracking_code in codes) and (not carrier or t.carrier.lower() == carrier)
    ]
    return {"trackers": [_tracker_json(sim, t, r) for t in items[:100]], "has_more": False}


__all__ = [
    "TEST_CODES",
    "buy",
    "convert_label",
    "create_refunds",
    "create_shipment",
    "create_tracker",
    "find_shipment",
    "list_shipments",
    "list_trackers",
    "refund_shipment",
    "render_shipment",
    "retrieve_tracker",
]
