"""The FastAPI app: routes, error bodies, and an OpenAPI document that says what it does."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

from creatorflow import __version__
from creatorflow.billing_service import routes_device, routes_v1
from creatorflow.billing_service.db import make_engine
from creatorflow.billing_service.gateway import StripeGateway, StripeSdkGateway
from creatorflow.billing_service.limits import RequestLimits
from creatorflow.billing_service.models import ErrorBody, Health
from creatorflow.billing_service.service import ApiError, BillingService
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse(
        ErrorBody(error=code, message=message).model_dump(), status_code=status, headers=headers
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "The request is not valid."


def _allowed_methods(app: FastAPI, scope: Scope) -> set[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route | APIRoute) and route.methods:
            match, _ = route.matches({**scope, "method": next(iter(route.methods))})
            if match is Match.FULL:
                methods |= route.methods
    return methods


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Any:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Any:
        return _error(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 400:
            # FastAPI's own 400 is a body it could not parse: one more invalid request.
            return _error(422, "invalid_request", str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only.
            headers["Allow"] = ", ".join(sorted(_allowed_methods(app, request.scope)))
        code = _HTTP_CODES.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail), headers or None)

    @app.exception_handler(Exception)
    async def crash(_request: Request, exc: Exception) -> Any:
        logger.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        return _error(500, "internal_error", "The billing service failed; try again later.")


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with validation errors described as the `ErrorBody` they are."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["description"] = "The request is not valid"
                    invalid["content"] = {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    }
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    return build


def create_app(
    settings: Settings,
    *,
    signing_key: SigningKey,
    store: BillingStore | None = None,
    gateway: StripeGateway | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The billing service as an ASGI app.

    `store` defaults to one on `settings.database_url` (tables created if missing); `gateway`
    defaults to the Stripe SDK when `settings.stripe_api_key` is set (none otherwise: Stripe
    endpoints answer 503). Tests inject a fake gateway and a clock.
    """
    if store is None:
        store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    if gateway is None and settings.stripe_api_key:
        gateway = StripeSdkGateway(settings.stripe_api_key, api_base=settings.stripe_api_base)
    app = FastAPI(
        title="CreatorFlow billing service",
        version=__version__,
        description="Device login, checkout, portal, entitlements and usage: docs/billing-api.md.",
    )
    app.state.service = BillingService(
        settings=settings, store=store, signing_key=signing_key, gateway=gateway, clock=clock
    )
    _install_handlers(app)
    app.add_middleware(RequestLimits)

    @app.get("/healthz", response_model=Health, tags=["ops"])
    def healthz() -> Health:
        """Liveness: answers without touching the database."""
        return Health(status="ok")

    app.include_router(routes_device.router)
    app.include_router(routes_v1.router)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app
