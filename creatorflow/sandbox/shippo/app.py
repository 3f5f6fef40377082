"""The Starlette app: Shippo's REST paths (with or without a trailing slash) behind the token
check, the documented rate limits and the fault plan; plus label files and ``/sandbox/stats``.

Order for every API request: fault pick → latency → ``Authorization`` → rate limit → handler.
A "drop" fault lets the handler run and then cuts the connection before the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creatorflow.sandbox.asgi import MethodDispatch
from creatorflow.sandbox.pdf import label_pdf
from creatorflow.sandbox.shippo import labels, resources, tracks
from creatorflow.sandbox.shippo.data import zpl_label
from creatorflow.sandbox.shippo.model import ApiError, Call

if TYPE_CHECKING:
    from creatorflow.sandbox.shippo.simulator import ShippoSimulator

Handler = Callable[["ShippoSimulator", Call], "dict[str, Any]"]
JSON = "application/json"
ENCODER = msgspec.json.Encoder()

# method, path, rate-limit family, kind (write/get/list), handler, success status (§1.7)
API: tuple[tuple[str, str, str, str, Handler, int], ...] = (
    ("POST", "/addresses", "addresses", "write", resources.create_address, 201),
    ("GET", "/addresses", "addresses", "list", resources.list_addresses, 200),
    ("GET", "/addresses/{id}", "addresses", "get", resources.get_address, 200),
    ("GET", "/addresses/{id}/validate", "addresses", "get", resources.validate_address, 200),
    ("POST", "/shipments", "shipments", "write", resources.create_shipment, 201),
    ("GET", "/shipments", "shipments", "list", resources.list_shipments, 200),
    ("GET", "/shipments/{id}", "shipments", "get", resources.get_shipment, 200),
    ("GET", "/shipments/{id}/rates", "rates", "list", resources.shipment_rates, 200),
    ("GET", "/shipments/{id}/rates/{currency}", "rates", "list", resources.shipment_rates, 200),
    ("GET", "/rates/{id}", "rates", "get", resources.get_rate, 200),
    ("GET", "/carrier_accounts", "carrier_accounts", "list", resources.list_carrier_accounts, 200),
    ("POST", "/transactions", "transactions", "write", labels.create_transaction, 201),
    ("GET", "/transactions", "transactions", "list", labels.list_transactions, 200),
    ("GET", "/transactions/{id}", "transactions", "get", labels.get_transaction, 200),
    ("POST", "/refunds", "refunds", "write", labels.create_refund, 201),
    ("GET", "/refunds", "refunds", "list", labels.list_refunds, 200),
    ("GET", "/refunds/{id}", "refunds", "get", labels.get_refund, 200),
    ("POST", "/tracks", "tracks", "write", tracks.register_track, 200),
    ("GET", "/tracks/{carrier}/{number}", "tracks", "get", tracks.get_track, 200),
)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (``application/json``, as the SDK requires)."""
    return Response(ENCODER.encode(body), status_code=status, media_type=JSON, headers=headers)


class ApiRoute:
    """One endpoint as a raw ASGI app, so faults can cut connections."""

    def __init__(
        self,
        sim: ShippoSimulator,
        method: str,
        template: str,
        family: str,
        kind: str,
        handler: Handler,
        ok: int,
    ) -> None:
        self.sim = sim
        self.method = method
        self.name = f"{method} {template}"
        self.family = family
        self.kind = kind
        self.handler = handler
        self.ok = ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        request = Request(scope, receive)
        path = scope["path"]
        fault = sim.faults.pick(self.method, path)
        with sim.lock:
            sim.requests[self.name] += 1
        body = await request.body()  # received in full before any delay, as on a real server
        if sim.latency > 0:
            await asyncio.sleep(sim.latency)
        if fault == "slow":
            await asyncio.sleep(sim.faults.slow_seconds)
        try:
            if fault == "5xx":
                status = sim.faults.status_for_5xx()
                raise ApiError(status, {"detail": "Internal server error. Please try again."})
            if fault == "429":
                raise ApiError(
                    429,
                    {"detail": "Request was throttled."},
                    retry_after=sim.faults.retry_after,
                )
            self._authorize(request)
            wait = sim.limiter.take(self.family, self.kind)
            if wait is not None:
                with sim.lock:
                    sim.rate_limited[self.name] += 1
                raise ApiError(
                    429,
                    {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                    retry_after=wait,
                )
            call = Call(
                method=self.method,
                path_params={k: str(v) for k, v in scope.get("path_params", {}).items()},
                query=dict(request.query_params),
                body=self._json(body),
                base_url=str(request.base_url).rstrip("/"),
            )
            with sim.lock:
                result = self.handler(sim, call)
            response = json_response(self.ok, result)
        except ApiError as error:
            headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
            response = json_response(error.status, error.body, headers)
        with sim.lock:
            sim.responses[f"{self.name} {response.status_code}"] += 1
        if fault == "drop":
            # Processed, then hang up mid-answer: the client never learns what happened.
            start = {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(b"content-type", JSON.encode()), (b"content-length", b"4096")],
            }
            await send(start)
            return
        await response(scope, receive, send)

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("authorization")
        if not header:
            raise ApiError(401, {"detail": "Authentication credentials were not provided."})
        scheme, _, token = header.partition(" ")
        if scheme != "ShippoToken" or token != self.sim.api_key:
            raise ApiError(401, {"detail": "Token does not exist"})

    def _json(self, body: bytes) -> dict[str, Any]:
        if self.method == "GET" or not body.strip():
            return {}
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError as error:
            raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from error
        if not isinstance(decoded, dict):
            raise ApiError(400, {"non_field_errors": ["Expected a JSON object."]})
        return decoded


def build_app(sim: ShippoSimulator) -> Starlette:
    """The ASGI app serving the API, label files and ``GET /sandbox/stats``."""

    async def label_file(request: Request) -> Response:
        name = request.path_params["name"]
        txn_id, _, ext = name.partition(".")
        with sim.lock:
            txn = sim.transactions.get(txn_id)
            ok = txn is not None and txn.tracking_number and txn.status not in ("ERROR",)
            rendered = labels.render_transaction(sim, txn) if txn is not None else None
        if txn is None or not ok or rendered is None or not rendered["label_url"]:
            return Response(b"not found", status_code=404, media_type="text/plain")
        wanted = "zpl" if txn.label_file_type == "ZPLII" else "pdf"
        if ext != wanted:
            return Response(b"not found", status_code=404, media_type="text/plain")
        text = [
            f"{txn.provider} {txn.service_name}",
            f"TRACKING # {txn.tracking_number}",
            f"REF {txn.metadata}" if txn.metadata else f"TXN {txn.object_id}",
            "SANDBOX - NOT VALID FOR POSTAGE",
        ]
        if ext == "zpl":
            return Response(zpl_label(text, txn.tracking_number), media_type="application/zpl")
        pdf = label_pdf(text, font_size=16, top=396, leading=20)
        return Response(pdf, media_type="application/pdf")

    async def stats(request: Request) -> Response:
        return json_response(200, sim.stats())

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            return json_response(405, {"detail": f'Method "{request.method}" not allowed.'})
        return json_response(status, {"detail": "Not found."})

    routes: list[BaseRoute] = [
        Route("/sandbox/labels/{name}", label_file, methods=["GET"]),
        Route("/sandbox/stats", stats, methods=["GET"]),
    ]
    by_path: dict[str, dict[str, ApiRoute]] = {}
    for method, template, family, kind, handler, ok in API:
        route = ApiRoute(sim, method, template, family, kind, handler, ok)
        by_path.setdefault(template, {})[method] = route
    for template, methods in by_path.items():
        endpoint = MethodDispatch(methods)
        for path in (template, template + "/"):
            routes.append(Route(path, endpoint, methods=list(methods)))
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
