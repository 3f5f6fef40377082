"""The hosted billing service under a steady load: 200 requests/s on loopback, p99 < 50 ms.

The service runs in a child process (uvicorn through ``creatorflow.http_server.serve``, a SQLite
store with ``synchronous=FULL``, no Stripe: forwarding is off), with a few accounts and their
installs already logged in. The parent (one asyncio client) sends an open-loop stream at
``--rate`` requests/s for ``--seconds``: half ``GET /v1/entitlement`` (a signed token each),
three tenths ``POST /v1/usage`` (1-5 labelled orders, one batch in ten re-sent) and the rest
``GET /v1/usage``. Latency is timed from each request's *scheduled* start, so a stall that
delays the requests behind it counts against them too (no coordinated omission).

The baseline, measured first in the same run on the same server and at the same rate, is
``GET /healthz`` (no database, no signing): what loopback HTTP, uvicorn and this client cost.

    python bench/billing.py [--seconds 20] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from latency import summary  # bench/latency.py: run as `python bench/<name>.py`

TARGET_P99_MS = 50.0
ACCOUNTS = 5
INSTALLS_PER_ACCOUNT = 4
#: One event-loop client with a pool of keep-alive connections: a thread per in-flight request
#: in this process measured mostly its own GIL contention (p99 in the hundreds of ms).
CONNECTIONS = 64


def _seed(store: Any, now: int) -> list[str]:
    """Plans, accounts with an active subscription, and install tokens."""
    from creatorflow.billing_service.records import DeviceCode, Plan, SubscriptionState, token_hash

    store.set_plan(Plan("growth", "growth_monthly", 2000), now)
    tokens = []
    for a in range(ACCOUNTS):
        account_id = ""
        for i in range(INSTALLS_PER_ACCOUNT):
            device = f"bench-device-{a}-{i}"
            user_code = f"BC{a:02d}-{i:04d}"
            code = DeviceCode(
                token_hash(device), user_code, "bench", now + 900, 5, None, "pending", None
            )
            store.create_device_code(code, now)
            store.decide_device(user_code, f"bench{a}@example.com", True, now)
            token, _, account_id = store.exchange_device_code(token_hash(device), "bench", now)
            tokens.append(token)
        store.record_event(
            f"evt_bench_{a}",
            "customer.subscription.created",
            now,
            now,
            SubscriptionState(
                account_id=account_id,
                stripe_customer_id=f"cus_bench_{a}",
                subscription_id=f"sub_bench_{a}",
                subscription_created=now - 86_400,
                plan="growth",
                status="active",
                period_start=now - 86_400,
                period_end=now + 29 * 86_400,
                cancel_at_period_end=False,
                event_created=now,
            ),
        )
    return tokens


def _serve(folder: str, ready: Any, stop: Any) -> None:
    from creatorflow.billing_service.app import create_app
    from creatorflow.billing_service.db import make_engine
    from creatorflow.billing_service.settings import Settings
    from creatorflow.billing_service.store import BillingStore
    from creatorflow.billing_service.tokens import SigningKey
    from creatorflow.http_server import serve

    settings = Settings(database_url=f"sqlite:///{Path(folder) / 'billing.db'}")
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    tokens = _seed(store, int(time.time()))
    app = create_app(settings, signing_key=SigningKey.generate(), store=store)
    with serve(app) as server:
        ready.put((server.base_url, tokens))
        stop.wait()


def _plan(kinds: list[str], n: int, rng: random.Random) -> list[str]:
    if kinds == ["healthz"]:
        return ["healthz"] * n
    return rng.choices(["entitlement", "usage_post", "usage_get"], weights=[5, 3, 2], k=n)


async def _run_async(
    base_url: str, tokens: list[str], kinds: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    rng = random.Random(7)  # reproducible mix
    n = max(1, int(rate * seconds))
    plan = _plan(kinds, n, rng)
    headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
    order_seq = itertools.count()
    sent_batches: list[dict[str, Any]] = []
    latencies: dict[str, list[float]] = {k: [] for k in set(plan)}
    errors: list[str] = []

    def body() -> dict[str, Any]:
        if sent_batches and rng.random() < 0.1:
            return rng.choice(sent_batches)
        at = datetime.now(UTC).isoformat()
        events = []
        for _ in range(rng.randint(1, 5)):
            order = f"bench-{next(order_seq)}"
            digest = hashlib.sha256(f"labelled/shop/{order}".encode()).hexdigest()
            events.append({"id": digest, "order_id": order, "occurred_at": at})
        batch = {"events": events}
        sent_batches.append(batch)
        return batch

    async def one(client: httpx.AsyncClient, i: int, scheduled: float) -> None:
        kind = plan[i]
        auth = headers[i % len(headers)]
        try:
            if kind == "healthz":
                response = await client.get("/healthz")
            elif kind == "entitlement":
                response = await client.get("/v1/entitlement", headers=auth)
            elif kind == "usage_get":
                response = await client.get("/v1/usage", headers=auth)
            else:
                response = await client.post("/v1/usage", headers=auth, json=body())
            if response.status_code != 200:
                errors.append(f"{kind} {response.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{kind} {type(exc).__name__}")
        latencies[kind].append((time.perf_counter() - scheduled) * 1000)

    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base_url, timeout=10, limits=limits) as client:
        tasks = set()
        start = time.perf_counter() + 0.1
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(client, i, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    every = sorted(x for values in latencies.values() for x in values)
    return {
        "requests": n,
        "errors": len(errors),
        "error_kinds": dict(sorted({e: errors.count(e) for e in set(errors)}.items())),
        "achieved_rate": round(n / wall, 1),
        "latency_ms": summary(every),
        "by_kind": {kind: summary(sorted(values)) for kind, values in sorted(latencies.items())},
    }


def _run(
    base_url: str, tokens: list[str], kinds: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    return asyncio.run(_run_async(base_url, tokens, kinds, rate, seconds))


def main() -> int:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the mixed load")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument(
        "--baseline-seconds", type=float, default=None, help="default: a quarter of --seconds"
    )
    args = parser.parse_args()
    baseline_seconds = args.baseline_seconds or max(1.0, args.seconds / 4)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="cf-bench-billing-") as folder:
        ready, stop = context.Queue(), context.Event()
        child = context.Process(target=_serve, args=(folder, ready, stop))
        child.start()
        try:
            base_url, tokens = ready.get(timeout=60)
            # Warm up connections, imports and SQLite pages before timing anything.
            _run(base_url, tokens, ["mixed"], args.rate, 1.0)
            baseline = _run(base_url, tokens, ["healthz"], args.rate, baseline_seconds)
            mixed = _run(base_url, tokens, ["mixed"], args.rate, args.seconds)
        finally:
            stop.set()
            child.join(timeout=30)
    p99 = mixed["latency_ms"]["p99"]
    result = {
        "benchmark": "billing_service",
        "target": {"rate": args.rate, "p99_ms": TARGET_P99_MS},
        "seconds": args.seconds,
        **mixed,
        "baseline": {"endpoint": "GET /healthz", "seconds": baseline_seconds, **baseline},
        "p99_over_baseline_ms": round(p99 - baseline["latency_ms"]["p99"], 2),
        "meets_target": p99 < TARGET_P99_MS and mixed["errors"] == 0,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
