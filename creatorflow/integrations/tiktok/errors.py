"""What a TikTok Shop error envelope means for CreatorFlow (reference tiktok-shop.md §9.2).

Codes are classified one by one, never by prefix: EcomPHP treats every ``105…`` and ``360…``
code as a token problem, but ``36009002`` is throttling and ``36009003`` an internal error
that a retry fixes. Every message carries TikTok's code, its message and the ``request_id``
(what TikTok support asks for); none carries a token or the app secret.
"""

from __future__ import annotations

from creatorflow.errors import AuthError, CreatorflowError, ProviderError, RateLimitedError
from creatorflow.integrations.http import TRANSIENT_STATUSES, TransientHTTPError
from creatorflow.integrations.tiktok.models import Envelope

__all__ = [
    "ACCESS_TOKEN_EXPIRED",
    "AUTH_RECORD_MISSING",
    "INTERNAL_ERROR",
    "INVALID_ACCESS_TOKEN",
    "INVALID_CREDENTIALS",
    "MISSING_SCOPE",
    "RECONNECT_HINT",
    "REFRESH_TOKEN_EXPIRED",
    "REQUEST_TIMEOUT",
    "SIGNATURE_INVALID",
    "TOO_MANY_REQUESTS",
    "TikTokApiError",
    "TikTokAuthError",
    "TikTokTransientError",
    "TokenExpiredError",
    "error_for",
    "reconnect_error",
]

TOO_MANY_REQUESTS = 36009002
INTERNAL_ERROR = 36009003
REQUEST_TIMEOUT = 36009007
INVALID_CREDENTIALS = 36009004
REFRESH_TOKEN_EXPIRED = 36004001
AUTH_RECORD_MISSING = 36004005
INVALID_ACCESS_TOKEN = 101000
ACCESS_TOKEN_EXPIRED = 105002
MISSING_SCOPE = 105005
SIGNATURE_INVALID = 106001

RECONNECT_HINT = "Run `creatorflow connect tiktok` to authorise CreatorFlow again."
_RECONNECT_CODES = frozenset({REFRESH_TOKEN_EXPIRED, AUTH_RECORD_MISSING, INVALID_ACCESS_TOKEN})
_TRANSIENT_CODES = frozenset({INTERNAL_ERROR, REQUEST_TIMEOUT})


def _describe(where: str, code: int, message: str, request_id: str | None) -> str:
    said = f": {message}" if message else ""
    request = f" (request_id {request_id})" if request_id else ""
    return f"{where} failed with TikTok code {code}{said}{request}"


class TikTokApiError(ProviderError):
    """TikTok refused a request; the message carries TikTok's code and message."""

    title = "TikTok Shop error"

    def __init__(
        self,
        message: str,
        *,
        code: int,
        request_id: str | None,
        http_status: int,
        title: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, title=title, hint=hint)
        self.code = code
        self.request_id = request_id
        self.http_status = http_status


class TikTokAuthError(AuthError):
    """TikTok refused the seller's authorisation (exit code 3); ``code`` 0 when none was sent."""

    title = "TikTok authorisation needed"

    def __init__(
        self,
        message: str,
        *,
        code: int,
        request_id: str | None = None,
        http_status: int = 0,
        title: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, title=title, hint=hint)
        self.code = code
        self.request_id = request_id
        self.http_status = http_status


class TokenExpiredError(TikTokAuthError):
    """TikTok said the access token expired (105002).

    The client catches it, refreshes once and retries; it only escapes when TikTok still says
    "expired" after the refresh, and then the seller has to connect again.
    """

    title = "TikTok access token expired"


class TikTokTransientError(TransientHTTPError):
    """TikTok had an internal error or timed out (36009003, 36009007, or a 5xx with a code).

    It is a :class:`TransientHTTPError` so that the shared retry policy retries it; ``status``
    is the HTTP status when that was a 5xx, else 503, since TikTok answers these codes with
    any status.
    """

    title = "TikTok Shop unavailable"

    def __init__(
        self, message: str, *, code: int, request_id: str | None, http_status: int
    ) -> None:
        status = http_status if http_status in TRANSIENT_STATUSES else 503
        super().__init__(
            message, status=status, hint="TikTok is having trouble; try again in a few minutes."
        )
        self.code = code
        self.request_id = request_id
        self.http_status = http_status


def reconnect_error(
    message: str, *, code: int = 0, request_id: str | None = None, http_status: int = 0
) -> TikTokAuthError:
    """The error that tells the seller to authorise CreatorFlow again (exit code 3)."""
    return TikTokAuthError(
        message,
        code=code,
        request_id=request_id,
        http_status=http_status,
        title="Reconnect TikTok",
        hint=RECONNECT_HINT,
    )


def _is_bad_access_token(code: int, message: str) -> bool:
    # 36009004 covers a missing sign, a bad app key, a stale timestamp and a bad access
    # token alike; only the last one is fixed by connecting again.
    lowered = message.lower().replace("_", " ").replace("-", " ")
    return code == INVALID_CREDENTIALS and "access token" in lowered


def error_for(
    envelope: Envelope, http_status: int, *, where: str, retry_after: float | None = None
) -> CreatorflowError:
    """The error to raise for a TikTok response that is not a success.

    Args:
        envelope: The decoded response envelope (its ``code`` is not 0, or the HTTP status
            is not 2xx).
        http_status: The HTTP status of the response.
        where: What was called, e.g. ``"POST /order/202309/orders/search"``; never a URL
            with its query (token requests carry the app secret there).
        retry_after: Seconds from the response's ``Retry-After`` header, when it had one.

    Returns:
        :class:`TokenExpiredError` for 105002; :class:`RateLimitedError` for 36009002 or
        HTTP 429; :class:`TikTokTransientError` for 36009003, 36009007 and HTTP 5xx; a
        :class:`TikTokApiError` titled "Signature rejected" for 106001; a
        :class:`TikTokAuthError` for a missing scope (105005) and for a token or
        authorisation TikTok no longer accepts (36004001, 36004005, 101000, an invalid
        ``x-tts-access-token``); a plain :class:`TikTokApiError` for anything else.
    """
    code, request_id = envelope.code, envelope.request_id
    text = _describe(where, code, envelope.message, request_id)
    if code == ACCESS_TOKEN_EXPIRED:
        return TokenExpiredError(
            text, code=code, request_id=request_id, http_status=http_status, hint=RECONNECT_HINT
        )
    if code == TOO_MANY_REQUESTS or http_status == 429:
        return RateLimitedError(
            text,
            retry_after=retry_after,
            hint="CreatorFlow slows down and tries again by itself.",
        )
    if code in _TRANSIENT_CODES or 500 <= http_status <= 599:
        return TikTokTransientError(text, code=code, request_id=request_id, http_status=http_status)
    if code == SIGNATURE_INVALID:
        return TikTokApiError(
            text,
            code=code,
            request_id=request_id,
            http_status=http_status,
            title="Signature rejected",
            hint=(
                "TikTok did not accept the request signature: check that the TikTok app "
                "secret stored in CreatorFlow belongs to this app key, and that the "
                "computer's clock is right."
            ),
        )
    if code == MISSING_SCOPE:
        return TikTokAuthError(
            text,
            code=code,
            request_id=request_id,
            http_status=http_status,
            title="TikTok permission missing",
            hint=(
                "The TikTok app lacks an API scope this needs: enable it in Partner Center "
                "(App & Service → Manage API), then run `creatorflow connect tiktok` again."
            ),
        )
    if code in _RECONNECT_CODES or _is_bad_access_token(code, envelope.message):
        return reconnect_error(text, code=code, request_id=request_id, http_status=http_status)
    return TikTokApiError(text, code=code, request_id=request_id, http_status=http_status)
