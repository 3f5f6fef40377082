"""The HTTP session and the error translation under :mod:`.shippo` (reference §1.4, §1.5).

The ``shippo`` 3.9.0 SDK has no timeout and does not wrap transport errors; its only HTTP error
is ``SDKError(message, status_code, body, raw_response)``, and a response it cannot parse
surfaces as a bare ``ValueError``, ``KeyError`` or ``AttributeError``. :func:`translate` turns
all of them into CreatorFlow errors — and for a purchase, into
:class:`~.base.PurchaseOutcomeUnknown` whenever the request may have bought something.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from shippo.models import errors as shippo_errors

from creatorflow.errors import AuthError, CreatorflowError, ProviderError, RateLimitedError
from creatorflow.integrations.http import MAX_RETRY_AFTER, NetworkError, TransientHTTPError
from creatorflow.integrations.shipping.base import LabelRejected, PurchaseOutcomeUnknown

__all__ = ["PARSE_ERRORS", "TimeoutSession", "body_message", "translate"]

PARSE_ERRORS = (ValueError, KeyError, AttributeError)
"""What the SDK raises when it cannot parse an answer (missing field, unknown enum value)."""
AUTH_HINT = "Run `creatorflow connect shippo` with a valid Shippo API token."


class TimeoutSession(requests.Session):
    """A ``requests.Session`` that always applies `timeout` and never retries by itself.

    The SDK calls ``send`` without a timeout (a stalled server would block forever), and a
    purchase must never be re-sent by an adapter (DESIGN §5.1).
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        adapter = HTTPAdapter(max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: Any, **kwargs: Any) -> Any:
        """Send with our timeout unless the caller gave one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def body_message(body: str) -> str:
    """A readable message from a Shippo error body (``detail``, DRF field lists, or text)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:300] or "no details given"
    if isinstance(data, dict):
        if isinstance(data.get("detail"), str):
            return str(data["detail"])
        parts = []
        for key, value in data.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(
                text if key in ("__all__", "non_field_errors", "error") else f"{key}: {text}"
            )
        return " ".join(parts)[:500] or "no details given"
    if isinstance(data, list):
        return "; ".join(map(str, data))[:500]
    return str(data)[:300]


def retry_after(response: Any) -> float | None:
    """``Retry-After`` in seconds (delta-seconds form), capped; None when absent or odd."""
    raw = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        seconds = float(raw) if raw is not None else None
    except ValueError:
        return None
    if seconds is None or seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _connect_failed(error: BaseException) -> bool:
    """Whether the connection itself failed, so nothing was sent."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError):
        text = repr(error)
        return "NewConnectionError" in text or "NameResolutionError" in text
    return False


def translate(error: BaseException, *, what: str, buying: bool = False) -> CreatorflowError:
    """The CreatorFlow error for a failed Shippo call `what` (e.g. "creating the shipment").

    With ``buying``, anything that may have bought a label becomes PurchaseOutcomeUnknown;
    a 4xx, 401/403 or 429 was a refusal, so nothing was bought.
    """
    if isinstance(error, CreatorflowError):
        return error
    unknown_hint = "CreatorFlow checks with Shippo whether the label exists before any new attempt."
    if isinstance(error, shippo_errors.SDKError):
        status = error.status_code
        if status in (401, 403):
            return AuthError(
                f"Shippo refused the API token while {what} (HTTP {status}): "
                f"{body_message(error.body)}",
                hint=AUTH_HINT,
            )
        if status == 429:
            return RateLimitedError(
                f"Shippo rate limited {what} (HTTP 429).",
                retry_after=retry_after(error.raw_response),
                hint="CreatorFlow slows down and tries again by itself.",
            )
        if buying and not 400 <= status < 500:
            return PurchaseOutcomeUnknown(
                f"Shippo answered HTTP {status} while {what}; the label may have been bought.",
                hint=unknown_hint,
            )
        if 400 <= status < 500:
            return LabelRejected(
                f"Shippo refused {what} (HTTP {status}): {body_message(error.body)}",
                hint="Check the addresses, the parcel and the Shippo account, then try again.",
            )
        if 500 <= status < 600:
            return TransientHTTPError(
                f"Shippo failed with HTTP {status} while {what}.",
                status=status,
                hint="Shippo is having trouble; CreatorFlow tries again later.",
            )
        return ProviderError(f"Shippo gave an unexpected answer while {what}: {error.message}.")
    if isinstance(error, requests.exceptions.RequestException):
        timed_out = isinstance(error, requests.exceptions.Timeout)
        reason = "did not answer in time" if timed_out else f"could not be reached ({error})"
        if buying:
            return PurchaseOutcomeUnknown(
                f"Shippo {reason} while {what}; the label may have been bought.",
                hint=unknown_hint,
            )
        return NetworkError(
            f"Shippo {reason} while {what}.",
            may_have_reached_provider=not _connect_failed(error),
            hint="Check the internet connection (and any proxy or firewall), then try again.",
        )
    if isinstance(error, PARSE_ERRORS):
        if buying:
            return PurchaseOutcomeUnknown(
                f"Shippo's answer to {what} could not be read ({type(error).__name__}: {error}); "
                "the label may have been bought.",
                hint=unknown_hint,
            )
        return ProviderError(
            f"Shippo's answer to {what} could not be read ({type(error).__name__}: {error})."
        )
    raise error
