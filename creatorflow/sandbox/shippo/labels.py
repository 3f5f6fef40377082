"""Transactions (label purchases) and refunds (reference §2.3, §2.6).

* ``POST /transactions`` answers 201 ``QUEUED`` when ``async`` is true (the SDK's default) and
  settles to ``SUCCESS`` on a later read (after ``queued_polls`` reads) or once
  ``purchase_seconds`` of simulated time have passed; ``async: false`` answers ``SUCCESS`` at
  once. Refused purchases answer **201 with ``status: ERROR``** and ``messages``: a rate older
  than 7 days, an address flagged invalid, or a rejection queued by
  ``ShippoSimulator.reject_next_purchase``.
* Refunds: ``QUEUED`` then ``SUCCESS`` (transaction ``REFUNDED``) or, when the carrier had
  already scanned the parcel at request time, ``ERROR`` (transaction ``REFUNDREJECTED``).
* Tracks live in :mod:`.tracks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.shippo.data import CARRIER_TOKENS, OWNER, TRACKING_URLS, iso
from creatorflow.sandbox.shippo.model import (
    IN_FLIGHT,
    LABEL_FILE_TYPES,
    Call,
    Refund,
    Transaction,
    field_error,
    not_found,
)
from creatorflow.sandbox.shippo.resources import is_invalid, paginate
from creatorflow.sandbox.shippo.tracks import track_status

if TYPE_CHECKING:
    from creatorflow.sandbox.shippo.simulator import ShippoSimulator

RATE_LIFETIME = timedelta(days=7)


# -- transactions ---------------------------------------------------------------------------


def _settle(sim: ShippoSimulator, txn: Transaction, *, read: bool) -> None:
    if txn.refund_id is not None:  # a look at the label is a look at its refund too
        _settle_refund(sim, sim.refunds[txn.refund_id], read=read)
    if txn.status not in IN_FLIGHT:
        return
    if read:
        txn.polls += 1
    due = sim.now() >= txn.created + timedelta(seconds=sim.purchase_seconds)
    if due or (read and txn.polls > sim.queued_polls):
        txn.status = txn.outcome
        txn.updated = sim.now()


def render_transaction(sim: ShippoSimulator, txn: Transaction) -> dict[str, Any]:
    """A ``Transaction`` as the SDK parses it (always with ``created_by``)."""
    done = txn.status not in IN_FLIGHT and txn.status != "ERROR"
    ext = "zpl" if txn.label_file_type == "ZPLII" else "pdf"
    tracking = txn.tracking_number if done else ""
    return {
        "object_id": txn.object_id,
        "object_state": "VALID",
        "status": txn.status,
        "object_created": iso(txn.created),
        "object_updated": iso(txn.updated),
        "object_owner": OWNER,
        "test": sim.test,
        "rate": txn.rate_id,
        "tracking_number": tracking,
        "tracking_status": track_status(sim, txn)[0]["status"] if done else "UNKNOWN",
        "tracking_url_provider": TRACKING_URLS[txn.provider].format(tracking) if done else "",
        "eta": iso(txn.created + timedelta(days=txn.estimated_days)) if done else None,
        "label_url": f"{txn.base_url}/sandbox/labels/{txn.object_id}.{ext}" if done else "",
        "commercial_invoice_url": None,
        "qr_code_url": None,
        "messages": txn.messages if txn.status == "ERROR" else [],
        "metadata": txn.metadata,
        "parcel": txn.parcel_id,
        "label_file_type": txn.label_file_type,
        "created_by": None,
    }


def create_transaction(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """POST /transactions (201): buy the label for ``rate``."""
    body = call.body
    rate_id = body.get("rate")
    if not rate_id:
        if body.get("shipment") is not None:
            raise field_error("shipment", "Instant transactions are not simulated; send a rate.")
        raise field_error("rate", "This field is required.")
    if not isinstance(rate_id, str) or rate_id not in sim.rates:
        raise field_error("rate", f"Rate with object_id {rate_id} does not exist.")
    file_type = body.get("label_file_type") or "PDF_4x6"
    if file_type not in LABEL_FILE_TYPES:
        raise field_error("label_file_type", f'"{file_type}" is not a valid choice.')
    metadata = body.get("metadata") or ""
    if not isinstance(metadata, str) or len(metadata) > 100:
        raise field_error("metadata", "Ensure this field has no more than 100 characters.")
    rate = sim.rates[rate_id]
    shipment = sim.shipments[rate["shipment"]]
    now = sim.now()
    txn = Transaction(
        object_id=sim.ids.object_id(),
        rate_id=rate_id,
        shipment_id=shipment["object_id"],
        parcel_id=shipment["parcels"][0]["object_id"],
        provider=rate["provider"],
        service_token=rate["servicelevel"]["token"],
        service_name=rate["servicelevel"]["name"],
        estimated_days=int(rate["estimated_days"]),
        created=now,
        updated=now,
        status="QUEUED" if body.get("async", True) is not False else "SUCCESS",
        label_file_type=file_type,
        metadata=metadata,
        tracking_number="",
        base_url=call.base_url,
    )
    messages = _refusal(sim, shipment, now)
    if messages:
        txn.status = txn.outcome = "ERROR"
        txn.messages = messages
    else:
        txn.tracking_number = sim.ids.tracking_number(txn.provider)
        sim.purchases_by_rate[rate_id] += 1
        if metadata:
            sim.purchases_by_metadata[metadata] += 1
        sim.tracking_index[(CARRIER_TOKENS[txn.provider], txn.tracking_number)] = txn.object_id
    sim.transactions[txn.object_id] = txn
    return render_transaction(sim, txn)


def _refusal(sim: ShippoSimulator, shipment: dict[str, Any], now: datetime) -> list[dict[str, str]]:
    if now - sim.shipment_created[shipment["object_id"]] >= RATE_LIFETIME:
        return [
            {
                "source": "Shippo",
                "code": "rate_expired",
                "text": "Rates are valid for 7 days only. Please create a new shipment "
                "and purchase one of its rates.",
            }
        ]
    for role in ("address_to", "address_from"):
        if is_invalid(shipment[role]):
            return [
                {
                    "source": "USPS",
                    "code": "address_error",
                    "text": f"The {role.removeprefix('address_')} address could not be found: "
                    "check the street, city, state and ZIP code.",
                }
            ]
    if sim.rejections:
        return [sim.rejections.pop(0)]
    return []


def _transaction(sim: ShippoSimulator, transaction_id: str) -> Transaction:
    txn = sim.transactions.get(transaction_id)
    if txn is None:
        raise not_found()
    return txn


def get_transaction(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /transactions/{id}."""
    txn = _transaction(sim, call.path_params["id"])
    _settle(sim, txn, read=True)
    return render_transaction(sim, txn)


def list_transactions(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /transactions?rate=&object_status=&tracking_status= (newest first)."""
    rate = call.query.get("rate")
    status = call.query.get("object_status")
    tracking = call.query.get("tracking_status")
    found = []
    for txn in reversed(sim.transactions.values()):
        if rate and txn.rate_id != rate:
            continue
        _settle(sim, txn, read=True)
        rendered = render_transaction(sim, txn)
        if status and rendered["status"] != status:
            continue
        if tracking and rendered["tracking_status"] != tracking:
            continue
        found.append(rendered)
    extra = "".join(
        f"&{k}={v}" for k, v in (("rate", rate), ("object_status", status)) if v is not None
    )
    return paginate(call, "/transactions", found, extra)


# -- refunds ----------------------------------------------------------------------------------


def _settle_refund(sim: ShippoSimulator, refund: Refund, *, read: bool) -> None:
    if refund.status != "QUEUED":
        return
    if read:
        refund.polls += 1
    due = sim.now() >= refund.created + timedelta(seconds=sim.refund_seconds)
    if due or (read and refund.polls > sim.queued_polls):
        refund.status = refund.outcome
        refund.updated = sim.now()
        txn = sim.transactions[refund.transaction_id]
        txn.status = "REFUNDED" if refund.outcome == "SUCCESS" else "REFUNDREJECTED"
        txn.updated = refund.updated
        sim.refund_outcomes[refund.outcome] += 1


def render_refund(sim: ShippoSimulator, refund: Refund) -> dict[str, Any]:
    """A ``Refund`` as the SDK parses it."""
    return {
        "object_id": refund.object_id,
        "object_owner": OWNER,
        "object_created": iso(refund.created),
        "object_updated": iso(refund.updated),
        "status": refund.status,
        "transaction": refund.transaction_id,
        "test": sim.test,
    }


def create_refund(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """POST /refunds (201): QUEUED; refused outright (400) for labels that cannot be refunded."""
    transaction_id = call.body.get("transaction")
    if not transaction_id:
        raise field_error("transaction", "This field is required.")
    txn = sim.transactions.get(str(transaction_id))
    if txn is None:
        raise field_error("transaction", f"Transaction with object_id {transaction_id} not found.")
    _settle(sim, txn, read=False)
    if txn.status != "SUCCESS":
        if txn.status in ("REFUNDPENDING", "REFUNDED"):
            raise field_error("transaction", "A refund for this label was already requested.")
        raise field_error("transaction", f"Labels in status {txn.status} cannot be refunded.")
    scanned = track_status(sim, txn)[0]["status"] != "PRE_TRANSIT"
    now = sim.now()
    refund = Refund(
        object_id=sim.ids.object_id(),
        transaction_id=txn.object_id,
        created=now,
        updated=now,
        status="QUEUED",
        outcome="ERROR" if scanned else "SUCCESS",
    )
    txn.status = "REFUNDPENDING"
    txn.updated = now
    txn.refund_id = refund.object_id
    sim.refunds[refund.object_id] = refund
    if call.body.get("async") is False:
        refund.polls = sim.queued_polls
        _settle_refund(sim, refund, read=True)
    return render_refund(sim, refund)


def get_refund(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /refunds/{id}."""
    refund = sim.refunds.get(call.path_params["id"])
    if refund is None:
        raise not_found()
    _settle_refund(sim, refund, read=True)
    return render_refund(sim, refund)


def list_refunds(sim: ShippoSimulator, call: Call) -> dict[str, Any]:
    """GET /refunds/ (newest first)."""
    refunds = []
    for refund in reversed(sim.refunds.values()):
        _settle_refund(sim, refund, read=False)
        refunds.append(render_refund(sim, refund))
    return paginate(call, "/refunds/", refunds)
