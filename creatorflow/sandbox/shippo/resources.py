"""Addresses, parcels, shipments, rates and carrier accounts (reference §2.1, §2.2, §2.10).

An address is flagged invalid when ``street1`` contains "invalid" or the ZIP is ``00000``:
validation says so, rating still works, and buying a label for it ends in a transaction
``ERROR``. Parcels heavier than a carrier's limit get no rate from it and a message instead.
"""

from __future__ import annotations

import random
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.shippo.data import (
    OWNER,
    SERVICES,
    iso,
    price,
    to_pounds,
    zone,
)
from creatorflow.sandbox.shippo.model import ApiError, Call, field_error, not_found

if TYPE_CHECKING:
    from creatorflow.sandbox.shippo.simulator import ShippoSimulator

ADDRESS_FIELDS = (
    "name", "company", "street_no", "street1", "street2", "street3", "city", "state", "zip",
    "country", "phone", "email",
)  # fmt: skip
INVALID_MESSAGE = {
    "code": "Address Not Found",
    "source": "Shippo Address Validator",
    "text": "The address as submitted could not be found. Please check for excess "
    "abbreviations in the street address line.",
    "type": "address_error",
}
WEIGHT_UNITS = frozenset({"g", "kg", "lb", "oz"})
DISTANCE_UNITS = frozenset({"cm", "in", "ft", "m", "mm", "yd"})


def is_invalid(address: dict[str, Any]) -> bool:
    """Whether the sandbox treats `address` as undeliverable."""
    return "invalid" in str(address.get("street1") or "").lower() or address.get("zip") == "00000"


def _text(body: dict[str, Any], name: str, default: str = "") -> str:
    value = body.get(name)
    return value if isinstance(value, str) else default


def _metadata(body: dict[str, Any]) -> str:
    metadata = body.get("metadata")
    if metadata is None:
        return ""
    if not isinstance(metadata, str):
        raise field_error("metadata", "Not a valid string.")
    if len(metadata) > 100:
        raise field_error("metadata", "Ensure this field has no more than 100 characters.")
    return metadata


def new_address(sim: ShippoSimulator, body: dict[str, Any], *, validate: bool) -> dict[str, Any]:
    """Store and render an address from an ``AddressCreateRequest`` body."""
    if not _text(body, "country"):
        raise field_error("country", "This field is required.")
    now = iso(sim.now())
    out: dict[str, Any] = {
        "object_id": sim.ids.object_id(),
        "object_created": now,
        "object_updated": now,
        "object_owner": OWNER,
    }
    for name in ADDRESS_FIELDS:
        out[name] = _text(body, name)
    out["country"] = out["country"].upper()
    residential = body.get("is_residential")
    out["is_residential"] = residential if isinstance(residential, bool) else None
    out["is_complete"] = all(out[k] for k in ("name", "street1", "city", "zip", "country"))
    out["metadata"] = _metadata(body)
    out["test"] = sim.test
    invalid = is_invalid(out)
    if validate:
        out["validation_results"] = {
            "is_valid": not invalid,
            "messages": [dict(INVALID_MESSAGE)] if invalid else [],
        }
    sim.addresses[out["object_id"]] = out
    if invalid:
        sim.invalid_addresses.add(out["object_id"])
    return out


def create_address(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """POST /addresses (201)."""
    return new_address(sim, call.body, validate=call.body.get("validate") is True)


def get_address(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /addresses/{id}."""
    address = sim.addresses.get(call.path_params["id"])
    if address is None:
        raise not_found()
    return address


def validate_address(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /addresses/{id}/validate."""
    address = get_address(sim, call)
    invalid = address["object_id"] in sim.invalid_addresses
    address["validation_results"] = {
        "is_valid": not invalid,
        "messages": [dict(INVALID_MESSAGE)] if invalid else [],
    }
    return address


def paginate(call: Call, path: str, items: list[Any], extra: str = "") -> dict[str, Any]:
    """``{"next", "previous", "results"}`` for `page`/`results` query parameters."""
    try:
        page = max(1, int(call.query.get("page", "1")))
        size = min(100, max(1, int(call.query.get("results", "25"))))
    except ValueError as error:
        raise ApiError(400, {"detail": "Invalid page or results."}) from error
    start = (page - 1) * size
    chunk = items[start : start + size]

    def link(n: int) -> str:
        return f"{call.base_url}{path}?page={n}&results={size}{extra}"

    return {
        "next": link(page + 1) if start + size < len(items) else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": chunk,
    }


def list_addresses(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /addresses (newest first)."""
    return paginate(call, "/addresses", list(reversed(sim.addresses.values())))


def _address_ref(sim: ShippoSimulator, body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        raise field_error(name, "This field is required.")
    if isinstance(value, str):
        address = sim.addresses.get(value)
        if address is None:
            raise field_error(name, f"Address with object_id {value} does not exist.")
        return address
    if not isinstance(value, dict):
        raise field_error(name, "Expected an address object or an object_id.")
    return new_address(sim, value, validate=True)


def _number(value: object, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise field_error(name, "A valid number is required.") from error
    if not number.is_finite() or number <= 0:
        raise field_error(name, "Ensure this value is greater than 0.")
    return number


def _parcel(sim: ShippoSimulator, value: object) -> dict[str, Any]:
    if isinstance(value, str):
        found = sim.parcels.get(value)
        if found is None:
            raise field_error("parcels", f"Parcel with object_id {value} does not exist.")
        return found
    if not isinstance(value, dict):
        raise field_error("parcels", "Expected a parcel object or an object_id.")
    for name in ("length", "width", "height", "distance_unit", "weight", "mass_unit"):
        if value.get(name) in (None, ""):
            raise field_error(name, "This field is required.")
    if value["mass_unit"] not in WEIGHT_UNITS:
        raise field_error("mass_unit", f'"{value["mass_unit"]}" is not a valid choice.')
    if value["distance_unit"] not in DISTANCE_UNITS:
        raise field_error("distance_unit", f'"{value["distance_unit"]}" is not a valid choice.')
    now = iso(sim.now())
    sizes = {k: f"{_number(value[k], k):.4f}" for k in ("length", "width", "height", "weight")}
    parcel: dict[str, Any] = {
        "object_id": sim.ids.object_id(),
        "object_state": "VALID",
        "object_created": now,
        "object_updated": now,
        "object_owner": OWNER,
        "template": None,
        **sizes,
        "distance_unit": value["distance_unit"],
        "mass_unit": value["mass_unit"],
        "metadata": _metadata(value),
        "extra": {},
        "test": sim.test,
    }
    sim.parcels[parcel["object_id"]] = parcel
    return parcel


def _rates(
    sim: ShippoSimulator, shipment_id: str, frm: dict[str, Any], to: dict[str, Any], weight: Decimal
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    zone_ = zone(str(frm.get("zip") or ""), str(to.get("zip") or ""))
    now = iso(sim.now())
    rates: list[dict[str, Any]] = []
    refused: dict[str, Decimal] = {}
    for service in SERVICES:
        if weight > service.max_lb:
            refused[service.provider] = service.max_lb
            continue
        rng = random.Random(f"{sim.seed}/{service.token}/{frm.get('zip')}/{to.get('zip')}")  # noqa: S311
        amount = price(service, weight, zone_, Decimal(rng.randint(-20, 20)) / 100)
        rates.append(
            {
                "object_id": sim.ids.object_id(),
                "object_created": now,
                "object_owner": OWNER,
                "shipment": shipment_id,
                "attributes": [],
                "amount": str(amount),
                "currency": "USD",
                "amount_local": str(amount),
                "currency_local": "USD",
                "provider": service.provider,
                "provider_image_75": f"https://shippo-static.s3.amazonaws.com/providers/75/{service.provider}.png",
                "provider_image_200": f"https://shippo-static.s3.amazonaws.com/providers/200/{service.provider}.png",
                "servicelevel": {
                    "name": service.name,
                    "token": service.token,
                    "terms": "",
                    "extended_token": service.token,
                    "parent_servicelevel": None,
                },
                "estimated_days": service.days,
                "arrives_by": None,
                "duration_terms": service.terms,
                "messages": [],
                "carrier_account": sim.carrier_account_ids[service.provider],
                "test": sim.test,
                "zone": str(zone_),
                "included_insurance_price": None,
            }
        )
    if rates:
        cheapest = min(rates, key=lambda r: Decimal(r["amount"]))
        fastest = min(rates, key=lambda r: (r["estimated_days"], Decimal(r["amount"])))
        value = min(
            (r for r in rates if r["estimated_days"] <= 3),
            key=lambda r: Decimal(r["amount"]) * r["estimated_days"],
            default=cheapest,
        )
        cheapest["attributes"].append("CHEAPEST")
        fastest["attributes"].append("FASTEST")
        value["attributes"].append("BESTVALUE")
    messages = [
        {
            "source": provider,
            "code": "",
            "text": f"{provider}: the parcel weighs {weight:.2f} lb, over the {limit} lb limit.",
        }
        for provider, limit in refused.items()
    ]
    return rates, messages


def create_shipment(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """POST /shipments (201): rates inline unless ``async`` is true (then QUEUED, no rates)."""
    body = call.body
    frm = _address_ref(sim, body, "address_from")
    to = _address_ref(sim, body, "address_to")
    raw_parcels = body.get("parcels")
    if not isinstance(raw_parcels, list) or not raw_parcels:
        raise field_error("parcels", "This field is required.")
    parcels = [_parcel(sim, value) for value in raw_parcels]
    ret = _address_ref(sim, body, "address_return") if body.get("address_return") else frm
    weight = sum(
        (to_pounds(Decimal(p["weight"]), p["mass_unit"]) for p in parcels), start=Decimal(0)
    )
    shipment_id = sim.ids.object_id()
    rates, messages = _rates(sim, shipment_id, frm, to, weight)
    now = iso(sim.now())
    accounts = body.get("carrier_accounts")
    shipment: dict[str, Any] = {
        "object_id": shipment_id,
        "object_created": now,
        "object_updated": now,
        "object_owner": OWNER,
        "status": "SUCCESS",
        "address_from": frm,
        "address_to": to,
        "address_return": ret,
        "parcels": parcels,
        "shipment_date": _text(body, "shipment_date") or now,
        "extra": body.get("extra") if isinstance(body.get("extra"), dict) else {},
        "customs_declaration": None,
        "carrier_accounts": accounts if isinstance(accounts, list) else [],
        "rates": rates,
        "messages": messages,
        "metadata": _metadata(body),
        "test": sim.test,
    }
    sim.shipments[shipment_id] = shipment
    sim.shipment_created[shipment_id] = sim.now()
    for rate in rates:
        sim.rates[rate["object_id"]] = rate
    if body.get("async") is True:
        sim.queued_shipments.add(shipment_id)
        return shipment | {"status": "QUEUED", "rates": []}
    return shipment


def _shipment(sim: ShippoSimulator, shipment_id: str) -> dict[str, Any]:
    shipment = sim.shipments.get(shipment_id)
    if shipment is None:
        raise not_found()
    sim.queued_shipments.discard(shipment_id)  # rating finishes by the first look
    return shipment


def get_shipment(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /shipments/{id}."""
    return _shipment(sim, call.path_params["id"])


def list_shipments(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /shipments (newest first)."""
    return paginate(call, "/shipments", list(reversed(sim.shipments.values())))


def shipment_rates(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /shipments/{id}/rates[/{currency}] (USD only in the sandbox)."""
    shipment_id = call.path_params["id"]
    rates = _shipment(sim, shipment_id)["rates"]
    currency = call.path_params.get("currency")
    if currency is not None and currency.upper() != "USD":
        raise field_error("currency_code", f"Currency {currency} is not supported.")
    return paginate(call, f"/shipments/{shipment_id}/rates", rates)


def get_rate(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /rates/{id}."""
    rate = sim.rates.get(call.path_params["id"])
    if rate is None:
        raise not_found()
    return rate


def list_carrier_accounts(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /carrier_accounts: one Shippo-managed account per carrier (no ``parameters``)."""
    accounts = []
    for provider, account_id in sim.carrier_account_ids.items():
        carrier = provider.lower()
        levels = [
            {"name": s.name, "token": s.token, "supports_return_labels": True}
            for s in SERVICES
            if s.provider == provider
        ]
        accounts.append(
            {
                "object_id": account_id,
                "account_id": f"shippo_{carrier}_account",
                "carrier": carrier,
                "carrier_name": provider,
                "active": True,
                "is_shippo_account": True,
                "metadata": "",
                "service_levels": levels,
                "test": sim.test,
            }
        )
    wanted = call.query.get("carrier")
    if wanted:
        accounts = [a for a in accounts if a["carrier"] == wanted]
    return paginate(call, "/carrier_accounts", accounts)
