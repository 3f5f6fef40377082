"""Request dependencies: the service object, the calling install, rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from creatorflow.billing_service.models import ErrorBody
from creatorflow.billing_service.ratelimit import retry_after
from creatorflow.billing_service.records import Install
from creatorflow.billing_service.service import ApiError, BillingService

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="installToken",
    description="The install token from the device login.",
)

#: Documented on every route that takes the bearer token.
AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Unknown or revoked install token"},
}
RATE_LIMIT_RESPONSES: dict[int | str, dict[str, object]] = {
    429: {"model": ErrorBody, "description": "Too many requests; see Retry-After"},
}
#: The same for routes whose own answers are HTML (their errors stay JSON).
RATE_LIMIT_RESPONSES_JSON: dict[int | str, dict[str, object]] = {
    429: {
        "description": "Too many requests; see Retry-After",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    },
}


async def get_service(request: Request) -> BillingService:
    """The app's `BillingService` (async: a sync dependency would cost a worker-thread hop)."""
    service: BillingService = request.app.state.service
    return service


ServiceDep = Annotated[BillingService, Depends(get_service)]


def current_install(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Install:
    """The install the bearer token authenticates.

    Raises:
        ApiError: 401 `invalid_token` for a missing, unknown or revoked token.
    """
    install = None
    if credentials is not None and credentials.credentials:
        install = service.store.install_for_token(credentials.credentials)
    if install is None:
        raise ApiError(
            401,
            "invalid_token",
            "The install token is missing, unknown or revoked; run `creatorflow billing login`.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return install


InstallDep = Annotated[Install, Depends(current_install)]


def client_address(request: Request) -> str:
    """The caller's address (the proxy's own unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


def rate_limited(name: str) -> Callable[[Request, BillingService], Awaitable[None]]:
    """A dependency that spends one token of the `name` bucket for the caller's address."""

    async def check(request: Request, service: ServiceDep) -> None:
        wait = service.limiters[name].acquire(client_address(request))
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                "Too many requests from this address; try again later.",
                headers={"Retry-After": retry_after(wait)},
            )

    return check
