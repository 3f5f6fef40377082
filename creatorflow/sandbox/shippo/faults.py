"""Injected faults for the Shippo simulator: server errors, throttling, slowness, dropped answers.

Random faults hit ``error_rate`` of API requests, drawing the kind from ``kinds`` with a
generator seeded from the simulator's seed, so the same request sequence meets the same faults.
``fail_next(n, kind, path_prefix)`` schedules exact faults ahead of the random ones; the prefix
may start with a method (``"POST /transactions"``) to match only that method.

Kinds:

* ``5xx`` — 500 or 503 before the request is processed (nothing happens server-side).
* ``429`` — refused with ``Retry-After`` before processing (nothing happens).
* ``slow`` — ``slow_seconds`` of delay, then processed normally (a client timeout may fire while
  the purchase still goes through, as on the real network).
* ``drop`` — the request **is processed** and then the connection is cut before the answer:
  the worst case for a label purchase, which must then be reconciled.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass

KINDS = frozenset({"5xx", "429", "slow", "drop"})
_METHODS = ("GET ", "POST ", "PUT ", "DELETE ")


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses a "drop" fault cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


@dataclass
class _Scheduled:
    remaining: int
    kind: str
    method: str | None
    path_prefix: str | None


class FaultPlan:
    """The fault knobs of one Shippo simulator."""

    def __init__(self, seed: int) -> None:
        self.error_rate = 0.0
        self.kinds: frozenset[str] = KINDS
        self.slow_seconds = 2.0
        self.retry_after = 1
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(f"{seed}/shippo/faults")  # noqa: S311 - reproducible faults
        self._scheduled: list[_Scheduled] = []
        self._lock = threading.Lock()

    def fail_next(self, n: int, kind: str, path_prefix: str | None = None) -> None:
        """The next `n` API requests (under `path_prefix`, if given) meet fault `kind`.

        `path_prefix` may start with an HTTP method: ``"POST /transactions"``.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS)}")
        if n < 1:
            raise ValueError("n must be >= 1")
        method = None
        if path_prefix is not None and path_prefix.startswith(_METHODS):
            method, _, path_prefix = path_prefix.partition(" ")
        with self._lock:
            self._scheduled.append(_Scheduled(n, kind, method, path_prefix))

    def clear(self) -> None:
        """No more faults: rate 0 and nothing scheduled."""
        with self._lock:
            self.error_rate = 0.0
            self._scheduled.clear()

    def pick(self, method: str, path: str) -> str | None:
        """The fault for a request `method path`, or None."""
        with self._lock:
            for entry in self._scheduled:
                if entry.method is not None and entry.method != method:
                    continue
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
        """500 or 503, drawn from the seeded generator."""
        with self._lock:
            return 503 if self._rng.random() < 0.5 else 500
