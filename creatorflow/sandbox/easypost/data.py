"""Deterministic ids, tracking codes and rate tables for the EasyPost simulator.

Ids look like EasyPost's: a type prefix (``shp_``, ``rate_``, ``adr_``, ``prcl_``, ``pl_``,
``trk_``, ``rfnd_``, ``ca_``) and 32 hex digits, drawn from a hash of the seed, the prefix and
a counter, so the same seed and the same request sequence give the same ids.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
USPS_MAX_OZ = 70 * 16
MAX_OZ = 150 * 16


def money(value: Decimal) -> str:
    """Two decimal places, as EasyPost sends amounts (strings)."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


class IdMaker:
    """EasyPost-style ids and tracking codes, stable for a seed and a request sequence."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._counters: dict[str, itertools.count[int]] = {}

    def _hex(self, label: str, n: int) -> str:
        return hashlib.sha256(f"{self.seed}/{label}/{n}".encode()).hexdigest()

    def make(self, prefix: str) -> str:
        """A fresh id such as ``shp_<32 hex>``."""
        n = next(self._counters.setdefault(prefix, itertools.count(1)))
        return f"{prefix}_{self._hex(prefix, n)[:32]}"

    def carrier_account(self, carrier: str) -> str:
        """The (fixed) carrier account id of `carrier`."""
        return f"ca_{self._hex('ca/' + carrier, 0)[:32]}"

    def tracking_code(self, carrier: str) -> str:
        """A fresh tracking code shaped like `carrier`'s."""
        n = next(self._counters.setdefault("tracking", itertools.count(1)))
        digits = str(int(self._hex("tracking", n), 16))
        if carrier == "UPS":
            return "1Z" + self._hex("ups", n)[:16].upper()
        if carrier == "FedEx":
            return digits[:12]
        return "9400100" + digits[:15]

    def public_code(self, tracker_id: str) -> str:
        """The opaque tail of a tracker's ``public_url``."""
        return hashlib.sha256(f"{self.seed}/public/{tracker_id}".encode()).hexdigest()[:48]


@dataclass(frozen=True)
class Service:
    """One carrier service the simulated account can rate."""

    carrier: str
    service: str
    base: Decimal
    per_lb: Decimal
    per_zone: Decimal
    min_days: int
    max_days: int
    max_oz: int


SERVICES = (
    Service("USPS", "GroundAdvantage", Decimal("4.75"), Decimal("0.55"), Decimal("0.35"), 2, 5,
            USPS_MAX_OZ),
    Service("USPS", "Priority", Decimal("7.10"), Decimal("0.90"), Decimal("0.50"), 1, 3,
            USPS_MAX_OZ),
    Service("USPS", "Express", Decimal("28.00"), Decimal("2.50"), Decimal("1.20"), 1, 2,
            USPS_MAX_OZ),
    Service("UPS", "Ground", Decimal("9.20"), Decimal("0.95"), Decimal("0.60"), 1, 5, MAX_OZ),
    Service("FedEx", "FEDEX_GROUND", Decimal("9.45"), Decimal("0.92"), Decimal("0.62"), 1, 5,
            MAX_OZ),
)  # fmt: skip


def zone(from_zip: str, to_zip: str) -> int:
    """A USPS-like zone 1..8 from the first ZIP digits."""
    a, b = from_zip[:1], to_zip[:1]
    if not (a.isdigit() and b.isdigit()):
        return 8
    if from_zip[:3] == to_zip[:3]:
        return 1
    return min(8, 2 + abs(int(a) - int(b)))


@dataclass(frozen=True)
class Quote:
    """One priced service for one parcel."""

    service: Service
    rate: Decimal
    list_rate: Decimal
    retail_rate: Decimal
    delivery_days: int


def price(seed: int, service: Service, weight_oz: float, zone_: int) -> Quote:
    """The deterministic price of `service` for a parcel of `weight_oz` in `zone_`."""
    pounds = max(1, math.ceil(weight_oz / 16))
    jitter_seed = hashlib.sha256(f"{seed}/{service.service}/{pounds}/{zone_}".encode()).digest()
    jitter = Decimal(jitter_seed[0] % 20) / 100
    rate = service.base + service.per_lb * (pounds - 1) + service.per_zone * zone_ + jitter
    span = service.max_days - service.min_days
    days = service.min_days + round(span * (zone_ - 1) / 7)
    return Quote(
        service,
        rate.quantize(CENT),
        (rate * Decimal("1.08")).quantize(CENT),
        (rate * Decimal("1.35")).quantize(CENT),
        days,
    )
