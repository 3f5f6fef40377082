"""Stripe's error answers: ``{"error": {"type", "code", "message", "param", "doc_url"}}``.

Statuses and types follow the reference (§1.7, §5.2): 400/404 ``invalid_request_error`` (the
SDK raises ``InvalidRequestError``), 400 ``idempotency_error`` (``IdempotencyError``), 401
(``AuthenticationError``), 409 (``APIError``, retried by the SDK), 429 ``rate_limit``
(``RateLimitError``), 500 ``api_error`` (``APIError``, retried).

Message wording is this simulator's, modelled on Stripe's; codes for duplicate meter events and
timestamp windows are unverified (the reference marks them so).
"""

from __future__ import annotations

from typing import Any

DOC_BASE = "https://stripe.com/docs/error-codes/"


class ApiError(Exception):
    """One Stripe error answer; `headers` are sent with it (e.g. ``Stripe-Should-Retry``)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {type}: {message}")
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers: dict[str, str] = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """400 ``invalid_request_error``."""
    return ApiError(400, message, code=code, param=param)


def missing(param: str) -> ApiError:
    """400 ``parameter_missing``."""
    return ApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown(param: str) -> ApiError:
    """400 ``parameter_unknown``."""
    return ApiError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
    )


def no_such(kind: str, object_id: str, *, param: str | None = None) -> ApiError:
    """``resource_missing``: 404 for an id in the path, 400 for one named by a parameter."""
    status = 404 if param is None else 400
    return ApiError(
        status,
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param if param is not None else "id",
    )


def idempotency_mismatch(key: str) -> ApiError:
    """400 ``idempotency_error``: a key reused with other parameters or another endpoint."""
    return ApiError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different "
        "request.",
        type="idempotency_error",
    )


def idempotency_in_use(key: str) -> ApiError:
    """409: another request with the same key is still executing (the SDK retries 409s)."""
    return ApiError(
        409,
        "There is currently another in-progress request using this Stripe idempotency key "
        f"('{key}'). Please try again later.",
        code="idempotency_key_in_use",
    )


def server_error(should_retry: bool | None = None) -> ApiError:
    """500 ``api_error``."""
    headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
    return ApiError(
        500,
        "An unknown error occurred. Please try again.",
        type="api_error",
        headers=headers,
    )


def lock_timeout(should_retry: bool | None = None) -> ApiError:
    """409 ``lock_timeout``: the object is locked by another request."""
    headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
    return ApiError(
        409,
        "This object cannot be accessed right now because another API request or Stripe "
        "process is currently accessing it.",
        code="lock_timeout",
        headers=headers,
    )


def rate_limited(should_retry: bool | None = None) -> ApiError:
    """429 ``rate_limit``."""
    headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
    return ApiError(
        429,
        "Too many requests hit the API too quickly.",
        code="rate_limit",
        headers=headers,
    )


def unauthorized(api_key: str | None) -> ApiError:
    """401: no key, or not the simulator's key."""
    if not api_key:
        message = (
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    else:
        shown = api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]
        message = f"Invalid API Key provided: {shown}"
    return ApiError(401, message)
