"""Gateway checks every Open API request goes through, in TikTok's order.

app_key → sign present → timestamp window (real wall clock) → sign → access token → shop_cipher
→ QPS. The signature is TikTok's v202309 HMAC-SHA256 (reference §2), implemented here from the
reference text, independently of the client under test.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterable

from creatorflow.sandbox.tiktok.errors import TOO_MANY, ApiError

TIMESTAMP_PAST = 300
TIMESTAMP_FUTURE = 30


def compute_sign(app_secret: str, path: str, params: Iterable[tuple[str, str]], body: bytes) -> str:
    """TikTok's request signature (reference §2.1).

    ``hex(HMAC_SHA256(secret, secret + path + sorted "kv" pairs + body + secret))``, leaving
    ``sign`` and ``access_token`` out of the pairs; `body` is the raw bytes as sent.
    """
    items = sorted((k, v) for k, v in params if k not in ("sign", "access_token"))
    secret = app_secret.encode()
    base = path + "".join(f"{k}{v}" for k, v in items)
    message = secret + base.encode() + body + secret
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The webhook ``Authorization`` value: ``hex(HMAC_SHA256(app_secret, app_key + body))``."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def check_app_and_sign(
    params: list[tuple[str, str]],
    path: str,
    body: bytes,
    *,
    app_key: str,
    app_secret: str,
    wall_now: float,
) -> None:
    """The request-level credentials: app key, timestamp window and signature."""
    query = dict(params)
    if query.get("app_key") != app_key:
        raise ApiError(
            36009004, "Invalid credentials. Invalid `app_key` query parameter.", status=400
        )
    sign = query.get("sign")
    if not sign:
        raise ApiError(
            36009004,
            "Missing credentials. The request does not include a required signature in the query.",
            status=401,
        )
    try:
        timestamp = int(query.get("timestamp", ""))
    except ValueError:
        timestamp = -1
    if timestamp < 0:
        raise ApiError(
            36009004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser "
            "than 0.",
            status=401,
        )
    if timestamp < wall_now - TIMESTAMP_PAST:
        raise ApiError(
            36009004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier "
            "than 5 minutes before the current time.",
            status=401,
        )
    if timestamp > wall_now + TIMESTAMP_FUTURE:
        raise ApiError(
            36009004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not be later "
            "than 30 seconds after the current time.",
            status=401,
        )
    expected = compute_sign(app_secret, path, params, body)
    if not hmac.compare_digest(expected, sign.lower()):
        raise ApiError(
            106001, "Invalid credentials. The 'sign' query parameter is invalid.", status=401
        )


class RateLimiter:
    """Token buckets per (app, shop, API path) on the wall clock: ``qps`` sustained and as burst."""

    def __init__(self, qps: float, wall: Callable[[], float]) -> None:
        self.qps = qps
        self._wall = wall
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str, str]) -> None:
        """Spend one token for `key` or answer HTTP 429 / 36009002."""
        if self.qps <= 0:
            return
        now = self._wall()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.qps, now))
            tokens = min(self.qps, tokens + (now - last) * self.qps)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise ApiError(*TOO_MANY, status=429)
            self._buckets[key] = (tokens - 1.0, now)
