"""Injected faults for the EasyPost simulator: errors, throttling, slowness, lost connections.

The knobs match the TikTok simulator's ``FaultPlan`` (``error_rate``, ``kinds``,
``slow_seconds``, ``fail_next``), with two more kinds that matter for label purchases, where
the worst case is a request the provider *did* carry out but whose answer never arrived:

- ``5xx``: answer 500 or 503 before doing anything.
- ``429``: answer 429 with ``Retry-After`` before doing anything.
- ``slow``: wait ``slow_seconds``, then carry the request out and answer (a client with a
  shorter timeout gives up while the purchase still happens).
- ``drop``: cut the connection before doing anything.
- ``drop_after``: carry the request out, then cut the connection instead of answering.
- ``5xx_after``: carry the request out, then answer 502 or 504 (a gateway that lost it).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

KINDS = frozenset({"5xx", "429", "slow", "drop", "drop_after", "5xx_after"})
RANDOM_KINDS = frozenset({"5xx", "429", "slow", "drop"})


@dataclass
class _Scheduled:
    remaining: int
    kind: str
    path_prefix: str | None


class FaultPlan:
    """The fault knobs of one EasyPost simulator.

    Random faults hit ``error_rate`` of API requests, drawing the kind from ``kinds`` with a
    generator seeded from the simulator's seed; ``fail_next`` schedules exact faults first.
    """

    def __init__(self, seed: int) -> None:
        self.error_rate = 0.0
        self.kinds: frozenset[str] = RANDOM_KINDS
        self.slow_seconds = 2.0
        self.retry_after = 1
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(f"{seed}/easypost/faults")  # noqa: S311 - reproducible faults
        self._scheduled: list[_Scheduled] = []
        self._lock = threading.Lock()

    def fail_next(self, n: int, kind: str, path_prefix: str | None = None) -> None:
        """The next `n` API requests (under `path_prefix`, e.g. ``/v2/shipments``) meet `kind`."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS)}")
        if n < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._scheduled.append(_Scheduled(n, kind, path_prefix))

    def clear(self) -> None:
        """No more faults: rate 0 and nothing scheduled."""
        with self._lock:
            self.error_rate = 0.0
            self._scheduled.clear()

    def pick(self, path: str) -> str | None:
        """The fault for a request to `path`, or None."""
        with self._lock:
            for entry in self._scheduled:
                if entry.path_prefix is None or path.startswith(entry.path_prefix):
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        self._scheduled.remove(entry)
                    self.injected[entry.kind] += 1
                    return entry.kind
            if self.error_rate <= 0 or not self.kinds:
                return None
            if self._rng.random() >= self.error_rate:
                return None
            kind = self._rng.choice(sorted(self.kinds))
            self.injected[kind] += 1
            return kind

    def status_for(self, kind: str) -> int:
        """The HTTP status of a ``5xx`` (500/503) or ``5xx_after`` (502/504) fault."""
        with self._lock:
            heads = self._rng.random() < 0.5
        if kind == "5xx_after":
            return 504 if heads else 502
        return 503 if heads else 500
