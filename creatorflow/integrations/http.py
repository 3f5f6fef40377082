"""The one HTTP client factory and the retry policy every integration shares (DESIGN §2, §5.3).

* :func:`make_client` builds every ``httpx.Client``: explicit timeouts, our User-Agent, no
  redirects followed.
* :func:`raise_for_transport` turns the responses every API means the same way into errors:
  429 becomes :class:`~creatorflow.errors.RateLimitedError` (with ``Retry-After``), 5xx becomes
  :class:`TransientHTTPError`. What a 4xx body means is left to the API-specific client.
* :func:`is_transient` is the pure retry policy; :func:`call_with_retries` applies it.

Retries are a small explicit loop rather than ``stamina``: the sleep and the jitter are plain
injectable callables (tests record them, nothing sleeps), ``Retry-After`` is honoured exactly,
and there is no global testing switch to remember. stamina would do, but would hide those three
things behind its own hooks.

**Non-idempotent calls (label purchases!) are never retried here.** Pass ``idempotent=False``
and the first failure is raised. Such a call may have reached the provider even when we saw a
timeout or a 5xx, so a new attempt must first *reconcile* with the provider (DESIGN §5.1,
reconcile-before-retry, driven by the ``effects`` journal), never simply call again.
"""

from __future__ import annotations

import functools
import math
import random
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self, TypeVar

import httpx

from creatorflow import __version__
from creatorflow.errors import ProviderError, RateLimitedError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_AFTER",
    "TRANSIENT_STATUSES",
    "USER_AGENT",
    "ClosingClient",
    "NetworkError",
    "TransientHTTPError",
    "call_with_retries",
    "is_transient",
    "make_client",
    "raise_for_transport",
    "retry_after_seconds",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
USER_AGENT = f"creatorflow/{__version__}"
MAX_RETRY_AFTER = 300.0
"""Longest ``Retry-After`` we honour, in seconds; longer requests are capped to this."""
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class TransientHTTPError(ProviderError):
    """The provider answered with a 5xx; ``status`` says which (only 500/502/503/504 retry)."""

    title = "Provider unavailable"

    def __init__(
        self, message: str, *, status: int, title: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, title=title, hint=hint)
        self.status = status


class NetworkError(ProviderError):
    """The provider could not be reached, or did not answer in time.

    ``may_have_reached_provider`` is False only when the connection itself failed, so nothing
    was sent; otherwise a non-idempotent call must be reconciled before any new attempt.
    """

    title = "Network error"

    def __init__(
        self,
        message: str,
        *,
        may_have_reached_provider: bool,
        title: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, title=title, hint=hint)
        self.may_have_reached_provider = may_have_reached_provider


class ClosingClient:
    """Base of API clients holding one ``httpx.Client`` in ``_http``: close it, or use ``with``."""

    _http: httpx.Client

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20 ms; every client of the process shares one context
    # (an idle poll builds two clients and must stay well under 100 ms).
    return httpx.create_ssl_context()


def make_client(
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
) -> httpx.Client:
    """Build an ``httpx.Client`` with our timeouts and User-Agent; redirects are not followed.

    ``transport`` exists for tests and the sandbox only (an ``httpx.MockTransport``).
    """
    merged = {"User-Agent": USER_AGENT, **(headers or {})}
    return httpx.Client(
        base_url=base_url,
        headers=merged,
        transport=transport,
        verify=_tls_context(),
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        follow_redirects=False,
    )


def retry_after_seconds(response: httpx.Response, *, now: datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP-date), clamped to 0..300.

    None when the header is absent or cannot be parsed. A naive ``now`` is taken as UTC.
    """
    raw = response.headers.get("Retry-After")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def raise_for_transport(response: httpx.Response, *, now: datetime) -> None:
    """Raise for the statuses every API means the same way; return for everything else.

    429 → :class:`RateLimitedError` carrying ``retry_after``; 5xx → :class:`TransientHTTPError`.
    2xx, 3xx and the other 4xx are left to the API-specific client.
    """
    status = response.status_code
    where = f"{response.request.method} {response.request.url.host}{response.request.url.path}"
    if status == 429:
        retry_after = retry_after_seconds(response, now=now)
        raise RateLimitedError(
            f"{where} was rate limited (HTTP 429).",
            retry_after=retry_after,
            hint="CreatorFlow slows down and tries again by itself.",
        )
    if 500 <= status <= 599:
        raise TransientHTTPError(
            f"{where} failed with HTTP {status}.",
            status=status,
            hint="The provider is having trouble; try again in a few minutes.",
        )


def is_transient(error: BaseException) -> bool:
    """Whether trying the same call again may succeed (timeouts, dropped connections, 429, 5xx).

    4xx and every other error are permanent. ``UnsupportedProtocol`` and ``LocalProtocolError``
    are our own bugs, not the network's, so they are permanent too.
    """
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return False
    if isinstance(error, (httpx.TransportError, RateLimitedError, NetworkError)):
        return True  # TransportError covers TimeoutException, ConnectError, RemoteProtocolError
    return isinstance(error, TransientHTTPError) and error.status in TRANSIENT_STATUSES


def _translate(error: Exception) -> Exception:
    """Turn a raw httpx transport/timeout exception into a :class:`NetworkError` with a hint."""
    if not isinstance(error, httpx.TransportError):
        return error
    sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    try:
        target = f" {error.request.url.host}"
    except RuntimeError:  # an exception built without a request
        target = ""
    if isinstance(error, httpx.TimeoutException):
        message = f"The provider{target} did not answer in time ({type(error).__name__})."
    else:
        message = f"Could not talk to the provider{target}: {error or type(error).__name__}."
    return NetworkError(
        message,
        may_have_reached_provider=sent,
        hint="Check the internet connection (and any proxy or firewall), then try again.",
    )


def call_with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 4,
    idempotent: bool,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    uniform: Callable[[float, float], float] = random.uniform,
) -> T:
    """Call ``fn``, retrying transient failures when the call is idempotent.

    Between attempts it waits the ``retry_after`` of a :class:`RateLimitedError` when it has
    one (at most 300 s), otherwise ``uniform(0, min(max_delay, base_delay * 2**n))`` for the
    n-th retry (full jitter). After the last attempt the last error is raised, raw httpx
    transport errors translated to :class:`NetworkError`.

    **With ``idempotent=False`` nothing is retried**: a label purchase that timed out may have
    been bought, so it goes through reconcile-before-retry (DESIGN §5.1), never a blind call.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as error:
            last = attempt == attempts - 1
            if last or not idempotent or not is_transient(error):
                translated = _translate(error)
                if translated is error:
                    raise
                raise translated from error
            if isinstance(error, RateLimitedError) and error.retry_after is not None:
                delay = min(max(error.retry_after, 0.0), MAX_RETRY_AFTER)
            else:
                delay = uniform(0.0, min(max_delay, base_delay * 2**attempt))
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
