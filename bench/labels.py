"""Label run: N approved orders bought from the Shippo simulator at 250 ms per provider call.

The TikTok Shop and Shippo simulators run on loopback in this process (as in
``tests/integration/labels``), Shippo with ``--latency`` seconds on every API call (default
0.25) and its documented *live* rate limits (``LIVE_LIMITS``: 500 writes/min, 4,000 single
GETs/min). ``rules.providers`` is ``shippo`` and only orders the seller ships
(``shipping_type=SELLER``) that pass the guards are approved, so every label comes from one
provider and one bound applies. ``buy_labels`` then works the queue with ``--workers`` threads;
a label is a TikTok re-read, ``POST /shipments`` (quote), ``POST /transactions`` (asynchronous),
``GET /transactions/{id}`` after the SDK's first 0.5 s poll pause, the label file download and
the store's records.

Figures (DESIGN §8: ≥ 85% of the ideal throughput that latency and rate limit allow):

* ``labels_per_s``: labels bought / wall seconds of ``buy_labels``;
* ``ideal_labels_per_s``: the lower of two bounds, both from the simulator's own request
  counts in this run (what a label really asked of Shippo): the latency bound
  ``workers / (latency * API calls per label)`` (the label file is served without the delay and
  is not counted), and the rate-limit bound ``min(writes/min / writes per label, gets/min /
  gets per label) / 60``, i.e. 500 / 2 / 60 = 4.17 labels/s. Shippo's buckets start full (a
  minute's allowance may go at once); the bound uses the sustained rate that a run longer than
  that first minute is held to;
* ``ratio_to_ideal``: target ≥ 0.85. CreatorFlow's own throttle (``DEFAULT_RATES["shippo"]`` =
  8 calls/s for quote + buy, i.e. 4 labels/s) keeps it just under Shippo's 8.33 writes/s, so
  about 0.96 is the most this benchmark can show, and no 429 is earned;
* the baseline measured in the same run: a fresh world of ``--baseline-orders`` orders bought
  with ``workers=1`` (``baseline_labels_per_s``, its ``baseline_s_per_label`` and its own
  latency bound), and ``speedup_over_baseline``;
* ``duplicate_purchases`` (Shippo labels beyond the first per metadata plus TikTok labels
  beyond the first per order) must be 0, and every approved order must get its label.

Workers: one worker needs about 1.4 s per label (0.75 s of provider latency, the 0.5 s poll
pause, ~0.1 s of our own work), so reaching 4 labels/s takes at least 6. The default 16 leaves
room; 8 measured the same, the ``labels.workers`` default of 4 about 0.69 of ideal.

    python bench/labels.py [--orders 500] [--workers 16] [--latency 0.25] [--baseline-orders 40]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.85
SHIPPO_KEY = "shippo_sandbox_bench"  # not a test_ key: the simulator applies live limits


@dataclass
class World:
    """The simulators and a CreatorFlow install pointed at them, with orders approved."""

    tiktok: Any
    shippo: Any
    services: Any
    approved: int

    def duplicates(self) -> int:
        """Labels bought beyond the first, at TikTok and at Shippo."""
        labels = self.tiktok.stats().get("label_purchases", {})
        extra = sum(max(0, int(n) - 1) for n in dict(labels).values())
        return extra + int(self.shippo.stats()["duplicate_purchases"])


@contextmanager
def world(home: Path, orders: int, latency: float, seed: int) -> Iterator[World]:
    """A synced, parcelled shop with `orders` Shippo-bound orders approved."""
    from sqlalchemy import select

    from creatorflow.config.paths import resolve_paths
    from creatorflow.http_server import serve
    from creatorflow.sandbox.shippo import LIVE_LIMITS, ShippoSimulator
    from creatorflow.sandbox.tiktok import TikTokShopSimulator
    from creatorflow.secrets import SecretStore
    from creatorflow.secrets.backends import MemoryBackend
    from creatorflow.services.approval import approve_orders
    from creatorflow.services.context import Services
    from creatorflow.services.demo import SHIP_FROM
    from creatorflow.services.label_providers import connect_provider
    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.parcels import set_parcel
    from creatorflow.services.product_sync import list_products, sync_products
    from creatorflow.services.setup import initialize
    from creatorflow.services.tiktok_connection import connect_tiktok
    from creatorflow.store.tables import Order

    tiktok = TikTokShopSimulator(seed=seed, qps=10_000, product_count=5)
    # About 10% are TikTok Shipping and a few fail a guard: make enough, approve `orders`.
    tiktok.generate_orders(
        orders + orders // 4 + 10, spread=timedelta(hours=20), status="AWAITING_SHIPMENT"
    )
    shippo = ShippoSimulator(
        seed,
        api_key=SHIPPO_KEY,
        latency=latency,
        purchase_seconds=0,
        requests_per_minute=LIVE_LIMITS,
    )
    with ExitStack() as stack:
        t = stack.enter_context(serve(tiktok.app))
        s = stack.enter_context(serve(shippo.app))
        environ = {
            "CREATORFLOW_HOME": str(home),
            "CREATORFLOW_TIKTOK_API_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
            "CREATORFLOW_SHIPPO_API_BASE": s.base_url,
            "CREATORFLOW_RULES_PROVIDERS": "shippo",
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }
        secrets = SecretStore([MemoryBackend({"tiktok_app_secret": tiktok.app_secret})])
        services = Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)
        stack.callback(services.close)
        initialize(services)
        connect_tiktok(services, auth_code=tiktok.issue_auth_code())
        connect_provider(services, "shippo", SHIPPO_KEY)
        sync_products(services)
        for index, sku in enumerate(list_products(services)):
            set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
        sync_orders(services)
        with services.store.read() as session:
            seller = set(
                session.scalars(select(Order.id).where(Order.shipping_type != "TIKTOK")).all()
            )
        passing = approve_orders(services, all_ready=True, dry_run=True).results
        chosen = [r.order_id for r in passing if r.approved and r.order_id in seller][:orders]
        approved = approve_orders(services, chosen).approved if chosen else 0
        yield World(tiktok, shippo, services, approved)


def run(home: Path, orders: int, workers: int, latency: float, seed: int) -> dict[str, Any]:
    """Buy the labels of one fresh world; wall time and the simulators' counts."""
    from creatorflow.services.label_buying import buy_labels

    with world(home, orders, latency, seed) as w:
        before = dict(w.shippo.stats()["requests"])
        start, cpu = time.perf_counter(), time.process_time()
        summary = buy_labels(w.services, workers=workers, wait_up_to=timedelta(seconds=120))
        wall = time.perf_counter() - start
        cpu_s = time.process_time() - cpu
        stats = w.shippo.stats()
        requests = {k: int(v) - int(before.get(k, 0)) for k, v in stats["requests"].items()}
        return {
            "approved": w.approved,
            "bought": summary.bought,
            "retry_later": summary.retry_later,
            "needs_attention": summary.needs_attention,
            "held": summary.held,
            "wall_s": wall,
            "cpu_s": cpu_s,
            "requests": {k: v for k, v in requests.items() if v},
            "rate_limited": stats["rate_limited"],
            "duplicates": w.duplicates(),
        }


def ideal(result: dict[str, Any], workers: int, latency: float) -> dict[str, float]:
    """The latency and rate-limit bounds from what the labels actually asked of Shippo."""
    from creatorflow.sandbox.shippo import LIVE_LIMITS

    bought = max(1, result["bought"])
    requests: dict[str, int] = result["requests"]
    calls = sum(requests.values()) / bought
    writes = sum(n for name, n in requests.items() if not name.startswith("GET")) / bought
    gets = sum(n for name, n in requests.items() if name.startswith("GET")) / bought
    latency_bound = workers / (calls * latency) if latency > 0 else float("inf")
    per_minute = [LIVE_LIMITS["default:write"] / writes] if writes else []
    if gets:
        per_minute.append(LIVE_LIMITS["default:get"] / gets)
    rate_bound = min(per_minute) / 60 if per_minute else float("inf")
    return {
        "calls_per_label": calls,
        "writes_per_label": writes,
        "gets_per_label": gets,
        "latency_bound": latency_bound,
        "rate_limit_bound": rate_bound,
        "ideal": min(latency_bound, rate_bound),
    }


def _rounded(value: float, digits: int = 3) -> float | None:
    """`value` rounded, or None for an unbounded figure (JSON has no infinity)."""
    return None if math.isinf(value) else round(value, digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--baseline-orders", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        main_run = run(Path(tmp) / "main", args.orders, args.workers, args.latency, args.seed)
        base_run = run(Path(tmp) / "base", args.baseline_orders, 1, args.latency, args.seed + 1)

    bounds = ideal(main_run, args.workers, args.latency)
    base_bounds = ideal(base_run, 1, args.latency)
    per_s = main_run["bought"] / main_run["wall_s"] if main_run["wall_s"] else 0.0
    base_per_s = base_run["bought"] / base_run["wall_s"] if base_run["wall_s"] else 0.0
    ratio = per_s / bounds["ideal"] if bounds["ideal"] else 0.0
    duplicates = main_run["duplicates"] + base_run["duplicates"]
    complete = main_run["bought"] == main_run["approved"] == args.orders
    result = {
        "benchmark": "labels",
        "orders": main_run["approved"],
        "workers": args.workers,
        "latency_s": args.latency,
        "labels_bought": main_run["bought"],
        "not_bought": main_run["approved"] - main_run["bought"],
        "wall_s": round(main_run["wall_s"], 2),
        "cpu_s": round(main_run["cpu_s"], 2),
        "labels_per_s": round(per_s, 3),
        "calls_per_label": round(bounds["calls_per_label"], 2),
        "writes_per_label": round(bounds["writes_per_label"], 2),
        "gets_per_label": round(bounds["gets_per_label"], 2),
        "latency_bound_labels_per_s": _rounded(bounds["latency_bound"]),
        "rate_limit_bound_labels_per_s": _rounded(bounds["rate_limit_bound"]),
        "ideal_labels_per_s": _rounded(bounds["ideal"]),
        "ratio_to_ideal": round(ratio, 3),
        "shippo_requests": main_run["requests"],
        "shippo_rate_limited": main_run["rate_limited"],
        "baseline_orders": base_run["approved"],
        "baseline_labels_bought": base_run["bought"],
        "baseline_wall_s": round(base_run["wall_s"], 2),
        "baseline_labels_per_s": round(base_per_s, 3),
        "baseline_s_per_label": round(1 / base_per_s, 3) if base_per_s else None,
        "baseline_ideal_labels_per_s": _rounded(base_bounds["ideal"]),
        "speedup_over_baseline": round(per_s / base_per_s, 2) if base_per_s else None,
        "duplicate_purchases": duplicates,
        "target_ratio": TARGET_RATIO,
        "within_target": ratio >= TARGET_RATIO and duplicates == 0 and complete,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
