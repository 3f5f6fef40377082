"""Injected faults: server errors, throttling, slowness and dropped connections.

The plan itself (``error_rate``, ``kinds``, ``slow_seconds``, ``fail_next``, the seeded draws) is
the shared :class:`creatorflow.sandbox.faults.FaultPlan`; ``app`` turns each kind into a TikTok
answer: ``5xx`` an internal error (500/503), ``429`` throttled, ``slow`` a delay of
``slow_seconds`` before the request is served, ``drop`` a connection cut before any processing.
"""

from __future__ import annotations

from creatorflow.sandbox import faults

KINDS = faults.BASIC_KINDS

faults.quiet_dropped_responses()


class FaultPlan(faults.FaultPlan):
    """The fault knobs of one TikTok Shop simulator."""

    KINDS = KINDS
    RANDOM_KINDS = KINDS
    RNG_STREAM = "faults"

    def pick(self, path: str) -> str | None:
        """The fault for a request to `path`, or None."""
        return self.choose(path)
