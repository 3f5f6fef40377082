"""Injected faults for the Stripe simulator.

The plan itself (``error_rate``, ``kinds``, ``slow_seconds``, ``fail_next``, seeded draws) is
the shared :class:`creatorflow.sandbox.faults.FaultPlan`. Kinds, as the app answers them:

* ``5xx`` — 500 ``api_error`` before the request executes: nothing happens, nothing is saved
  under the idempotency key, so the SDK's retry (same key) goes through.
* ``5xx_saved`` — 500 once the request has begun executing: nothing happens, but the 500 *is*
  saved under the idempotency key and replayed to every retry with that key (as Stripe does).
* ``409`` — 409 ``lock_timeout`` before executing (the SDK retries 409s).
* ``429`` — 429 ``rate_limit`` before executing (the SDK does not retry these by default).
* ``slow`` — ``slow_seconds`` of delay inside execution (the key stays "in flight": a second
  request with it meanwhile gets 409 ``idempotency_key_in_use``).
* ``drop`` — executed and saved, then the connection is cut mid-answer; the SDK raises
  ``APIConnectionError`` and a retry with the same key gets the saved answer.

``should_retry`` (``fail_next(..., should_retry=True|False)``) adds ``Stripe-Should-Retry`` to
the error answer, which overrides the SDK's own retry decision.
"""

from __future__ import annotations

from typing import ClassVar

from creatorflow.sandbox import faults

KINDS = frozenset({"5xx", "5xx_saved", "409", "429", "slow", "drop"})
_SUFFIXES = {None: "", True: ":retry", False: ":no-retry"}
_ALL = frozenset(k + s for k in KINDS for s in _SUFFIXES.values())
_METHODS = ("GET ", "POST ", "DELETE ")

faults.quiet_dropped_responses()


class FaultPlan(faults.FaultPlan):
    """The fault knobs of one Stripe simulator.

    A ``fail_next`` prefix may start with a method (``"POST /v1/customers"``).
    """

    KINDS: ClassVar[frozenset[str]] = _ALL
    RANDOM_KINDS: ClassVar[frozenset[str]] = frozenset({"5xx", "409", "429"})
    RNG_STREAM: ClassVar[str] = "stripe/faults"

    def fail_next(
        self,
        n: int,
        kind: str,
        path_prefix: str | None = None,
        *,
        should_retry: bool | None = None,
    ) -> None:
        """The next `n` requests (under `path_prefix`) meet `kind`, optionally with
        ``Stripe-Should-Retry: true|false``."""
        base, _, suffix = kind.partition(":")
        if suffix and should_retry is not None:
            raise ValueError("give should_retry either in the kind or as an argument")
        super().fail_next(
            n, base + (_SUFFIXES[should_retry] if not suffix else ":" + suffix), path_prefix
        )

    def pick(self, method: str, path: str) -> tuple[str | None, bool | None]:
        """The fault for a request `method path` and its ``Stripe-Should-Retry`` (None: none)."""
        chosen = self.choose(path, method)
        if chosen is None:
            return None, None
        base, _, suffix = chosen.partition(":")
        return base, {"": None, "retry": True, "no-retry": False}[suffix]

    def _split_prefix(self, path_prefix: str | None) -> tuple[str | None, str | None]:
        if path_prefix is not None and path_prefix.startswith(_METHODS):
            method, _, path = path_prefix.partition(" ")
            return method, path
        return None, path_prefix
