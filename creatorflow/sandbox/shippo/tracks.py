"""Tracks (reference §2.7): ``GET /tracks/{carrier}/{number}`` and ``POST /tracks``.

A bought label's track follows the simulated clock from the purchase: PRE_TRANSIT, TRANSIT
(accepted, departed, out for delivery — substatus ``out_for_delivery``) and DELIVERED after the
service's estimated days. Carrier ``shippo`` answers the documented test numbers
``SHIPPO_PRE_TRANSIT`` … ``SHIPPO_UNKNOWN``; other unknown numbers answer UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.shippo.data import iso
from creatorflow.sandbox.shippo.model import Call, Transaction, field_error

if TYPE_CHECKING:
    from creatorflow.sandbox.shippo.simulator import ShippoSimulator

TEST_TRACKING = ("PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN")


@dataclass(frozen=True)
class _Step:
    after: timedelta
    status: str
    details: str
    substatus: tuple[str, str] | None
    at_destination: bool


def _steps(days: int) -> list[_Step]:
    deliver = timedelta(days=max(1, days))
    return [
        _Step(
            timedelta(0), "PRE_TRANSIT",
            "The carrier has received the electronic shipment information.",
            ("information_received", "Information about the package received."), False,
        ),
        _Step(
            timedelta(hours=6), "TRANSIT", "Accepted at the origin facility.",
            ("package_accepted", "Package has been accepted into the carrier network."), False,
        ),
        _Step(
            timedelta(hours=12), "TRANSIT", "Departed the origin facility.",
            ("package_departed", "Package has departed from an intermediate location."), False,
        ),
        _Step(
            deliver - timedelta(hours=6), "TRANSIT", "Out for delivery.",
            ("out_for_delivery", "Package is out for delivery."), True,
        ),
        _Step(
            deliver, "DELIVERED", "Delivered, front door or porch.",
            ("delivered", "Package has been delivered."), True,
        ),
    ]  # fmt: skip


def _location(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address.get(k) or "" for k in ("city", "state", "zip", "country")}


def _status(
    sim: ShippoSimulator, at: datetime, step: _Step, where: dict[str, Any] | None, key: str
) -> dict[str, Any]:
    return {
        "object_id": sim.stable_id(key),
        "object_created": iso(at),
        "object_updated": iso(at),
        "status": step.status,
        "status_details": step.details,
        "status_date": iso(at),
        "substatus": (
            {"code": step.substatus[0], "text": step.substatus[1], "action_required": False}
            if step.substatus
            else None
        ),
        "location": where,
    }


def track_status(sim: ShippoSimulator, txn: Transaction) -> list[dict[str, Any]]:
    """The transaction's tracking history so far, newest first."""
    shipment = sim.shipments[txn.shipment_id]
    now = sim.now()
    history = []
    for n, step in enumerate(_steps(txn.estimated_days)):
        at = txn.created + step.after
        if at > now and n > 0:
            break
        where = _location(shipment["address_to" if step.at_destination else "address_from"])
        history.append(_status(sim, at, step, where, f"{txn.object_id}/{n}"))
    return list(reversed(history))


def _test_track(sim: ShippoSimulator, number: str) -> dict[str, Any]:
    wanted = number.removeprefix("SHIPPO_")
    start = sim.start
    steps = _steps(3)
    if wanted == "UNKNOWN":
        chosen: list[_Step] = [
            _Step(timedelta(0), "UNKNOWN", "No tracking information yet.", None, False)
        ]
    elif wanted in ("PRE_TRANSIT", "TRANSIT", "DELIVERED"):
        last = {"PRE_TRANSIT": 0, "TRANSIT": 2, "DELIVERED": 4}[wanted]
        chosen = steps[: last + 1]
    else:
        details = "Returned to sender." if wanted == "RETURNED" else "Delivery attempt failed."
        code = "return_to_sender" if wanted == "RETURNED" else "delivery_attempt_failed"
        chosen = [
            *steps[:3],
            _Step(timedelta(days=2), wanted, details, (code, details), True),
        ]
    frm = {"city": "San Francisco", "state": "CA", "zip": "94103", "country": "US"}
    to = {"city": "Chicago", "state": "IL", "zip": "60611", "country": "US"}
    history = [
        _status(sim, start + s.after, s, to if s.at_destination else frm, f"{number}/{n}")
        for n, s in enumerate(chosen)
    ]
    return {
        "carrier": "shippo",
        "tracking_number": number,
        "address_from": frm,
        "address_to": to,
        "transaction": None,
        "metadata": None,
        "test": True,
        "eta": iso(start + timedelta(days=3)),
        "original_eta": iso(start + timedelta(days=3)),
        "servicelevel": {"token": "shippo_priority", "name": "Priority Mail"},
        "messages": [],
        "tracking_status": history[-1],
        "tracking_history": history,
    }


def _track(sim: ShippoSimulator, carrier: str, number: str) -> dict[str, Any]:
    if carrier == "shippo" and number.removeprefix("SHIPPO_") in TEST_TRACKING:
        return _test_track(sim, number)
    txn_id = sim.tracking_index.get((carrier, number))
    if txn_id is None:
        unknown = _Step(timedelta(0), "UNKNOWN", "The carrier has no record of it.", None, False)
        status = _status(sim, sim.now(), unknown, None, f"{carrier}/{number}")
        return {
            "carrier": carrier,
            "tracking_number": number,
            "transaction": None,
            "metadata": None,
            "test": sim.test,
            "eta": None,
            "original_eta": None,
            "servicelevel": None,
            "messages": [],
            "tracking_status": status,
            "tracking_history": [],
        }
    txn = sim.transactions[txn_id]
    shipment = sim.shipments[txn.shipment_id]
    history = track_status(sim, txn)
    eta = iso(txn.created + timedelta(days=txn.estimated_days))
    return {
        "carrier": carrier,
        "tracking_number": number,
        "address_from": _location(shipment["address_from"]),
        "address_to": _location(shipment["address_to"]),
        "transaction": txn.object_id,
        "metadata": txn.metadata or None,
        "test": sim.test,
        "eta": eta,
        "original_eta": eta,
        "servicelevel": {"token": txn.service_token, "name": txn.service_name},
        "messages": [],
        "tracking_status": history[0],
        "tracking_history": list(reversed(history)),
    }


def get_track(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /tracks/{carrier}/{tracking_number} (200)."""
    return _track(sim, call.path_params["carrier"], call.path_params["number"])


def register_track(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """POST /tracks (200): register a number for webhooks; answers the current Track."""
    carrier = call.body.get("carrier")
    number = call.body.get("tracking_number")
    if not isinstance(carrier, str) or not carrier:
        raise field_error("carrier", "This field is required.")
    if not isinstance(number, str) or not number:
        raise field_error("tracking_number", "This field is required.")
    track = _track(sim, carrier, number)
    metadata = call.body.get("metadata")
    if isinstance(metadata, str):
        track["metadata"] = metadata
    return track
