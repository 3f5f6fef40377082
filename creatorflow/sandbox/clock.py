"""Simulated time for the sandbox: a clock that can run faster than real time and jump ahead."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """Simulated time: starts at `start` (default: real now, UTC) and runs `speed` times real time.

    `advance()` jumps ahead. Thread-safe: the simulator reads it from the server thread while
    tests and benchmarks move it from theirs.
    """

    def __init__(self, start: datetime | None = None, *, speed: float = 1.0) -> None:
        if start is None:
            start = datetime.now(UTC)
        elif start.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._base = start.astimezone(UTC)
        # A monotonic anchor so wall-clock adjustments never make simulated time run backwards.
        self._anchor = time.monotonic()
        self._speed = speed
        self._offset = timedelta(0)

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    def now(self) -> datetime:
        """The current simulated time, an aware UTC datetime."""
        with self._lock:
            elapsed = (time.monotonic() - self._anchor) * self._speed
            return self._base + self._offset + timedelta(seconds=elapsed)

    def timestamp(self) -> int:
        """The current simulated time in Unix seconds."""
        return int(self.now().timestamp())

    def advance(self, delta: timedelta) -> None:
        """Jump simulated time forward by `delta` (never backwards)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
