"""EasyPost's error answers: ``{"error": {"code", "message", "errors": [...]}}`` and statuses.

Codes taken from recorded responses or EasyPost's documentation:

- 422 ``PARAMETER.REQUIRED`` "Missing required parameter." (cassette ``e``: empty shipment).
- 404 ``NOT_FOUND`` "The requested resource could not be found." (cassette ``e2``).
- 422 ``ADDRESS.VERIFY.FAILURE`` "Address not found" with field errors
  (docs.easypost.com/docs/errors).
- 422 ``SHIPMENT.POSTAGE.FAILURE`` (a code integrations report for failed purchases).

This simulator's own choices, **unverified** against the live API (same shape):

- 422 ``SHIPMENT.POSTAGE.EXISTS`` "Postage already exists for this shipment." when a bought
  shipment is bought again (EasyPost refuses; the exact code is not documented).
- 422 ``PARAMETER.INVALID`` for impossible parcels (weight or a side not above 0).
- 422 ``SHIPMENT.POSTAGE.REQUIRED`` for refunding or converting a label never bought.
- 401 ``APIKEY.REQUIRED`` (no credentials) and ``APIKEY.INVALID`` (unknown key).
- 429 ``RATE_LIMITED`` with a ``Retry-After`` header; 500/503 ``INTERNAL_SERVER_ERROR`` /
  ``SERVICE_UNAVAILABLE`` and 502/504 ``BAD_GATEWAY`` / ``GATEWAY_TIMEOUT`` for faults.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An EasyPost error answer: HTTP status, code, message and the ``errors`` list."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[Any] | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors: list[Any] = errors if errors is not None else []
        self.retry_after = retry_after

    def body(self) -> dict[str, object]:
        """The JSON body EasyPost sends."""
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}


def field_error(field: str, message: str) -> dict[str, object]:
    """One FieldError of the ``errors`` list."""
    return {"field": field, "message": message}


def required(field: str) -> ApiError:
    """422 PARAMETER.REQUIRED for a missing field (as recorded for an empty shipment)."""
    return ApiError(
        422,
        "PARAMETER.REQUIRED",
        "Missing required parameter.",
        [field_error(field, "cannot be blank")],
    )


def invalid(field: str, message: str) -> ApiError:
    """422 PARAMETER.INVALID for a field with an impossible value."""
    return ApiError(422, "PARAMETER.INVALID", "Invalid parameter.", [field_error(field, message)])


def not_found(detail: str) -> ApiError:
    """404 NOT_FOUND, with the detail in ``errors`` as strings (as recorded)."""
    return ApiError(404, "NOT_FOUND", "The requested resource could not be found.", [detail])


def address_not_found(field: str, detail: str) -> ApiError:
    """422 ADDRESS.VERIFY.FAILURE "Address not found", as EasyPost's documentation shows it."""
    return ApiError(
        422,
        "ADDRESS.VERIFY.FAILURE",
        "Address not found",
        [
            {"field": "address", "message": "Address not found", "suggestion": None},
            {"field": field, "message": detail, "suggestion": None},
        ],
    )


def postage_exists() -> ApiError:
    """422 SHIPMENT.POSTAGE.EXISTS: the shipment already has a label (code unverified)."""
    return ApiError(422, "SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.")


def postage_failure(message: str) -> ApiError:
    """422 SHIPMENT.POSTAGE.FAILURE with `message`."""
    return ApiError(422, "SHIPMENT.POSTAGE.FAILURE", message)


def postage_required(message: str) -> ApiError:
    """422 SHIPMENT.POSTAGE.REQUIRED: the action needs a bought label (code unverified)."""
    return ApiError(422, "SHIPMENT.POSTAGE.REQUIRED", message)


def unauthorized(has_credentials: bool) -> ApiError:
    """401 for missing or unknown credentials."""
    if has_credentials:
        return ApiError(401, "APIKEY.INVALID", "The API key provided is invalid.")
    return ApiError(
        401,
        "APIKEY.REQUIRED",
        "API key required. Send it as HTTP basic auth (key as the user) or a Bearer token.",
    )


def rate_limited(retry_after: int) -> ApiError:
    """429 RATE_LIMITED with a ``Retry-After`` of `retry_after` seconds."""
    return ApiError(
        429,
        "RATE_LIMITED",
        "You have exceeded the rate limit. Please slow down your requests and try again.",
        retry_after=retry_after,
    )


def server_error(status: int) -> ApiError:
    """An injected 5xx."""
    code, message = {
        500: ("INTERNAL_SERVER_ERROR", "We're sorry, something went wrong on our end."),
        502: ("BAD_GATEWAY", "The upstream service did not answer properly."),
        503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
        504: ("GATEWAY_TIMEOUT", "The upstream service did not answer in time."),
    }[status]
    return ApiError(status, code, message)
