"""Events and webhook endpoints: ``/v1/events``, ``/v1/webhook_endpoints`` and :func:`emit`.

An event's ``data.object`` is the object as rendered when the change happened (never expanded);
``customer.subscription.updated`` carries ``previous_attributes``. Events go to every enabled
endpoint that subscribed to their type (or ``*``) through :mod:`delivery`.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, listing, render
from creatorflow.sandbox.stripe.encoding import Call
from creatorflow.sandbox.stripe.model import Event, WebhookEndpoint

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator


def emit(
    sim: StripeSimulator,
    type_: str,
    obj: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    at: int | None = None,
) -> Event:
    """Record an event of `type_` about `obj` and queue its deliveries."""
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    request_id, idempotency_key = sim.current_request
    event = Event(
        sim.ids.new("evt_"),
        sim.timestamp() if at is None else at,
        sim.ids.seq(),
        type_,
        data,
        sim.api_version,
        request_id,
        idempotency_key,
    )
    endpoints = [w for w in sim.webhook_endpoints.values() if w.wants(type_)]
    event.pending_webhooks = len(endpoints)
    sim.events[event.id] = event
    sim.delivery.enqueue(event, endpoints)
    return event


def new_endpoint(
    sim: StripeSimulator,
    url: str,
    enabled_events: list[str],
    *,
    secret: str | None = None,
    api_version: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> WebhookEndpoint:
    """Store an endpoint (a fresh ``whsec_`` secret unless one is given)."""
    if not url.startswith(("http://", "https://")):
        raise errors.invalid("Invalid URL: must start with http:// or https://", param="url")
    if not enabled_events:
        raise errors.missing("enabled_events")
    endpoint = WebhookEndpoint(
        sim.ids.new("we_"),
        sim.timestamp(),
        sim.ids.seq(),
        url,
        list(enabled_events),
        secret or sim.ids.new("whsec_"),
        api_version,
        description,
        dict(metadata or {}),
    )
    sim.webhook_endpoints[endpoint.id] = endpoint
    return endpoint


def create_endpoint(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/webhook_endpoints``: the only answer that shows ``secret``."""
    p = call.params
    url = p.need("url")
    enabled = p.strings("enabled_events")
    api_version = p.text("api_version")
    description = p.text("description")
    metadata = p.metadata({})
    p.ignore("connect")
    p.finish()
    if enabled is None:
        raise errors.missing("enabled_events")
    endpoint = new_endpoint(
        sim, url, enabled, api_version=api_version, description=description, metadata=metadata
    )
    return render.webhook_endpoint(sim, endpoint) | {"secret": endpoint.secret}


def _endpoint(sim: StripeSimulator, endpoint_id: str) -> WebhookEndpoint:
    endpoint = sim.webhook_endpoints.get(endpoint_id)
    if endpoint is None:
        raise errors.no_such("webhook endpoint", endpoint_id)
    return endpoint


def get_endpoint(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/webhook_endpoints/{id}`` (no ``secret``)."""
    call.params.finish()
    return render.webhook_endpoint(sim, _endpoint(sim, call.ids["id"]))


def update_endpoint(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/webhook_endpoints/{id}``."""
    endpoint = _endpoint(sim, call.ids["id"])
    p = call.params
    url = p.text("url")
    enabled = p.strings("enabled_events")
    disabled = p.flag("disabled")
    description = p.text("description")
    metadata = p.metadata(endpoint.metadata)
    p.finish()
    if url is not None:
        endpoint.url = url
    if enabled:
        endpoint.enabled_events = enabled
    if disabled is not None:
        endpoint.status = "disabled" if disabled else "enabled"
    if p.has("description"):
        endpoint.description = description
    endpoint.metadata = metadata
    return render.webhook_endpoint(sim, endpoint)


def delete_endpoint(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``DELETE /v1/webhook_endpoints/{id}``."""
    call.params.finish()
    endpoint = _endpoint(sim, call.ids["id"])
    del sim.webhook_endpoints[endpoint.id]
    return {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}


def list_endpoints(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/webhook_endpoints``."""
    p = call.params
    objects = listing.newest_first(list(sim.webhook_endpoints.values()))
    result = listing.page(
        p,
        objects,
        "/v1/webhook_endpoints",
        lambda w: render.webhook_endpoint(sim, w),
        lambda w: w.id,
        "webhook endpoint",
    )
    p.finish()
    return result


def get_event(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/events/{id}``."""
    call.params.finish()
    event = sim.events.get(call.ids["id"])
    if event is None:
        raise errors.no_such("event", call.ids["id"])
    return render.event(sim, event)


def list_events(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/events`` (``type`` with ``*`` wildcards, ``types[]``, ``created``)."""
    p = call.params
    type_ = p.text("type")
    types = p.strings("types")
    low, high = p.time_range("created")
    p.ignore("delivery_success")

    def wanted(e: Event) -> bool:
        if type_ is not None and not fnmatch.fnmatchcase(e.type, type_):
            return False
        if types and e.type not in types:
            return False
        return (low is None or e.created >= low) and (high is None or e.created <= high)

    objects = listing.newest_first([e for e in sim.events.values() if wanted(e)])
    result = listing.page(
        p, objects, "/v1/events", lambda e: render.event(sim, e), lambda e: e.id, "event"
    )
    p.finish()
    return result
