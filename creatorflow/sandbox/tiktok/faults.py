"""Injected faults: server errors, throttling, slowness and dropped connections.

Random faults hit ``error_rate`` of requests, drawing the kind from ``kinds`` with a generator
seeded from the simulator's seed, so the same request sequence meets the same faults.
``fail_next(n, kind, path_prefix)`` schedules exact faults ahead of the random ones.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass

from creatorflow.sandbox.tiktok.data import seeded

KINDS = frozenset({"5xx", "429", "slow", "drop"})


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses a "drop" fault cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


@dataclass
class _Scheduled:
    remaining: int
    kind: str
    path_prefix: str | None


class FaultPlan:
    """The fault knobs of one simulator."""

    def __init__(self, seed: int) -> None:
        self.error_rate = 0.0
        self.kinds: frozenset[str] = KINDS
        self.slow_seconds = 2.0
        self.injected: Counter[str] = Counter()
        self._rng = seeded(f"{seed}/faults")
        self._scheduled: list[_Scheduled] = []
        self._lock = threading.Lock()

    def fail_next(self, n: int, kind: str, path_prefix: str | None = None) -> None:
        """The next `n` requests (under `path_prefix`, if given) meet fault `kind`."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS)}")
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

    def status_for_5xx(self) -> int:
        """500 or 503, alternating deterministically."""
        with self._lock:
            return 503 if self._rng.random() < 0.5 else 500
