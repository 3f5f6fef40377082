"""Injected faults for the Shippo simulator: server errors, throttling, slowness, dropped answers.

The plan itself (``error_rate``, ``kinds``, ``slow_seconds``, ``retry_after``, ``fail_next``,
the seeded draws) is the shared :class:`creatorflow.sandbox.faults.FaultPlan`. Shippo's own: a
``fail_next`` prefix may start with a method (``"POST /transactions"``) to match only that method.

Kinds, as ``app`` answers them:

* ``5xx`` — 500 or 503 before the request is processed (nothing happens server-side).
* ``429`` — refused with ``Retry-After`` before processing (nothing happens).
* ``slow`` — ``slow_seconds`` of delay, then processed normally (a client timeout may fire while
  the purchase still goes through, as on the real network).
* ``drop`` — the request **is processed** and then the connection is cut before the answer:
  the worst case for a label purchase, which must then be reconciled.
"""

from __future__ import annotations

from creatorflow.sandbox import faults

KINDS = faults.BASIC_KINDS
_METHODS = ("GET ", "POST ", "PUT ", "DELETE ")

faults.quiet_dropped_responses()


class FaultPlan(faults.FaultPlan):
    """The fault knobs of one Shippo simulator.

    `fail_next`'s `path_prefix` may start with an HTTP method: ``"POST /transactions"``; pass
    `pick` is given the request's method for such faults to match.
    """

    KINDS = KINDS
    RANDOM_KINDS = KINDS
    RNG_STREAM = "shippo/faults"

    def pick(self, method: str, path: str) -> str | None:
        """The fault for a request `method path`, or None."""
        return self.choose(path, method)

    def _split_prefix(self, path_prefix: str | None) -> tuple[str | None, str | None]:
        if path_prefix is not None and path_prefix.startswith(_METHODS):
            method, _, path = path_prefix.partition(" ")
            return method, path
        return None, path_prefix
