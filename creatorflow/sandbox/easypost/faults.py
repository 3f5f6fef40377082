"""Injected faults for the EasyPost simulator: errors, throttling, slowness, lost connections.

The plan itself (``error_rate``, ``kinds``, ``slow_seconds``, ``retry_after``, ``fail_next``,
the seeded draws) is the shared :class:`creatorflow.sandbox.faults.FaultPlan`, with two more
kinds that matter for label purchases, where the worst case is a request the provider *did*
carry out but whose answer never arrived. As ``app`` answers them:

- ``5xx``: answer 500 or 503 before doing anything.
- ``429``: answer 429 with ``Retry-After`` before doing anything.
- ``slow``: wait ``slow_seconds``, then carry the request out and answer (a client with a
  shorter timeout gives up while the purchase still happens).
- ``drop``: cut the connection before doing anything.
- ``drop_after``: carry the request out, then cut the connection instead of answering.
- ``5xx_after``: carry the request out, then answer 502 or 504 (a gateway that lost it).

Random faults draw only from the first four (``RANDOM_KINDS``); the ``_after`` kinds are
scheduled with ``fail_next``.
"""

from __future__ import annotations

from creatorflow.sandbox import faults

KINDS = faults.BASIC_KINDS | {"drop_after", "5xx_after"}
RANDOM_KINDS = faults.BASIC_KINDS


class FaultPlan(faults.FaultPlan):
    """The fault knobs of one EasyPost simulator."""

    KINDS = KINDS
    RANDOM_KINDS = RANDOM_KINDS
    RNG_STREAM = "easypost/faults"

    def pick(self, path: str) -> str | None:
        """The fault for a request to `path`, or None."""
        return self.choose(path)

    def status_for(self, kind: str) -> int:
        """The HTTP status of a ``5xx`` (500/503) or ``5xx_after`` (502/504) fault."""
        heads = self._heads()
        if kind == "5xx_after":
            return 504 if heads else 502
        return 503 if heads else 500
