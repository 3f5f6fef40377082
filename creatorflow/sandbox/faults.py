"""The fault plan every simulator shares: which requests meet an injected fault, and which one.

Random faults hit ``error_rate`` of requests, drawing the kind from ``kinds`` with a generator
seeded from the simulator's seed, so the same request sequence meets the same faults.
``fail_next(n, kind, path_prefix)`` schedules exact faults ahead of the random ones.

Each simulator subclasses :class:`FaultPlan` to name its kinds and its generator's stream, and
turns the kind :meth:`FaultPlan.choose` returns into a response in its own app.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

#: The kinds every simulator knows: 500/503, 429, a delay, a cut connection.
BASIC_KINDS = frozenset({"5xx", "429", "slow", "drop"})


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses a "drop" fault cuts off on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


_DROP_FILTER = _DropFilter()


def quiet_dropped_responses() -> None:
    """Stop uvicorn logging an error for every response a "drop" fault cuts off (idempotent)."""
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)


@dataclass
class _Scheduled:
    remaining: int
    kind: str
    method: str | None
    path_prefix: str | None


class FaultPlan:
    """The fault knobs of one simulator.

    Subclasses set ``KINDS`` (what ``fail_next`` accepts), ``RANDOM_KINDS`` (the default
    ``kinds`` random faults draw from) and ``RNG_STREAM`` (the generator is seeded with
    ``f"{seed}/{RNG_STREAM}"``). All methods are safe to call from any thread.
    """

    KINDS: ClassVar[frozenset[str]] = BASIC_KINDS
    RANDOM_KINDS: ClassVar[frozenset[str]] = BASIC_KINDS
    RNG_STREAM: ClassVar[str] = "faults"

    def __init__(self, seed: int) -> None:
        self.error_rate = 0.0
        self.kinds: frozenset[str] = self.RANDOM_KINDS
        self.slow_seconds = 2.0
        self.retry_after = 1
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(f"{seed}/{self.RNG_STREAM}")  # noqa: S311 - reproducible faults
        self._scheduled: list[_Scheduled] = []
        self._lock = threading.Lock()

    def fail_next(self, n: int, kind: str, path_prefix: str | None = None) -> None:
        """The next `n` requests (under `path_prefix`, if given) meet fault `kind`."""
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(self.KINDS)}")
        if n < 1:
            raise ValueError("n must be >= 1")
        method, path_prefix = self._split_prefix(path_prefix)
        with self._lock:
            self._scheduled.append(_Scheduled(n, kind, method, path_prefix))

    def _split_prefix(self, path_prefix: str | None) -> tuple[str | None, str | None]:
        """The HTTP method a `fail_next` prefix names (None: any) and the path prefix proper."""
        return None, path_prefix

    def clear(self) -> None:
        """No more faults: rate 0 and nothing scheduled."""
        with self._lock:
            self.error_rate = 0.0
            self._scheduled.clear()

    def choose(self, path: str, method: str | None = None) -> str | None:
        """The fault for a request to `path` (made with `method`), or None.

        Each simulator's ``pick`` calls this with what its app knows of the request.
        """
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
        return 503 if self._heads() else 500

    def _heads(self) -> bool:
        """A fair coin from the seeded generator."""
        with self._lock:
            return self._rng.random() < 0.5
