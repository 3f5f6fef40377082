"""The Starlette app: EasyPost API v2 routes behind faults, latency, auth and rate limits,
plus the label files (``/sandbox/labels/<id>.pdf|.zpl|.png``) and ``/sandbox/stats``.

Order of a request: injected fault picked → ``latency`` awaited → pre-processing faults
(``drop``, ``slow``, ``5xx``, ``429``) → API key → rate limits → the operation (under the
simulator's lock) → post-processing faults (``drop_after``, ``5xx_after``) → the answer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from creatorflow.sandbox.asgi import MethodDispatch
from creatorflow.sandbox.easypost import errors, operations
from creatorflow.sandbox.easypost.render import Renderer

if TYPE_CHECKING:
    from creatorflow.sandbox.easypost.simulator import EasyPostSimulator

JSON_TYPE = "application/json"


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses a drop fault cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


class Call:
    """What an operation gets: the parsed body, the query, path parameters, a renderer."""

    def __init__(
        self,
        body: dict[str, Any],
        query: dict[str, str],
        multi_query: dict[str, list[str]],
        path: dict[str, str],
        renderer: Renderer,
    ) -> None:
        self.body = body
        self.query = query
        self.multi_query = multi_query
        self.path = path
        self.renderer = renderer


Handler = Callable[["EasyPostSimulator", Call], object]


def api_key_of(header: str | None) -> str | None:
    """The API key of an ``Authorization`` header: ``Bearer <key>`` (what SDK 10.7 sends)
    or HTTP basic with the key as the user (what curl examples send).
    """
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


class ApiRoute:
    """One API endpoint as a raw ASGI app, so faults can cut the connection."""

    def __init__(
        self,
        sim: EasyPostSimulator,
        method: str,
        template: str,
        handler: Handler,
        *,
        status: int = 200,
        index: bool = False,
    ) -> None:
        self.sim = sim
        self.name = f"{method} {template}"
        self.handler = handler
        self.status = status
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        request = Request(scope, receive)
        fault = sim.faults.pick(scope["path"])
        with sim.lock:
            sim.requests[self.name] += 1
        if sim.latency > 0:
            await asyncio.sleep(sim.latency)
        try:
            raw = await request.body()
        except ClientDisconnect:
            return
        if fault == "drop":
            await _cut(send)
            return
        if fault == "slow":
            # The body is already read: a client that gives up meanwhile still gets served.
            await asyncio.sleep(sim.faults.slow_seconds)
        try:
            if fault == "5xx":
                raise errors.server_error(sim.faults.status_for(fault))
            if fault == "429":
                raise errors.rate_limited(sim.faults.retry_after)
            key = api_key_of(request.headers.get("authorization"))
            if key not in sim.api_keys:
                raise errors.unauthorized(key is not None)
            sim.limiter.take((key, "all"), sim.rate_limit)
            if self.index:
                sim.limiter.take((key, "index"), sim.index_rate_limit)
            call = Call(
                _json_body(raw, scope["method"]),
                dict(request.query_params),
                {k: request.query_params.getlist(k) for k in request.query_params},
                dict(scope.get("path_params", {})),
                sim.renderer(str(request.base_url)),
            )
            with sim.lock:
                result = self.handler(sim, call)
            if fault == "drop_after":
                await _cut(send)
                return
            if fault == "5xx_after":
                raise errors.server_error(sim.faults.status_for(fault))
            response: Response = JSONResponse(result, status_code=self.status)
        except errors.ApiError as error:
            with sim.lock:
                sim.errors[error.code] += 1
                if error.status == 429:
                    sim.rate_limited += 1
            headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
            response = JSONResponse(error.body(), status_code=error.status, headers=headers)
        await response(scope, receive, send)


async def _cut(send: Send) -> None:
    """Promise a body, send none, and hang up: the client sees a broken response."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", b"512")],
        }
    )


def _json_body(raw: bytes, method: str) -> dict[str, Any]:
    if method in ("GET", "DELETE") or not raw.strip():
        return {}
    try:
        decoded = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.ApiError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(decoded, dict):
        raise errors.ApiError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    return decoded


def _create_shipment(sim: EasyPostSimulator, call: Call) -> object:
    return operations.create_shipment(sim, call.body, call.renderer)


def _list_shipments(sim: EasyPostSimulator, call: Call) -> object:
    return operations.list_shipments(sim, call.query, call.renderer)


def _retrieve_shipment(sim: EasyPostSimulator, call: Call) -> object:
    shipment = operations.find_shipment(sim, call.path["id"])
    return operations.render_shipment(sim, shipment, call.renderer)


def _buy(sim: EasyPostSimulator, call: Call) -> object:
    return operations.buy(sim, call.path["id"], call.body, call.renderer)


def _refund(sim: EasyPostSimulator, call: Call) -> object:
    return operations.refund_shipment(sim, call.path["id"], call.renderer)


def _label(sim: EasyPostSimulator, call: Call) -> object:
    return operations.convert_label(sim, call.path["id"], call.query, call.renderer)


def _create_refunds(sim: EasyPostSimulator, call: Call) -> object:
    return operations.create_refunds(sim, call.body, call.renderer)


def _create_tracker(sim: EasyPostSimulator, call: Call) -> object:
    return operations.create_tracker(sim, call.body, call.renderer)


def _retrieve_tracker(sim: EasyPostSimulator, call: Call) -> object:
    return operations.retrieve_tracker(sim, call.path["id"], call.renderer)


def _list_trackers(sim: EasyPostSimulator, call: Call) -> object:
    return operations.list_trackers(sim, call.multi_query, call.renderer)


# (method, path, handler, success status, index endpoint)
API: tuple[tuple[str, str, Handler, int, bool], ...] = (
    ("POST", "/v2/shipments", _create_shipment, 201, False),
    ("GET", "/v2/shipments", _list_shipments, 200, True),
    ("GET", "/v2/shipments/{id}", _retrieve_shipment, 200, False),
    ("POST", "/v2/shipments/{id}/buy", _buy, 200, False),
    ("POST", "/v2/shipments/{id}/refund", _refund, 200, False),
    ("GET", "/v2/shipments/{id}/label", _label, 200, False),
    ("POST", "/v2/refunds", _create_refunds, 201, False),
    ("POST", "/v2/trackers", _create_tracker, 200, False),
    ("GET", "/v2/trackers", _list_trackers, 200, True),
    ("GET", "/v2/trackers/{id}", _retrieve_tracker, 200, False),
)


def build_app(sim: EasyPostSimulator) -> Starlette:
    """The ASGI app of `sim`."""

    async def label_file(request: Request) -> Response:
        name = request.path_params["name"]
        label_id, _, extension = name.partition(".")
        found = sim.label_file(label_id, extension)
        if found is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        content, media_type = found
        return Response(content, media_type=media_type)

    async def stats(request: Request) -> Response:
        return JSONResponse(sim.stats())

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            error = errors.ApiError(
                405, "METHOD_NOT_ALLOWED", "The request method is not allowed for this resource."
            )
        else:
            error = errors.not_found(f"No route for {request.method} {request.url.path}.")
        return JSONResponse(error.body(), status_code=error.status)

    routes: list[BaseRoute] = [
        Route("/sandbox/labels/{name}", label_file, methods=["GET"]),
        Route("/sandbox/stats", stats, methods=["GET"]),
    ]
    # Starlette matches in order and a path template matches any method: group by path.
    by_path: dict[str, dict[str, ApiRoute]] = {}
    for method, path, handler, status, index in API:
        route = ApiRoute(sim, method, path, handler, status=status, index=index)
        by_path.setdefault(path, {})[method] = route
    for path, methods in by_path.items():
        routes.append(Route(path, MethodDispatch(methods), methods=list(methods)))
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
