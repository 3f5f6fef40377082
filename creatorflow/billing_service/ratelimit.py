"""Token-bucket rate limiting per client address (the login and token endpoints).

In memory, per process: enough for one service process; several processes each allow the rate,
which still bounds brute force. Behind a reverse proxy, run uvicorn with `--proxy-headers` and
`--forwarded-allow-ips` so the client address is the caller's, not the proxy's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets of `capacity` tokens refilled at `rate` per second, one per key.

    At most `max_keys` buckets are kept; the least recently used is forgotten first (a forgotten
    bucket starts full again, which only ever errs towards letting a caller through).
    """

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("capacity must be >= 1 and rate > 0")
        self.capacity = capacity
        self.rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(self.capacity, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def retry_after(wait: float) -> str:
    """A `Retry-After` header value (whole seconds, at least 1) for a wait in seconds."""
    return str(max(1, math.ceil(wait)))
