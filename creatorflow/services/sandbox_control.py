"""Talking to a running ``sandbox serve`` through its control endpoint (found in sandbox.json).

``sandbox stats``, ``sandbox outage``, ``sandbox set`` and ``sandbox advance`` call these, and so
do ``init --sandbox`` (for an authorization code) and the end-to-end tests.
"""

from __future__ import annotations

from typing import Any

from creatorflow.errors import CreatorflowError, UsageError
from creatorflow.services.context import Services
from creatorflow.services.sandbox import (
    MAX_OUTAGE_SECONDS,
    START_HINT,
    SandboxNotRunningError,
    read_sandbox_info,
)

#: The simulated clock moves at most this far in one ``sandbox advance``.
MAX_ADVANCE_SECONDS = 366 * 86400.0


def _control(
    services: Services, method: str, path: str, body: dict[str, object] | None = None
) -> dict[str, Any]:
    import httpx

    from creatorflow.integrations.http import make_client

    info = read_sandbox_info(services)
    try:
        with make_client(info.control_url, timeout=httpx.Timeout(30.0)) as client:
            response = client.request(method, path, json=body)
    except httpx.TransportError as exc:
        raise SandboxNotRunningError(
            f"The sandbox's control endpoint {info.control_url} does not answer ({exc}).",
            hint=START_HINT,
        ) from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code != 200 or not isinstance(data, dict):
        detail = data.get("error") if isinstance(data, dict) else response.text[:200]
        raise CreatorflowError(
            f"The sandbox refused {method} {path}: {detail}",
            title="Sandbox error",
            hint="Restart `creatorflow sandbox serve`; if it persists, report a bug.",
        )
    return data


def sandbox_stats(services: Services) -> dict[str, Any]:
    """What the running sandbox counted: orders, labels, duplicates, pushes, voids, faults.

    Raises:
        SandboxNotRunningError: no sandbox runs for this home.
    """
    return _control(services, "GET", "/stats")


def sandbox_outage(services: Services, seconds: float) -> dict[str, Any]:
    """Take the simulators' ports away for ``seconds`` (connection refused), then back.

    Orders, tokens and labels survive; the control endpoint stays up. Returns once the
    ports refuse connections.

    Raises:
        UsageError: ``seconds`` out of range. SandboxNotRunningError: no sandbox runs.
    """
    if not 0 < seconds <= MAX_OUTAGE_SECONDS:
        raise UsageError(f"An outage lasts more than 0 and at most {MAX_OUTAGE_SECONDS:g} s.")
    return _control(services, "POST", "/outage", {"seconds": seconds})


def sandbox_auth_code(services: Services) -> str:
    """A fresh single-use TikTok authorization code from the running sandbox.

    Raises:
        SandboxNotRunningError: no sandbox runs for this home.
    """
    code = _control(services, "POST", "/auth-code").get("auth_code")
    if not isinstance(code, str) or not code:
        raise CreatorflowError("The sandbox answered no authorization code.", title="Sandbox error")
    return code


def sandbox_settings(
    services: Services, *, fault_rate: float | None = None, latency_ms: float | None = None
) -> dict[str, Any]:
    """Change the running sandbox's fault rate (0-1) and/or latency (ms); what it now uses.

    Raises:
        UsageError: a value out of range. SandboxNotRunningError: no sandbox runs.
    """
    body: dict[str, object] = {}
    if fault_rate is not None:
        if not 0 <= fault_rate <= 1:
            raise UsageError("--fault-rate is a share of requests, from 0 to 1.")
        body["fault_rate"] = fault_rate
    if latency_ms is not None:
        if not 0 <= latency_ms <= 60_000:
            raise UsageError("--latency-ms is from 0 to 60000.")
        body["latency_ms"] = latency_ms
    if not body:
        raise UsageError("Give --fault-rate and/or --latency-ms.")
    return _control(services, "POST", "/settings", body)


def sandbox_advance(services: Services, seconds: float) -> dict[str, Any]:
    """Move the sandbox's simulated clock forward (orders age, parcels move, holds end).

    Raises:
        UsageError: ``seconds`` out of range. SandboxNotRunningError: no sandbox runs.
    """
    if not 0 < seconds <= MAX_ADVANCE_SECONDS:
        raise UsageError("The clock moves forward by more than 0 and at most 366 days.")
    return _control(services, "POST", "/advance", {"seconds": seconds})
