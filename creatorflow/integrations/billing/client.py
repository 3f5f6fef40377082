"""The HTTP client of the CreatorFlow billing service (``docs/billing-api.md``).

Plain JSON over HTTPS with the install token as a bearer token; the client never talks to
Stripe. Errors become the CreatorFlow tree: 401 → :class:`AuthError` (sign in again), 429 →
:class:`RateLimitedError`, 5xx → :class:`TransientHTTPError`, the service's own refusals →
:class:`BillingRefused` with its ``code``. Calls that may safely be repeated (reads, usage
batches, which the service deduplicates, logout) are retried on transient failures; checkout
and portal are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from creatorflow.errors import AuthError, ProviderError, UsageError
from creatorflow.integrations.http import (
    ClosingClient,
    call_with_retries,
    make_client,
    raise_for_transport,
)

__all__ = [
    "MAX_BATCH",
    "BillingClient",
    "BillingRefused",
    "DeviceCode",
    "DeviceGrant",
    "DeviceLoginFailed",
    "UsageAck",
    "UsageEventOut",
    "UsagePeriod",
]

#: Events per ``POST /v1/usage``.
MAX_BATCH = 500
_LOGIN = "creatorflow billing login"


class BillingRefused(ProviderError):
    """The billing service refused the request; ``code`` is its machine-readable reason."""

    title = "Billing service refused"

    def __init__(self, message: str, *, code: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class DeviceLoginFailed(AuthError):
    """The device login ended without a token: denied, or its code expired."""

    title = "Login not completed"


@dataclass(frozen=True)
class DeviceCode:
    """A started device login (RFC 8628 §3.2). ``device_code`` stays in this process."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class DeviceGrant:
    """What an approved device login hands out, once."""

    install_token: str
    install_id: str
    account_id: str

    def __repr__(self) -> str:
        return f"DeviceGrant(install_id={self.install_id!r}, account_id={self.account_id!r})"


@dataclass(frozen=True)
class UsageEventOut:
    """One labelled order as the service takes it."""

    id: str
    order_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class UsageAck:
    """The answer to a usage batch: counts and a fresh entitlement token."""

    accepted: int
    duplicates: int
    period_used: int
    order_limit: int
    token: str


@dataclass(frozen=True)
class UsagePeriod:
    """``GET /v1/usage``: the current period and the service's count."""

    period_start: datetime
    period_end: datetime
    used: int
    order_limit: int


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ProviderError(
            f"The billing service answered without a valid {name!r}.",
            hint="Update CreatorFlow; if it is current, the service may be misconfigured.",
        )
    return value


def _stamp(body: dict[str, Any], name: str) -> datetime:
    return datetime.fromtimestamp(_field(body, name, int), UTC)


class BillingClient(ClosingClient):
    """One install's view of the billing service; ``token`` is the install token (if any)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self._http = make_client(base_url.rstrip("/"), headers=headers, transport=transport)
        self._sleep = sleep

    def _request(
        self, method: str, path: str, *, json: object = None, idempotent: bool = True
    ) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            response = self._http.request(method, path, json=json)
            return self._decode(response)

        return call_with_retries(call, idempotent=idempotent, sleep=self._sleep, attempts=3)

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        raise_for_transport(response, now=datetime.now(UTC))
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 401:
            raise AuthError(
                "The billing service does not accept this install's sign-in (revoked, or from "
                "another service).",
                hint=f"Sign in again: `{_LOGIN}`.",
            )
        if response.status_code >= 400:
            code = str(body.get("error") or "error")
            message = str(body.get("message") or f"HTTP {response.status_code}")
            raise BillingRefused(
                f"The billing service refused: {message} ({code}).",
                code=code,
                status=response.status_code,
            )
        if not 200 <= response.status_code < 300:
            raise ProviderError(
                f"The billing service answered HTTP {response.status_code}.",
                hint="Check billing.url: it must be the service's base URL.",
            )
        return body

    # -- device login ---------------------------------------------------------------------------

    def start_device_login(self, station: str) -> DeviceCode:
        """``POST /v1/device/code``: a user code to show and a device code to poll with."""
        body = self._request("POST", "/v1/device/code", json={"station": station[:200]})
        return DeviceCode(
            device_code=_field(body, "device_code", str),
            user_code=_field(body, "user_code", str),
            verification_uri=_field(body, "verification_uri", str),
            verification_uri_complete=_field(body, "verification_uri_complete", str),
            expires_in=_field(body, "expires_in", int),
            interval=max(1, _field(body, "interval", int)),
        )

    def poll_device_token(self, code: DeviceCode) -> DeviceGrant | str:
        """One ``POST /v1/device/token``: the grant, or ``"authorization_pending"`` /
        ``"slow_down"``.

        Raises:
            DeviceLoginFailed: the login was denied or its code expired.
        """
        try:
            body = self._request("POST", "/v1/device/token", json={"device_code": code.device_code})
        except BillingRefused as exc:
            if exc.code in ("authorization_pending", "slow_down"):
                return exc.code
            if exc.code == "access_denied":
                raise DeviceLoginFailed(
                    "The login was denied on the approval page.", hint=f"Run `{_LOGIN}` again."
                ) from None
            if exc.code == "expired_token":
                raise DeviceLoginFailed(
                    "The login code expired before it was approved.",
                    hint=f"Run `{_LOGIN}` again and approve within {code.expires_in // 60} min.",
                ) from None
            raise
        return DeviceGrant(
            install_token=_field(body, "install_token", str),
            install_id=_field(body, "install_id", str),
            account_id=_field(body, "account_id", str),
        )

    def wait_for_device_token(
        self,
        code: DeviceCode,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        stopping: Callable[[], bool] = lambda: False,
    ) -> DeviceGrant:
        """Poll until the login is approved, at the service's ``interval`` (+5 s per
        ``slow_down``, RFC 8628 §3.5).

        Raises:
            DeviceLoginFailed: denied, or expired (by the service's word or the local deadline).
            KeyboardInterrupt: ``stopping()`` turned true (or Ctrl-C).
        """
        interval = float(code.interval)
        deadline = monotonic() + code.expires_in
        while True:
            if stopping():
                raise KeyboardInterrupt
            self._sleep(interval)
            if monotonic() > deadline:
                raise DeviceLoginFailed(
                    "The login code expired before it was approved.", hint=f"Run `{_LOGIN}` again."
                )
            got = self.poll_device_token(code)
            if isinstance(got, DeviceGrant):
                return got
            if got == "slow_down":
                interval += 5

    def revoke(self) -> None:
        """``DELETE /v1/install``: the install token stops working."""
        self._request("DELETE", "/v1/install")

    # -- plans, checkout, portal ----------------------------------------------------------------

    def plans(self) -> list[dict[str, Any]]:
        """``GET /v1/plans``: name, order_limit, amount (minor units), currency, interval."""
        plans = self._request("GET", "/v1/plans").get("plans")
        if not isinstance(plans, list):
            raise ProviderError("The billing service answered without its plans.")
        return [plan for plan in plans if isinstance(plan, dict)]

    def checkout(self, plan: str) -> str:
        """``POST /v1/checkout``: the Stripe Checkout URL for ``plan``.

        Raises:
            UsageError: no such plan; BillingRefused ``already_subscribed``: use the portal.
        """
        try:
            body = self._request("POST", "/v1/checkout", json={"plan": plan}, idempotent=False)
        except BillingRefused as exc:
            if exc.code == "unknown_plan":
                raise UsageError(
                    f"There is no plan called {plan!r}.",
                    hint="Run `creatorflow billing upgrade` without a plan to list them.",
                ) from None
            raise
        return str(_field(body, "url", str))

    def portal(self) -> str:
        """``POST /v1/portal``: the Stripe Customer Portal URL.

        Raises:
            BillingRefused: ``no_customer`` before any checkout.
        """
        body = self._request("POST", "/v1/portal", json={}, idempotent=False)
        return str(_field(body, "url", str))

    # -- entitlement and usage ------------------------------------------------------------------

    def entitlement(self) -> str:
        """``GET /v1/entitlement``: a freshly signed token (not yet verified)."""
        return str(_field(self._request("GET", "/v1/entitlement"), "token", str))

    def post_usage(self, events: Sequence[UsageEventOut]) -> UsageAck:
        """``POST /v1/usage`` with at most :data:`MAX_BATCH` events (the service dedups ids)."""
        if len(events) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} events per batch")
        payload = {
            "events": [
                {"id": e.id, "order_id": e.order_id, "occurred_at": e.occurred_at.isoformat()}
                for e in events
            ]
        }
        body = self._request("POST", "/v1/usage", json=payload)
        return UsageAck(
            accepted=_field(body, "accepted", int),
            duplicates=_field(body, "duplicates", int),
            period_used=_field(body, "period_used", int),
            order_limit=_field(body, "order_limit", int),
            token=_field(body, "token", str),
        )

    def usage(self) -> UsagePeriod:
        """``GET /v1/usage``: the current period and its authoritative count."""
        body = self._request("GET", "/v1/usage")
        return UsagePeriod(
            period_start=_stamp(body, "period_start"),
            period_end=_stamp(body, "period_end"),
            used=_field(body, "used", int),
            order_limit=_field(body, "order_limit", int),
        )
