"""The Starlette app: Stripe's v1 paths behind auth, faults and idempotency, plus ``/_sim``.

Order for every API request: fault pick → (``5xx``/``409``/``429`` answer now) → API key →
``Stripe-Version`` → Rack-style decoding → idempotency (replay, 400 mismatch, 409 in flight)
→ ``slow``/``5xx_saved`` → catch up simulated time → handler → ``expand`` → save under the key
→ webhook deliveries (synchronous ones, when the simulator has a ``deliver`` function) →
answer (``drop`` cuts it). Answers carry ``Request-Id`` and ``Stripe-Version``; replays carry
``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creatorflow.sandbox.asgi import MethodDispatch
from creatorflow.sandbox.stripe import (
    catalog,
    checkout,
    errors,
    listing,
    meters,
    subscriptions,
    webhooks,
)
from creatorflow.sandbox.stripe.control import control_routes
from creatorflow.sandbox.stripe.encoding import Call, Params, as_list, decode_form, fingerprint

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

log = logging.getLogger(__name__)

Handler = Callable[["StripeSimulator", Call], "dict[str, Any]"]
JSON = "application/json"
ENCODER = msgspec.json.Encoder()
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")

API: tuple[tuple[str, str, Handler], ...] = (
    ("POST", "/v1/customers", catalog.create_customer),
    ("GET", "/v1/customers", catalog.list_customers),
    ("GET", "/v1/customers/{id}", catalog.get_customer),
    ("POST", "/v1/customers/{id}", catalog.update_customer),
    ("DELETE", "/v1/customers/{id}", catalog.delete_customer),
    ("POST", "/v1/products", catalog.create_product),
    ("GET", "/v1/products", catalog.list_products),
    ("GET", "/v1/products/{id}", catalog.get_product),
    ("POST", "/v1/products/{id}", catalog.update_product),
    ("POST", "/v1/prices", catalog.create_price),
    ("GET", "/v1/prices", catalog.list_prices),
    ("GET", "/v1/prices/{id}", catalog.get_price),
    ("POST", "/v1/prices/{id}", catalog.update_price),
    ("POST", "/v1/checkout/sessions", checkout.create_session),
    ("GET", "/v1/checkout/sessions", checkout.list_sessions),
    ("GET", "/v1/checkout/sessions/{id}", checkout.get_session),
    ("GET", "/v1/checkout/sessions/{id}/line_items", checkout.line_items),
    ("POST", "/v1/checkout/sessions/{id}/expire", checkout.expire_session),
    ("POST", "/v1/billing_portal/sessions", checkout.create_portal_session),
    ("GET", "/v1/subscriptions", subscriptions.list_subscriptions),
    ("GET", "/v1/subscriptions/{id}", subscriptions.get_subscription),
    ("POST", "/v1/subscriptions/{id}", subscriptions.update_subscription),
    ("DELETE", "/v1/subscriptions/{id}", subscriptions.cancel_subscription),
    ("GET", "/v1/subscription_items", subscriptions.list_items),
    ("GET", "/v1/subscription_items/{id}", subscriptions.get_item),
    ("GET", "/v1/invoices", subscriptions.list_invoices),
    ("GET", "/v1/invoices/{id}", subscriptions.get_invoice),
    ("GET", "/v1/invoices/{id}/lines", subscriptions.invoice_lines),
    ("POST", "/v1/billing/meters", meters.create_meter),
    ("GET", "/v1/billing/meters", meters.list_meters),
    ("GET", "/v1/billing/meters/{id}", meters.get_meter),
    ("GET", "/v1/billing/meters/{id}/event_summaries", meters.event_summaries),
    ("POST", "/v1/billing/meter_events", meters.create_meter_event),
    ("POST", "/v1/billing/meter_event_adjustments", meters.create_adjustment),
    ("POST", "/v1/webhook_endpoints", webhooks.create_endpoint),
    ("GET", "/v1/webhook_endpoints", webhooks.list_endpoints),
    ("GET", "/v1/webhook_endpoints/{id}", webhooks.get_endpoint),
    ("POST", "/v1/webhook_endpoints/{id}", webhooks.update_endpoint),
    ("DELETE", "/v1/webhook_endpoints/{id}", webhooks.delete_endpoint),
    ("GET", "/v1/events", webhooks.list_events),
    ("GET", "/v1/events/{id}", webhooks.get_event),
)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(ENCODER.encode(body), status_code=status, media_type=JSON, headers=headers)


class ApiRoute:
    """One endpoint as a raw ASGI app, so faults can cut connections."""

    def __init__(self, sim: StripeSimulator, method: str, template: str, handler: Handler):
        self.sim = sim
        self.method = method
        self.name = f"{method} {template}"
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        request = Request(scope, receive)
        body = await request.body()
        path = scope["path"]
        fault, should_retry = sim.faults.pick(self.method, path)
        request_id = sim.request_ids.new("req_")
        key = request.headers.get("idempotency-key") if self.method == "POST" else None
        version = sim.api_version
        extra: dict[str, str] = {}
        api_key: str | None = None
        claimed = replayed = False
        try:
            if fault == "5xx":
                raise errors.server_error(should_retry)
            if fault == "409":
                raise errors.lock_timeout(should_retry)
            if fault == "429":
                raise errors.rate_limited(should_retry)
            api_key = self._authorize(request)
            version = self._version(request)
            raw = (
                body.decode("utf-8", "replace")
                if self.method == "POST"
                else (scope.get("query_string", b"").decode("latin-1"))
            )
            data = decode_form(raw)
            if key:
                saved = sim.idempotency.begin(
                    api_key, key, fingerprint(self.method, path, data), sim.timestamp()
                )
                if saved is not None:
                    replayed = True
                    status, payload, extra = saved.status, saved.body, dict(saved.headers)
                else:
                    claimed = True
            if not replayed:
                if fault == "slow":
                    await asyncio.sleep(sim.faults.slow_seconds)
                if fault == "5xx_saved":
                    raise errors.server_error(should_retry)
                payload = self._execute(request, data, request_id, key)
                status = 200
        except errors.ApiError as error:
            status, payload, extra = error.status, error.body(request_id), dict(error.headers)
        except Exception:
            log.exception("stripe simulator: %s failed", self.name)
            crash = errors.server_error()
            status, payload, extra = crash.status, crash.body(request_id), {}
        if claimed and api_key is not None and key:
            sim.idempotency.finish(api_key, key, status, payload, extra)
        headers = {"Request-Id": request_id, "Stripe-Version": version, **extra}
        if key:
            headers["Idempotency-Key"] = key
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        sim.record_request(self.name, path, status, request_id, key, replayed, fault)
        if sim.delivery.background:
            sim.delivery.wake()
        elif sim.delivery.queue:
            await run_in_threadpool(sim.delivery.deliver_due)
        response = json_response(status, payload, headers)
        if fault == "drop":
            # Executed and saved, then hang up mid-answer: the client never learns the outcome.
            start = {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", JSON.encode()), (b"content-length", b"4096")],
            }
            await send(start)
            return
        await response(scope, receive, send)

    def _execute(
        self, request: Request, data: dict[str, Any], request_id: str, key: str | None
    ) -> dict[str, Any]:
        sim = self.sim
        expand_node = data.pop("expand", None)
        expand = [str(x) for x in as_list(expand_node)] if expand_node not in (None, "") else []
        call = Call(
            self.method,
            request.url.path,
            {k: str(v) for k, v in request.path_params.items()},
            Params(data),
            str(request.base_url).rstrip("/"),
            expand,
        )
        with sim.lock:
            sim.catch_up()
            sim.current_request = (request_id, key)
            try:
                result = self.handler(sim, call)
                return listing.expand(sim, result, expand)
            finally:
                sim.current_request = (None, None)

    def _authorize(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        key: str | None = None
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(value).decode().partition(":")[0]
            except ValueError:
                key = None
        if key != self.sim.api_key:
            raise errors.unauthorized(key)
        return key

    def _version(self, request: Request) -> str:
        version = request.headers.get("stripe-version")
        if version is None:
            return self.sim.api_version
        if not _VERSION.match(version):
            raise errors.invalid(f"Invalid Stripe API version: {version}")
        with self.sim.lock:
            self.sim.api_versions[version] += 1
        return version


def build_app(sim: StripeSimulator) -> Starlette:
    """The ASGI app: the v1 API and the ``/_sim`` control routes and hosted pages."""

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if request.url.path.startswith("/_sim"):
            return json_response(status, {"error": {"message": "Not found."}})
        message = (
            f"Unrecognized request URL ({request.method}: {request.url.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
        return json_response(404, {"error": {"type": "invalid_request_error", "message": message}})

    routes: list[BaseRoute] = list(control_routes(sim))
    by_path: dict[str, dict[str, ApiRoute]] = {}
    for method, template, handler in API:
        by_path.setdefault(template, {})[method] = ApiRoute(sim, method, template, handler)
    for template, methods in by_path.items():
        routes.append(Route(template, MethodDispatch(methods), methods=list(methods)))
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
