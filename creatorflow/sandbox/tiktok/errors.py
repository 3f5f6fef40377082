"""TikTok's error envelope: the exception handlers raise and the codes and messages they carry.

HTTP statuses (TikTok documents only some; the rest are this simulator's choices):

- 401: credential failures — bad ``sign`` (106001, as captured live), missing ``sign``,
  timestamp outside the window, invalid/revoked ``x-tts-access-token`` (36009004), expired
  access token (105002), token not tied to the shop of ``shop_cipher`` (101000).
- 400: malformed requests — unknown ``app_key`` (36009004, as observed live), missing
  ``shop_cipher`` (106013), unexpected ``shop_cipher`` (36009004), unreadable JSON body (36009022),
  invalid query parameters or page tokens (36009004).
- 404 / 405: unknown path (36009009) / wrong method (36009010).
- 429: throttled (36009002). 500 / 503: injected internal errors (36009003).
- 200 with a non-zero ``code``: every business error (order on hold, duplicate tracking number,
  …) and every token-endpoint error, so clients must always read ``code``.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime


class ApiError(Exception):
    """A TikTok error answer: envelope ``code``/``message`` plus the HTTP status to send."""

    def __init__(self, code: int, message: str, *, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid_param(message: str) -> ApiError:
    """A generic 36009004 answer for a bad query parameter."""
    return ApiError(36009004, message, status=400)


def business(code: int, message: str) -> ApiError:
    """A business-rule failure: HTTP 200 with a non-zero code."""
    return ApiError(code, message, status=200)


NOT_OWNED = (21008111, "The order or package does not belong to the current seller.")
INTERNAL = (
    36009003,
    "Internal error. Please try again. If the issue persists after multiple "
    "attempts, please contact platform support.",
)
TOO_MANY = (
    36009002,
    "Too many requests. The request rate exceeds the QPS limit of this API. "
    "Please try again later.",
)


class RequestIds:
    """TikTok-style request ids: a UTC timestamp, a counter and a hex tail (34 characters)."""

    def __init__(self, seed: int) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._tail = f"{(seed * 2654435761) % (1 << 32):08X}"

    def next(self) -> str:
        """A fresh request id."""
        with self._lock:
            n = next(self._counter)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        return f"{stamp}{n:012d}{self._tail}"
