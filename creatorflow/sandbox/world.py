"""The whole outside world in one object: TikTok Shop, Shippo and EasyPost on one clock.

``SandboxWorld`` builds the three simulators from one seed around a shared
:class:`~creatorflow.sandbox.clock.SimClock`, turns the knobs of all three at once (latency,
fault rate) and sums up what happened to them in one JSON-able :meth:`SandboxWorld.stats`.
``creatorflow demo`` and ``creatorflow sandbox serve`` both run one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import EasyPostSimulator
from creatorflow.sandbox.shippo import LIVE_LIMITS, ShippoSimulator
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.sandbox.tiktok.model import SHIPPED_STATUSES

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "EASYPOST_KEY",
    "PROVIDERS",
    "SHIPPO_KEY",
    "TIKTOK_APP_KEY",
    "TIKTOK_APP_SECRET",
    "TIKTOK_SERVICE_ID",
    "SandboxWorld",
]

# Fakes every sandbox accepts; none of them opens anything real.
TIKTOK_APP_KEY = "sandbox-app-key"
TIKTOK_APP_SECRET = "sandbox-app-secret"  # noqa: S105
TIKTOK_SERVICE_ID = "sandbox-service"
SHIPPO_KEY = "shippo_test_sandbox"
EASYPOST_KEY = "EZTK_sandbox"

#: The simulators, in the order they are served and reported.
PROVIDERS = ("tiktok", "shippo", "easypost")


class _Latency:
    """Await the world's latency before each HTTP request (the TikTok simulator has no knob)."""

    def __init__(self, app: ASGIApp, world: SandboxWorld) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.world.latency > 0:
            await asyncio.sleep(self.world.latency)
        await self.app(scope, receive, send)


def _total(counts: object) -> int:
    if isinstance(counts, Mapping):
        return sum(int(n) for n in counts.values())
    return int(counts) if isinstance(counts, int) else 0


class SandboxWorld:
    """TikTok Shop, Shippo and EasyPost simulators sharing one simulated clock.

    ``orders_per_hour`` new TikTok orders arrive per *simulated* hour (applied on each
    :meth:`tick`, request and :meth:`advance`); ``latency`` seconds are awaited before every
    request to any of the three; ``fault_rate`` is the share of requests that meet an injected
    fault (5xx, 429, slow, dropped connection) in each.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock_speed: float = 1.0,
        orders_per_hour: float = 0.0,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        tiktok_qps: float = 50.0,
        product_count: int = 12,
    ) -> None:
        if clock_speed <= 0:
            raise ValueError("clock_speed must be above 0")
        if orders_per_hour < 0:
            raise ValueError("orders_per_hour must be >= 0")
        self.seed = seed
        self.clock = SimClock(speed=clock_speed)
        self.tiktok = TikTokShopSimulator(
            seed=seed,
            app_key=TIKTOK_APP_KEY,
            app_secret=TIKTOK_APP_SECRET,
            service_id=TIKTOK_SERVICE_ID,
            clock=self.clock,
            qps=tiktok_qps,
            product_count=product_count,
            orders_per_hour=orders_per_hour,
        )
        # A seller's real (live) account: Shippo's test-mode limits are ten times lower.
        self.shippo = ShippoSimulator(
            seed,
            api_key=SHIPPO_KEY,
            clock=self.clock,
            purchase_seconds=0,
            requests_per_minute=LIVE_LIMITS,
        )
        self.easypost = EasyPostSimulator(seed, api_key=EASYPOST_KEY, clock=self.clock)
        self.orders_per_hour = orders_per_hour
        self._latency = 0.0
        self.latency = latency
        self.fault_rate = fault_rate
        self._tiktok_app = _Latency(self.tiktok.app, self)
        #: More JSON-able sections for :meth:`stats`, by key (``sandbox serve`` adds its
        #: billing service's counts under ``billing``).
        self.extra_stats: dict[str, Callable[[], object]] = {}

    # -- knobs --------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds awaited before every request, in all three simulators."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = seconds
        self.shippo.latency = seconds
        self.easypost.latency = seconds

    @property
    def fault_rate(self) -> float:
        """The share of requests (0 to 1) that meet a random fault, in all three."""
        return self.tiktok.faults.error_rate

    @fault_rate.setter
    def fault_rate(self, rate: float) -> None:
        if not 0 <= rate <= 1:
            raise ValueError("fault_rate must be between 0 and 1")
        for plan in (self.tiktok.faults, self.shippo.faults, self.easypost.faults):
            plan.error_rate = rate

    def apps(self) -> dict[str, ASGIApp]:
        """The ASGI app of each simulator, keyed as in :data:`PROVIDERS`."""
        return {
            "tiktok": self._tiktok_app,
            "shippo": self.shippo.app,
            "easypost": self.easypost.app,
        }

    # -- time and events ------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply what is due by the simulated now: new orders, payments, holds, scans."""
        self.tiktok.tick()

    def advance(self, delta: timedelta) -> None:
        """Jump the shared clock forward and apply everything due on the way."""
        self.clock.advance(delta)
        self.tick()

    def issue_auth_code(self) -> str:
        """A fresh single-use TikTok authorization code (30 simulated minutes)."""
        return self.tiktok.issue_auth_code()

    def cancel_order(self, order_id: str) -> None:
        """The buyer cancels a TikTok order."""
        self.tiktok.set_order_status(order_id, "CANCELLED")

    # -- what happened ------------------------------------------------------------------------

    def duplicate_purchases(self) -> int:
        """Labels bought beyond one per package (TikTok Shipping) or per reference."""
        labels = self.tiktok.stats().get("label_purchases", {})
        extra = 0
        if isinstance(labels, Mapping):
            extra = sum(max(0, int(n) - 1) for n in labels.values())
        extra += int(self.shippo.stats().get("duplicate_purchases", 0))
        return extra + _total(self.easypost.stats().get("duplicate_purchases", 0))

    def stats(self) -> dict[str, object]:
        """One JSON-able summary of all three simulators (``sandbox stats --json``).

        ``labels_bought`` counts purchases (duplicates included); ``tracking_pushes`` counts
        Mark Package As Shipped calls, refused ones included, and ``orders_tracking_pushed``
        the orders they were made for; ``orders_shipped`` counts orders TikTok sees as
        shipped (a tracking number or a TikTok Shipping label on every line);
        ``voids`` counts refund requests per provider. Each :attr:`extra_stats` section
        follows under its own key.
        """
        tiktok = self.tiktok.stats()
        shippo = self.shippo.stats()
        easypost = self.easypost.stats()
        by_status = tiktok.get("orders_by_status", {})
        statuses: dict[str, int] = (
            {str(k): int(v) for k, v in by_status.items()} if isinstance(by_status, Mapping) else {}
        )
        ship_calls = tiktok.get("ship_calls", {})
        labels = {
            "tiktok_shipping": _total(tiktok.get("label_purchases")),
            "shippo": int(shippo.get("purchases", 0)),
            "easypost": _total(easypost.get("labels_bought")),
        }
        easypost_refunds = easypost.get("refunds", {})
        requested = easypost_refunds.get("requested") if isinstance(easypost_refunds, dict) else 0
        voids = {"shippo": int(shippo.get("refunds", 0)), "easypost": _total(requested)}
        faults = {
            "tiktok": dict(Counter(self.tiktok.faults.injected)),
            "shippo": dict(Counter(self.shippo.faults.injected)),
            "easypost": dict(Counter(self.easypost.faults.injected)),
        }
        requests = {
            "tiktok": _total(tiktok.get("requests")),
            "shippo": _total(shippo.get("requests")),
            "easypost": _total(easypost.get("requests")),
        }
        extra = {name: counts() for name, counts in self.extra_stats.items()}
        return {
            "seed": self.seed,
            "clock": {"now": self.clock.now().isoformat(), "speed": self.clock.speed},
            "orders_per_hour": self.orders_per_hour,
            "latency_seconds": self.latency,
            "fault_rate": self.fault_rate,
            "orders_created": _total(tiktok.get("orders")),
            "orders_by_status": statuses,
            "orders_shipped": sum(n for s, n in statuses.items() if s in SHIPPED_STATUSES),
            "labels_bought": {**labels, "total": sum(labels.values())},
            "duplicate_purchases": self.duplicate_purchases(),
            "tracking_pushes": _total(ship_calls),
            "orders_tracking_pushed": len(ship_calls) if isinstance(ship_calls, Mapping) else 0,
            "voids": {**voids, "total": sum(voids.values())},
            "faults": {**faults, "total": sum(_total(f) for f in faults.values())},
            "requests": {**requests, "total": sum(requests.values())},
            **extra,
        }
