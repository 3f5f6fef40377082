"""Deterministic Shippo-looking data: object ids, timestamps, rates, tracking numbers, labels."""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

OWNER = "sandbox@creatorflow.test"
CENT = Decimal("0.01")


def iso(when: datetime) -> str:
    """Shippo's timestamp format: ``2024-01-01T12:00:01.000Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class IdMaker:
    """32-hex-digit object ids and carrier tracking numbers, reproducible from the seed."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def object_id(self) -> str:
        """A fresh Shippo ``object_id``."""
        n = self._next()
        return hashlib.sha256(f"shippo/{self._seed}/{n}".encode()).hexdigest()[:32]

    def tracking_number(self, carrier: str) -> str:
        """A fresh tracking number shaped like `carrier`'s (USPS 26 digits, UPS 1Z…, FedEx 12)."""
        rng = random.Random(f"shippo/{self._seed}/tracking/{self._next()}")  # noqa: S311
        if carrier == "UPS":
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXY0123456789") for _ in range(6))
            return f"1Z{letters}03{rng.randrange(10**8):08d}"
        if carrier == "FedEx":
            return f"{rng.randrange(10**11, 10**12)}"
        return f"92055901755477{rng.randrange(10**12):012d}"


@dataclass(frozen=True)
class Service:
    """One carrier service the simulator rates."""

    provider: str
    token: str
    name: str
    days: int
    base: Decimal
    per_lb: Decimal
    max_lb: Decimal
    terms: str


SERVICES = (
    Service(
        "USPS", "usps_ground_advantage", "Ground Advantage", 3,
        Decimal("4.60"), Decimal("0.55"), Decimal(70), "Delivery in 2 to 5 business days.",
    ),
    Service(
        "USPS", "usps_priority", "Priority Mail", 2,
        Decimal("7.90"), Decimal("0.95"), Decimal(70), "Delivery in 1 to 3 business days.",
    ),
    Service(
        "USPS", "usps_priority_express", "Priority Mail Express", 1,
        Decimal("26.35"), Decimal("1.80"), Decimal(70), "Overnight delivery to most areas.",
    ),
    Service(
        "UPS", "ups_ground", "Ground", 4,
        Decimal("9.10"), Decimal("0.70"), Decimal(150), "Delivery in 1 to 5 business days.",
    ),
    Service(
        "UPS", "ups_second_day_air", "2nd Day Air®", 2,
        Decimal("18.40"), Decimal("1.60"), Decimal(150), "Delivery in 2 business days.",
    ),
    Service(
        "FedEx", "fedex_ground", "FedEx Ground®", 4,
        Decimal("8.95"), Decimal("0.68"), Decimal(150), "Delivery in 1 to 5 business days.",
    ),
    Service(
        "FedEx", "fedex_2_day", "FedEx 2Day®", 2,
        Decimal("19.10"), Decimal("1.55"), Decimal(150), "Delivery in 2 business days.",
    ),
)  # fmt: skip

CARRIER_TOKENS = {"USPS": "usps", "UPS": "ups", "FedEx": "fedex"}
TRACKING_URLS = {
    "USPS": "https://tools.usps.com/go/TrackConfirmAction_input?origTrackNum={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
}


def zone(zip_from: str, zip_to: str) -> int:
    """A USPS-like zone 1-8 from the first digits of two ZIP codes."""
    a = int(zip_from[:1]) if zip_from[:1].isdigit() else 0
    b = int(zip_to[:1]) if zip_to[:1].isdigit() else 9
    return min(8, 1 + abs(a - b))


def price(service: Service, weight_lb: Decimal, zone_: int, jitter: Decimal) -> Decimal:
    """A deterministic, realistic price for `service`."""
    billable = max(Decimal(1), weight_lb.to_integral_value(rounding="ROUND_CEILING"))
    raw = (service.base + service.per_lb * billable) * (1 + Decimal(zone_ - 1) / 20) + jitter
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


def to_pounds(weight: Decimal, unit: str) -> Decimal:
    """`weight` in `unit` (``g kg lb oz``) as pounds."""
    factors = {
        "lb": Decimal(1),
        "oz": Decimal(1) / 16,
        "kg": Decimal("2.20462"),
        "g": Decimal("0.00220462"),
    }
    return weight * factors.get(unit, Decimal(1))


def zpl_label(lines: list[str], tracking_number: str) -> bytes:
    """A 4x6 in ZPL II label (203 dpi) with `lines` and a Code 128 barcode of the number."""
    out = ["^XA", "^PW812", "^LL1218", "^CI28"]
    for i, line in enumerate(lines):
        clean = line.replace("^", " ").replace("~", " ")
        out.append(f"^FO40,{40 + 50 * i}^A0N,36,36^FD{clean}^FS")
    out.append(f"^FO40,{80 + 50 * len(lines)}^BY3^BCN,160,Y,N,N^FD{tracking_number}^FS")
    out.append("^XZ")
    return ("\n".join(out) + "\n").encode()
