"""The Shippo simulator: state, knobs and test hooks behind one ASGI app."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.shippo.app import build_app
from creatorflow.sandbox.shippo.data import IdMaker
from creatorflow.sandbox.shippo.faults import FaultPlan
from creatorflow.sandbox.shippo.labels import render_transaction
from creatorflow.sandbox.shippo.limits import RateLimiter, limits_for_key
from creatorflow.sandbox.shippo.model import Refund, Transaction


class ShippoSimulator:
    """A faithful local Shippo API (what the ``shippo`` 3.9.0 SDK calls in a label flow).

    Knobs:

    * ``api_key`` — the only key accepted (``Authorization: ShippoToken <key>``; else 401).
      A ``shippo_test_`` key makes every object ``test: true`` and selects the test-mode limits.
    * ``clock`` — simulated time: rate expiry, queued purchases and refunds, tracking progress.
    * ``latency`` — seconds awaited on every API call.
    * ``requests_per_minute`` — overrides of the documented limits (see ``limits``), e.g.
      ``{"default:write": 5}``; a limit of 0 means unlimited.
    * ``purchase_seconds`` / ``refund_seconds`` — simulated seconds after which a QUEUED
      transaction / refund settles by itself; ``queued_polls`` — reads that still see QUEUED
      before a read settles it (0: the first read after the POST sees the outcome).
    * ``faults`` — a :class:`FaultPlan`.

    All state sits behind ``lock``; the app takes it for each request.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        api_key: str = "shippo_test_sandbox",
        clock: SimClock | None = None,
        latency: float = 0.0,
        requests_per_minute: Mapping[str, int] | None = None,
        purchase_seconds: float = 2.0,
        refund_seconds: float = 5.0,
        queued_polls: int = 0,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seed = seed
        self.api_key = api_key
        self.test = api_key.startswith("shippo_test_")
        self.clock = clock if clock is not None else SimClock()
        self.start = self.clock.now()
        self.latency = latency
        self.purchase_seconds = purchase_seconds
        self.refund_seconds = refund_seconds
        self.queued_polls = queued_polls
        self.lock = threading.RLock()
        self.ids = IdMaker(seed)
        self.faults = FaultPlan(seed)
        self.limiter = RateLimiter(
            limits_for_key(api_key) | dict(requests_per_minute or {}), wall=wall
        )
        self.carrier_account_ids = {
            provider: hashlib.sha256(f"shippo/{seed}/account/{provider}".encode()).hexdigest()[:32]
            for provider in ("USPS", "UPS", "FedEx")
        }
        self.addresses: dict[str, dict[str, Any]] = {}
        self.invalid_addresses: set[str] = set()
        self.parcels: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}
        self.shipment_created: dict[str, datetime] = {}
        self.queued_shipments: set[str] = set()
        self.rates: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, Transaction] = {}
        self.refunds: dict[str, Refund] = {}
        self.tracking_index: dict[tuple[str, str], str] = {}
        self.rejections: list[dict[str, str]] = []
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.purchases_by_rate: Counter[str] = Counter()
        self.purchases_by_metadata: Counter[str] = Counter()
        self.refund_outcomes: Counter[str] = Counter()
        self.app = build_app(self)

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Simulated now (aware UTC)."""
        return self.clock.now()

    def advance(self, delta: timedelta) -> None:
        """Move the simulated clock forward (tracking, queued purchases and refunds follow)."""
        self.clock.advance(delta)

    # -- hooks --------------------------------------------------------------------------------

    def stable_id(self, key: str) -> str:
        """An object id derived from `key` (the same every time it is rendered)."""
        return hashlib.sha256(f"shippo/{self.seed}/{key}".encode()).hexdigest()[:32]

    def reject_next_purchase(
        self,
        text: str = "USPS API did not respond. Please try again in a few minutes.",
        *,
        code: str = "carrier_timeout",
        source: str = "USPS",
    ) -> None:
        """The next label purchase ends in ``status: ERROR`` with this message."""
        with self.lock:
            self.rejections.append({"source": source, "code": code, "text": text})

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        """A transaction as the API renders it now (no read is counted)."""
        with self.lock:
            return render_transaction(self, self.transactions[transaction_id])

    # -- stats --------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters for tests and benchmarks (JSON-able).

        ``duplicate_purchases`` counts labels bought beyond the first for the same ``metadata``.
        """
        with self.lock:
            statuses = Counter(t.status for t in self.transactions.values())
            return {
                "requests": dict(self.requests),
                "responses": dict(self.responses),
                "rate_limited": dict(self.rate_limited),
                "faults": dict(self.faults.injected),
                "shipments": len(self.shipments),
                "transactions": len(self.transactions),
                "transactions_by_status": dict(statuses),
                "purchases": sum(self.purchases_by_rate.values()),
                "purchases_by_rate": dict(self.purchases_by_rate),
                "purchases_by_metadata": dict(self.purchases_by_metadata),
                "duplicate_purchases": sum(
                    n - 1 for n in self.purchases_by_metadata.values() if n > 1
                ),
                "refunds": len(self.refunds),
                "refunds_by_outcome": dict(self.refund_outcomes),
            }
