"""The EasyPost simulator: state, knobs and test hooks behind one ASGI app."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import errors
from creatorflow.sandbox.easypost.data import IdMaker
from creatorflow.sandbox.easypost.faults import FaultPlan
from creatorflow.sandbox.easypost.files import png_label, zpl_label
from creatorflow.sandbox.easypost.model import (
    EXTENSIONS,
    Shipment,
    StoredAddress,
    Timing,
    Tracker,
)
from creatorflow.sandbox.easypost.render import Renderer
from creatorflow.sandbox.pdf import label_pdf

INDEX_RATE_LIMIT = 5.0
"""EasyPost's documented fixed limit on index (list) endpoints, requests per second."""


class RateLimiter:
    """Token buckets per (API key, bucket) on the ``wall`` clock; burst = the rate."""

    def __init__(self, wall: Callable[[], float]) -> None:
        self._wall = wall
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str], rate: float | None) -> None:
        """Spend one token or raise 429 with the seconds until the next one."""
        if rate is None or rate <= 0:
            return
        now = self._wall()
        with self._lock:
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise errors.rate_limited(max(1, math.ceil((1.0 - tokens) / rate)))
            self._buckets[key] = (tokens - 1.0, now)


class EasyPostSimulator:
    """A local EasyPost API v2 (shipments, rates, labels, refunds, trackers) for the official
    ``easypost`` SDK, deterministic from ``seed``.

    Knobs: ``latency`` (seconds awaited per API call), ``rate_limit`` (requests per second
    per API key over every API call; None = off), ``index_rate_limit`` (list endpoints; 5/s
    as EasyPost documents), ``faults`` (:class:`FaultPlan`), ``timing`` (how parcels move and
    refunds land, on the simulated ``clock``), ``bill_on_scan`` (carriers whose refunds answer
    ``not_applicable``), ``declined`` (purchases answer 402). Everything sits behind ``lock``.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        api_key: str = "EZTK_sandbox",
        clock: SimClock | None = None,
        latency: float = 0.0,
        rate_limit: float | None = None,
        index_rate_limit: float | None = INDEX_RATE_LIMIT,
        timing: Timing | None = None,
        bill_on_scan: Iterable[str] = (),
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        from creatorflow.sandbox.easypost.app import build_app

        self.seed = seed
        self.api_keys = {api_key}
        self.clock = clock if clock is not None else SimClock()
        self.latency = latency
        self.rate_limit = rate_limit
        self.index_rate_limit = index_rate_limit
        self.timing = timing if timing is not None else Timing()
        self.bill_on_scan = frozenset(bill_on_scan)
        self.declined = False
        self.lock = threading.RLock()
        self.ids = IdMaker(seed)
        self.faults = FaultPlan(seed)
        self.limiter = RateLimiter(wall)
        self.addresses: dict[str, StoredAddress] = {}
        self.shipments: dict[str, Shipment] = {}
        self.trackers: dict[str, Tracker] = {}
        self.refunds: dict[str, tuple[str, datetime]] = {}
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.purchases: Counter[str] = Counter()
        self.purchases_by_reference: Counter[str] = Counter()
        self.duplicate_purchases = 0
        self.rejected_rebuys = 0
        self.refund_requests: Counter[str] = Counter()
        self.rate_limited = 0
        self.app = build_app(self)

    # -- time -----------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Simulated now (aware UTC), to the second."""
        return self.clock.now().replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        """Move the simulated clock forward: parcels move and refunds land."""
        self.clock.advance(delta)

    def renderer(self, base_url: str) -> Renderer:
        """Renders objects as of now with label URLs under `base_url`."""
        return Renderer(base_url.rstrip("/"), self.now(), self.timing)

    # -- bookkeeping ----------------------------------------------------------------------------

    def record_purchase(self, shipment: Shipment) -> None:
        """Count a bought label; a second one for the same ``reference`` is a duplicate."""
        self.purchases[shipment.id] += 1
        if shipment.reference:
            if self.purchases_by_reference[shipment.reference]:
                self.duplicate_purchases += 1
            self.purchases_by_reference[shipment.reference] += 1

    # -- test hooks -----------------------------------------------------------------------------

    def shipment(self, key: str, base_url: str = "http://sandbox") -> dict[str, object]:
        """A shipment as ``GET /v2/shipments/{key}`` shows it now (id or reference)."""
        from creatorflow.sandbox.easypost.operations import find_shipment, render_shipment

        with self.lock:
            return render_shipment(self, find_shipment(self, key), self.renderer(base_url))

    def label_file(self, label_id: str, extension: str) -> tuple[bytes, str] | None:
        """The bytes and media type of a label file, if that label exists in that format."""
        with self.lock:
            shipment = next(
                (s for s in self.shipments.values() if s.label and s.label.id == label_id), None
            )
            if shipment is None or shipment.label is None or shipment.selected_rate is None:
                return None
            formats = {EXTENSIONS[f]: f for f in shipment.label.formats}
            fmt = formats.get(extension)
            if fmt is None:
                return None
            q = shipment.selected_rate.quote
            title = f"{q.service.carrier} {q.service.service}  {shipment.reference or ''}".strip()
            code = shipment.tracking_code or ""
        if fmt == "PDF":
            return label_pdf([title, code]), "application/pdf"
        if fmt == "ZPL":
            return zpl_label(title, code), "application/zpl"
        if fmt == "PNG":
            return png_label(), "image/png"
        return zpl_label(title, code), "application/epl2"

    def stats(self) -> dict[str, object]:
        """Counters for tests and benchmarks (JSON-able).

        ``purchases`` counts labels bought per shipment, ``purchases_by_reference`` per
        ``reference``; ``duplicate_purchases`` counts labels bought for a reference that
        already had one; ``rejected_rebuys`` counts buys refused because the shipment was
        already bought; ``refunds`` counts refund answers by status when asked and now.
        """
        with self.lock:
            renderer = self.renderer("")
            current = Counter(
                str(renderer.refund_status(s)) for s in self.shipments.values() if s.refund_status
            )
            return {
                "requests": dict(self.requests),
                "errors": dict(self.errors),
                "shipments": len(self.shipments),
                "labels_bought": sum(self.purchases.values()),
                "purchases": dict(self.purchases),
                "purchases_by_reference": dict(self.purchases_by_reference),
                "duplicate_purchases": self.duplicate_purchases,
                "rejected_rebuys": self.rejected_rebuys,
                "refunds": {
                    "requested": dict(self.refund_requests),
                    "by_status": dict(current),
                },
                "trackers": len(self.trackers),
                "rate_limited": self.rate_limited,
                "faults": dict(self.faults.injected),
            }
