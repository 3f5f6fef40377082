"""Idempotency keys as Stripe documents them (reference §1.6, §5.2).

The first request with a key that begins executing has its status and body saved, keyed on
(API key, ``Idempotency-Key``) with a fingerprint of (method, path, decoded params); later
requests with that key get the saved answer, 500s included. A different fingerprint is a 400
``idempotency_error``; a request arriving while the first is still executing is a 409. Nothing is
saved for requests that fail validation (4xx other than 402), so those can be retried. Entries
expire after ``ttl`` of simulated time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from creatorflow.sandbox.stripe import errors


@dataclass
class Saved:
    """A saved answer."""

    fingerprint: str
    created: int
    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    done: bool = False


def storable(status: int) -> bool:
    """Whether an answer with `status` is saved under its key (executed, not refused)."""
    return status < 400 or status == 402 or status >= 500


class IdempotencyStore:
    """Saved answers per (API key, idempotency key); thread-safe."""

    def __init__(self, ttl: timedelta = timedelta(hours=24)) -> None:
        self.ttl = ttl
        self._saved: dict[tuple[str, str], Saved] = {}
        self._lock = threading.Lock()
        self.replays = 0
        self.conflicts = 0

    def begin(self, api_key: str, key: str, fingerprint: str, now: int) -> Saved | None:
        """A saved, finished answer to replay, or None after claiming the key for this request.

        Raises:
            ApiError: 400 for a key bound to other parameters, 409 while it is in flight.
        """
        if len(key) > 255:
            raise errors.invalid(
                "Idempotency keys can be at most 255 characters long.",
                param="Idempotency-Key",
            )
        with self._lock:
            self._prune(now)
            saved = self._saved.get((api_key, key))
            if saved is None:
                self._saved[(api_key, key)] = Saved(fingerprint, now)
                return None
            if saved.fingerprint != fingerprint:
                self.conflicts += 1
                raise errors.idempotency_mismatch(key)
            if not saved.done:
                self.conflicts += 1
                raise errors.idempotency_in_use(key)
            self.replays += 1
            return saved

    def finish(
        self,
        api_key: str,
        key: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> None:
        """Save the answer of a claimed key, or release the key if the answer is not saved."""
        with self._lock:
            saved = self._saved.get((api_key, key))
            if saved is None or saved.done:
                return
            if not storable(status):
                del self._saved[(api_key, key)]
                return
            saved.status, saved.body, saved.headers, saved.done = status, body, headers, True

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._saved.clear()
            self.replays = self.conflicts = 0

    def _prune(self, now: int) -> None:
        horizon = now - int(self.ttl.total_seconds())
        stale = [k for k, v in self._saved.items() if v.done and v.created <= horizon]
        for k in stale:
            del self._saved[k]
