"""Shippo's documented rate limits (reference §2.12), per endpoint family and kind of call.

docs.goshippo.com/docs/api_concepts/ratelimits gives requests per minute, live / test:

=====================================================  ===========  ==========  ========
Endpoint family                                        POST / PUT   GET single  GET list
=====================================================  ===========  ==========  ========
addresses, shipments, transactions, refunds, others    500 / 50     4000 / 400  50 / 10
batches                                                50 / 10      400 / 40    —
tracks                                                 500 / 50     500 / 50    —
=====================================================  ===========  ==========  ========

Two versions of the page differ slightly (test GET list 5-10, batch POST 5-10, tracking POST
500-750); the table takes the upper test value and the lower live one. Test keys
(``shippo_test_…``) get the test column, any other key the live one.

Each key is ``"<family>:<kind>"`` with kind ``write`` (POST/PUT/DELETE), ``get`` (one object) or
``list``; ``"default:<kind>"`` covers families not named. Buckets refill continuously: a bucket
holds one minute's allowance and refills at ``limit / 60`` per second.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

LIVE_LIMITS: dict[str, int] = {
    "default:write": 500,
    "default:get": 4000,
    "default:list": 50,
    "batches:write": 50,
    "batches:get": 400,
    "batches:list": 50,
    "tracks:write": 500,
    "tracks:get": 500,
    "tracks:list": 500,
}
TEST_LIMITS: dict[str, int] = {
    "default:write": 50,
    "default:get": 400,
    "default:list": 10,
    "batches:write": 10,
    "batches:get": 40,
    "batches:list": 10,
    "tracks:write": 50,
    "tracks:get": 50,
    "tracks:list": 50,
}


def limits_for_key(api_key: str) -> dict[str, int]:
    """The documented limits for `api_key`: test keys get the lower test column."""
    return dict(TEST_LIMITS if api_key.startswith("shippo_test_") else LIVE_LIMITS)


class RateLimiter:
    """Token buckets per (family, kind); `take` answers how long to wait, or None when allowed."""

    def __init__(
        self, limits: Mapping[str, int], wall: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(limits)
        self._wall = wall
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def limit_for(self, family: str, kind: str) -> tuple[str, int | None]:
        """The bucket key and its per-minute limit (None: unlimited)."""
        key = f"{family}:{kind}"
        if key in self.limits:
            return key, self.limits[key]
        return f"default:{kind}", self.limits.get(f"default:{kind}")

    def take(self, family: str, kind: str) -> int | None:
        """Spend one request; None if allowed, else the whole seconds to wait (Retry-After)."""
        key, limit = self.limit_for(family, kind)
        if limit is None or limit <= 0:
            return None
        rate = limit / 60.0
        now = self._wall()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            self._buckets[key] = (tokens - 1.0, now)
            return None
