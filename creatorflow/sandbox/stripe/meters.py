"""Billing Meters (reference §3.1, §5.2): meters, v1 meter events, adjustments, summaries.

Meter events are checked synchronously here (real Stripe reports some problems asynchronously):
the ``event_name`` must name an active meter, the payload must carry the meter's customer key
(an existing customer) and, except for ``count`` meters, a numeric value; the ``timestamp``
must lie within [now - 35 days, now + 5 minutes]. A repeated ``identifier`` within
``meter_identifier_ttl`` is a 400 "An event already exists with identifier …" with
``Stripe-Should-Retry: false`` (code ``resource_already_exists`` is this simulator's guess).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, listing, render
from creatorflow.sandbox.stripe.encoding import Call
from creatorflow.sandbox.stripe.model import Meter, MeterEvent

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

PAST_WINDOW = 35 * 86400
FUTURE_WINDOW = 5 * 60
_WINDOWS = {"hour": 3600, "day": 86400}


def create_meter(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/billing/meters``."""
    p = call.params
    display_name = p.need("display_name")
    event_name = p.need("event_name", max_length=100)
    aggregation = p.hash("default_aggregation", required=True)
    assert aggregation is not None
    formula = aggregation.need("formula", choices=("count", "sum", "last"))
    customer_key, value_key = "stripe_customer_id", "value"
    if (mapping := p.hash("customer_mapping")) is not None:
        customer_key = mapping.need("event_payload_key")
        mapping.text("type", choices=("by_id",))
    if (settings := p.hash("value_settings")) is not None:
        value_key = settings.need("event_payload_key")
    window = p.text("event_time_window", choices=("day", "hour"))
    p.finish()
    if any(m.event_name == event_name and m.status == "active" for m in sim.meters.values()):
        raise errors.invalid(
            f"A meter with event_name `{event_name}` already exists.", param="event_name"
        )
    now = sim.timestamp()
    m = Meter(
        sim.ids.new("mtr_"),
        now,
        sim.ids.seq(),
        display_name,
        event_name,
        formula,
        customer_key,
        value_key,
        window,
        updated=now,
    )
    sim.meters[m.id] = m
    return render.meter(sim, m)


def get_meter(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/billing/meters/{id}``."""
    call.params.finish()
    return render.meter(sim, _meter(sim, call.ids["id"]))


def list_meters(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/billing/meters`` (``status`` filter)."""
    p = call.params
    status = p.text("status", choices=("active", "inactive"))
    found = [m for m in sim.meters.values() if status is None or m.status == status]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/billing/meters",
        lambda m: render.meter(sim, m),
        lambda m: m.id,
        "billing.meter",
    )
    p.finish()
    return result


def _meter(sim: StripeSimulator, meter_id: str) -> Meter:
    m = sim.meters.get(meter_id)
    if m is None:
        raise errors.no_such("billing.meter", meter_id)
    return m


def create_meter_event(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/billing/meter_events``."""
    p = call.params
    event_name = p.need("event_name", max_length=100)
    payload_node = p.raw("payload")
    identifier = p.text("identifier", max_length=100)
    timestamp = p.integer("timestamp")
    p.finish()
    if not isinstance(payload_node, dict) or not payload_node:
        raise errors.missing("payload")
    payload: dict[str, str] = {}
    for key, entry in payload_node.items():
        if not isinstance(entry, str):
            raise errors.invalid(
                f"Invalid payload[{key}]: values are strings", param=f"payload[{key}]"
            )
        payload[key] = entry
    now = sim.timestamp()
    when = now if timestamp is None else timestamp
    if when < now - PAST_WINDOW:
        sim.meter_counts["rejected"] += 1
        raise errors.invalid(
            "Timestamp must be within the past 35 calendar days.",
            param="timestamp",
            code="timestamp_too_far_in_past",
        )
    if when > now + FUTURE_WINDOW:
        sim.meter_counts["rejected"] += 1
        raise errors.invalid(
            "Timestamp must not be more than 5 minutes in the future.",
            param="timestamp",
            code="timestamp_in_future",
        )
    m = next(
        (x for x in sim.meters.values() if x.event_name == event_name and x.status == "active"),
        None,
    )
    if m is None:
        sim.meter_counts["rejected"] += 1
        raise errors.invalid(
            f"No active meter found for event_name `{event_name}`.",
            param="event_name",
            code="no_meter",
        )
    customer = payload.get(m.customer_key)
    if customer is None or customer not in sim.customers:
        sim.meter_counts["rejected"] += 1
        if customer is None:
            raise errors.missing(f"payload[{m.customer_key}]")
        raise errors.no_such("customer", customer, param=f"payload[{m.customer_key}]")
    value = Decimal(1)
    if m.formula != "count" or m.value_key in payload:
        raw_value = payload.get(m.value_key)
        try:
            value = Decimal(raw_value) if raw_value is not None else Decimal("nan")
        except InvalidOperation:
            value = Decimal("nan")
        if not value.is_finite():
            sim.meter_counts["rejected"] += 1
            raise errors.invalid(
                f"The payload key `{m.value_key}` must hold a numeric string.",
                param=f"payload[{m.value_key}]",
                code="meter_event_invalid_value",
            )
    if identifier is None:
        identifier = sim.ids.token(32, "meter_event")
    existing = sim.meter_identifiers.get(identifier)
    ttl = int(sim.meter_identifier_ttl.total_seconds())
    if existing is not None and existing.created > now - ttl:
        sim.meter_counts["duplicates"] += 1
        raise errors.ApiError(
            400,
            f"An event already exists with identifier {identifier}.",
            code="resource_already_exists",
            param="identifier",
            headers={"Stripe-Should-Retry": "false"},
        )
    event = MeterEvent(event_name, identifier, payload, when, now, m.id, customer, value)
    sim.meter_events.append(event)
    sim.meter_identifiers[identifier] = event
    sim.meter_counts["accepted"] += 1
    return {
        "object": "billing.meter_event",
        "created": now,
        "event_name": event_name,
        "identifier": identifier,
        "livemode": False,
        "payload": dict(payload),
        "timestamp": when,
    }


def create_adjustment(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/billing/meter_event_adjustments`` (``type=cancel`` of one identifier)."""
    p = call.params
    event_name = p.need("event_name")
    p.text("type", choices=("cancel",))
    cancel = p.hash("cancel", required=True)
    assert cancel is not None
    identifier = cancel.need("identifier")
    p.finish()
    event = sim.meter_identifiers.get(identifier)
    if event is not None and event.event_name == event_name and not event.canceled:
        event.canceled = True
        sim.meter_counts["canceled"] += 1
    return {
        "object": "billing.meter_event_adjustment",
        "cancel": {"identifier": identifier},
        "event_name": event_name,
        "livemode": False,
        "status": "pending",
        "type": "cancel",
    }


def usage(sim: StripeSimulator, m: Meter, customer: str, start: int, end: int) -> Decimal:
    """`m`'s aggregate for `customer` over events timestamped in [`start`, `end`)."""
    events = [
        e
        for e in sim.meter_events
        if e.meter == m.id
        and e.customer == customer
        and not e.canceled
        and start <= e.timestamp < end
    ]
    if m.formula == "count":
        return Decimal(len(events))
    if m.formula == "last":
        if not events:
            return Decimal(0)
        return max(events, key=lambda e: (e.timestamp, e.created)).value
    return sum((e.value for e in events), Decimal(0))


def event_summaries(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/billing/meters/{id}/event_summaries``: one summary, or one per hour/day."""
    m = _meter(sim, call.ids["id"])
    p = call.params
    customer = p.need("customer")
    start = p.integer("start_time", required=True)
    end = p.integer("end_time", required=True)
    window = p.text("value_grouping_window", choices=("hour", "day"))
    assert start is not None
    assert end is not None
    step = _WINDOWS.get(window or "", 60)
    for name, value in (("start_time", start), ("end_time", end)):
        if value % step:
            unit = window or "minute"
            raise errors.invalid(f"{name} must be aligned to {unit} boundaries.", param=name)
    if end <= start:
        raise errors.invalid("end_time must be after start_time.", param="end_time")
    bounds = (
        [(start, end)]
        if window is None
        else [(t, min(t + step, end)) for t in range(start, end, step)]
    )
    summaries = []
    for lo, hi in reversed(bounds):
        ident = hashlib.sha256(f"{m.id}/{customer}/{lo}/{hi}".encode()).hexdigest()[:24]
        total = usage(sim, m, customer, lo, hi)
        summaries.append(
            {
                "id": f"mtrusg_{ident}",
                "object": "billing.meter_event_summary",
                "aggregated_value": float(total),
                "end_time": hi,
                "livemode": False,
                "meter": m.id,
                "start_time": lo,
            }
        )
    result = listing.page(
        p,
        summaries,
        f"/v1/billing/meters/{m.id}/event_summaries",
        lambda s: s,
        lambda s: str(s["id"]),
        "billing.meter_event_summary",
    )
    p.finish()
    return result
