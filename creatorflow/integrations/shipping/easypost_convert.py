"""EasyPost JSON ↔ CreatorFlow's shipping types, and what each SDK error means to us.

Pure functions (no I/O), used by :mod:`creatorflow.integrations.shipping.easypost`. Amounts
are read from EasyPost's strings into ``Decimal``; a float never touches money.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    Parcel,
    Rate,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    VoidResult,
    VoidState,
)

PROVIDER = "easypost"
TENTH = Decimal("0.1")
EASYPOST_FORMAT = {LabelFormat.PDF_4X6: "PDF", LabelFormat.ZPL: "ZPL"}
URL_KEY = {LabelFormat.PDF_4X6: "label_pdf_url", LabelFormat.ZPL: "label_zpl_url"}
TRACKING = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "available_for_pickup": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED,
    "failure": TrackingStatus.FAILURE,
    "cancelled": TrackingStatus.FAILURE,
    "error": TrackingStatus.UNKNOWN,
}
REFUND = {
    "submitted": VoidState.PENDING,
    "refunded": VoidState.REFUNDED,
    "rejected": VoidState.REJECTED,
    "not_applicable": VoidState.NOT_APPLICABLE,
}
ALREADY_BOUGHT_CODES = frozenset({"SHIPMENT.POSTAGE.EXISTS"})
JSON = Mapping[str, Any]


class ParseError(ValueError):
    """An EasyPost answer lacked a field we need or carried one we cannot read."""


def address_params(address: Address) -> dict[str, object]:
    """An Address as EasyPost takes it (``zip`` is the postal code)."""
    out: dict[str, object] = {
        "name": address.name,
        "street1": address.street1,
        "city": address.city,
        "state": address.state,
        "zip": address.postal_code,
        "country": address.country,
    }
    optional = {
        "street2": address.street2,
        "company": address.company,
        "phone": address.phone,
        "email": address.email,
        "residential": address.residential,
    }
    out |= {k: v for k, v in optional.items() if v is not None}
    return out


def _tenth_up(value: Decimal) -> float:
    # EasyPost takes floats to one decimal; rounding up never under-declares a parcel.
    return float(value.quantize(TENTH, rounding=ROUND_CEILING))


def parcel_params(parcel: Parcel) -> dict[str, float]:
    """A Parcel as EasyPost takes it: ounces and inches, floats to one decimal."""
    return {
        "length": _tenth_up(parcel.length_in),
        "width": _tenth_up(parcel.width_in),
        "height": _tenth_up(parcel.height_in),
        "weight": _tenth_up(parcel.weight_oz),
    }


def label_options(label_format: LabelFormat) -> dict[str, str]:
    """``options`` asking for 4x6 labels in `label_format`."""
    return {"label_format": EASYPOST_FORMAT[label_format], "label_size": "4x6"}


def _text(data: JSON, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ParseError(f"EasyPost sent no {key!r}")
    return value


def amount(value: object) -> Decimal:
    """A money amount from EasyPost (a string such as ``"6.07"``)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseError(f"not an amount: {value!r}")
    try:
        parsed = Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise ParseError(f"not an amount: {value!r}") from None
    if not parsed.is_finite():
        raise ParseError(f"not an amount: {value!r}")
    return parsed


def _days(data: JSON) -> int | None:
    for key in ("delivery_days", "est_delivery_days"):
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def rates(shipment: JSON) -> list[Rate]:
    """The shipment's rates, cheapest first (then fastest)."""
    shipment_id = _text(shipment, "id")
    out = []
    for raw in shipment.get("rates") or []:
        if not isinstance(raw, Mapping):
            raise ParseError("a rate is not an object")
        service = _text(raw, "service")
        out.append(
            Rate(
                provider=PROVIDER,
                rate_id=_text(raw, "id"),
                shipment_id=str(raw.get("shipment_id") or shipment_id),
                carrier=_text(raw, "carrier"),
                service=service,
                service_token=service,
                amount=amount(raw.get("rate")),
                currency=str(raw.get("currency") or "USD"),
                estimated_days=_days(raw),
            )
        )
    out.sort(key=lambda r: (r.amount, r.estimated_days if r.estimated_days is not None else 99))
    return out


def is_bought(shipment: JSON) -> bool:
    """Whether postage was bought on this shipment."""
    return bool(shipment.get("postage_label") or shipment.get("tracking_code"))


def shipment_format(shipment: JSON) -> LabelFormat:
    """The label format the shipment was created for (ZPL, else the 4x6 PDF)."""
    options = shipment.get("options")
    fmt = options.get("label_format") if isinstance(options, Mapping) else None
    return LabelFormat.ZPL if str(fmt or "").upper() == "ZPL" else LabelFormat.PDF_4X6


def label_url(shipment: JSON, label_format: LabelFormat) -> str | None:
    """The URL of the label file in `label_format`, if EasyPost has made it."""
    postage = shipment.get("postage_label")
    if not isinstance(postage, Mapping):
        return None
    url = postage.get(URL_KEY[label_format])
    if isinstance(url, str) and url:
        return url
    file_type = str(postage.get("label_file_type") or "").lower()
    wanted = "pdf" if label_format is LabelFormat.PDF_4X6 else "zpl"
    primary = postage.get("label_url")
    if file_type.endswith(wanted) and isinstance(primary, str) and primary:
        return primary
    return None


def label(shipment: JSON, label_format: LabelFormat) -> Label:
    """The bought label of `shipment`, its URL in `label_format` when there is one."""
    selected = shipment.get("selected_rate")
    if not isinstance(selected, Mapping):
        raise ParseError("a bought shipment without selected_rate")
    tracker = shipment.get("tracker")
    tracking_url = tracker.get("public_url") if isinstance(tracker, Mapping) else None
    shipment_id = _text(shipment, "id")
    return Label(
        provider=PROVIDER,
        label_id=shipment_id,
        tracking_number=str(shipment.get("tracking_code") or ""),
        carrier=_text(selected, "carrier"),
        service=_text(selected, "service"),
        cost=amount(selected.get("rate")),
        currency=str(selected.get("currency") or "USD"),
        label_url=label_url(shipment, label_format),
        label_format=label_format,
        rate_id=str(selected.get("id") or "") or None,
        shipment_id=shipment_id,
        tracking_url=tracking_url if isinstance(tracking_url, str) else None,
    )


def void_result(shipment: JSON) -> VoidResult:
    """What ``refund_status`` says (``None`` yet: pending)."""
    status = shipment.get("refund_status")
    state = REFUND.get(str(status), VoidState.PENDING)
    messages = {
        VoidState.REJECTED: "EasyPost rejected the refund (the carrier has scanned the parcel).",
        VoidState.NOT_APPLICABLE: "This carrier bills on scan: an unused label costs nothing.",
    }
    return VoidResult(state, messages.get(state))


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        raise ParseError(f"not a date-time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"not a date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ParseError(f"a date-time without a zone: {value!r}")
    return parsed


def _place(detail: JSON) -> str | None:
    loc = detail.get("tracking_location")
    if not isinstance(loc, Mapping):
        return None
    city_state = ", ".join(str(loc[k]) for k in ("city", "state") if loc.get(k))
    text = " ".join(p for p in (city_state, str(loc.get("zip") or "")) if p)
    return text or None


def tracking(tracker: JSON | None) -> TrackingUpdate:
    """A Tracker's status and scans, oldest first."""
    if not tracker:
        return TrackingUpdate(TrackingStatus.UNKNOWN)
    events = []
    for detail in tracker.get("tracking_details") or []:
        if not isinstance(detail, Mapping):
            raise ParseError("a tracking detail is not an object")
        events.append(
            TrackingEvent(
                at=_when(detail.get("datetime")),
                status=TRACKING.get(str(detail.get("status")), TrackingStatus.UNKNOWN),
                description=str(detail.get("message") or detail.get("description") or ""),
                location=_place(detail),
            )
        )
    events.sort(key=lambda e: e.at)
    status = TRACKING.get(str(tracker.get("status")), TrackingStatus.UNKNOWN)
    return TrackingUpdate(status, tuple(events))


def causes(error: BaseException) -> Iterator[object]:
    """The exception, what it wraps (``__cause__``/``__context__``, ``args``, ``reason``)."""
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo and len(seen) < 20:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, BaseException):
            todo.extend(x for x in (item.__cause__, item.__context__) if x is not None)
            todo.extend(a for a in item.args if isinstance(a, BaseException))
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)


NOT_CONNECTED = frozenset(
    {"ConnectTimeout", "ConnectTimeoutError", "NewConnectionError", "NameResolutionError"}
)


def never_sent(error: BaseException) -> bool:
    """Whether a transport error happened before any connection was made (nothing sent)."""
    return any(type(item).__name__ in NOT_CONNECTED for item in causes(error))


def error_text(message: object, errors: object) -> str:
    """EasyPost's message, with the field errors after it."""
    text = str(message or "").strip() or "EasyPost refused the request."
    details = []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, Mapping):
            field, said = item.get("field"), item.get("message")
            if said and str(said) != text:
                details.append(f"{field}: {said}" if field else str(said))
        elif item:
            details.append(str(item))
    return f"{text} ({'; '.join(details)})" if details else text
