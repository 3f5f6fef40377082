"""Initial order sync from the TikTok Shop simulator over loopback HTTP, and an idle poll.

The simulator runs in a child process (so our CPU figures are ours alone) with N orders
ready to ship. In a fresh store the benchmark times:

* ``orders_per_s``: ``sync_orders`` reading every order (pages of 100, signed requests,
  msgspec decoding, checks, one bulk transaction per page) — target ≥ 5,000/s (DESIGN §8);
* ``idle_poll_ms`` / ``idle_poll_cpu_ms``: a second sync when nothing changed — targets
  < 100 ms wall and < 30 ms CPU;
* the raw floor in the same run: the same pages fetched with bare httpx, ``json.loads`` and
  one ``sqlite3.executemany`` per page into a one-table database.

    python bench/sync.py [--orders 20000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

TARGET_ORDERS_PER_S = 5000.0
TARGET_IDLE_MS = 100.0
APP_KEY = "bench-app-key"
APP_SECRET = "bench-app-secret"  # noqa: S105 (the simulator's, not a real one)


def _serve(orders: int, ready: Any, stop: Any) -> None:
    from creatorflow.http_server import serve
    from creatorflow.sandbox.tiktok import TikTokShopSimulator

    sim = TikTokShopSimulator(seed=7, app_key=APP_KEY, app_secret=APP_SECRET, qps=10_000)
    sim.generate_orders(orders, spread=timedelta(days=30), status="AWAITING_SHIPMENT")
    code = sim.issue_auth_code()
    with serve(sim.app) as server:
        ready.put((server.base_url, code))
        stop.wait()


def _services(home: Path, base_url: str) -> Any:
    from creatorflow.config.paths import resolve_paths
    from creatorflow.secrets import SecretStore
    from creatorflow.secrets.backends import MemoryBackend
    from creatorflow.services.context import Services
    from creatorflow.services.setup import initialize

    environ = {
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_TIKTOK_API_BASE": base_url,
        "CREATORFLOW_TIKTOK_AUTH_BASE": base_url,
        "CREATORFLOW_TIKTOK_APP_KEY": APP_KEY,
    }
    secrets = SecretStore([MemoryBackend({"tiktok_app_secret": APP_SECRET})])
    services = Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)
    initialize(services)
    return services


def _raw_floor(base_url: str, access_token: str, cipher: str, db: Path) -> tuple[int, float]:
    """Fetch every page with bare httpx and store it with sqlite3: the cost of the work."""
    import httpx

    from creatorflow.integrations.tiktok.signing import sign

    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, status TEXT, body TEXT)")
    path = "/order/202309/orders/search"
    body = "{}"
    stored = 0
    start = time.perf_counter()
    with httpx.Client(base_url=base_url) as client:
        token: str | None = None
        while True:
            query = {
                "app_key": APP_KEY,
                "timestamp": str(int(time.time())),
                "shop_cipher": cipher,
                "page_size": "100",
                "sort_field": "update_time",
                "sort_order": "ASC",
            }
            if token:
                query["page_token"] = token
            query["sign"] = sign(APP_SECRET, path, query, body)
            response = client.post(
                path,
                params=query,
                content=body,
                headers={"x-tts-access-token": access_token, "content-type": "application/json"},
            )
            data = json.loads(response.content)["data"]
            rows = [(o["id"], o["status"], json.dumps(o)) for o in data["orders"]]
            with connection:
                connection.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)", rows)
            stored += len(rows)
            token = data.get("next_page_token") or None
            if not token:
                break
    elapsed = time.perf_counter() - start
    connection.close()
    return stored, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    count = parser.parse_args().orders

    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.tiktok_connection import ACCESS_TOKEN, connect_tiktok, list_shops

    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    child = context.Process(target=_serve, args=(count, ready, stop), daemon=True)
    child.start()
    try:
        base_url, code = ready.get(timeout=300)
        with tempfile.TemporaryDirectory() as tmp:
            services = _services(Path(tmp) / "home", base_url)
            connect_tiktok(services, auth_code=code)

            start, cpu = time.perf_counter(), time.process_time()
            summary = sync_orders(services)
            initial_s = time.perf_counter() - start
            initial_cpu_s = time.process_time() - cpu

            start, cpu = time.perf_counter(), time.process_time()
            idle = sync_orders(services)
            idle_ms = (time.perf_counter() - start) * 1000
            idle_cpu_ms = (time.process_time() - cpu) * 1000

            shop = list_shops(services)[0]
            from creatorflow.store.tables import Shop

            with services.store.read() as session:
                found = session.get(Shop, shop.id)
                assert found is not None
                cipher = found.cipher
            token = services.secrets.require(ACCESS_TOKEN)
            services.close()
            floor_orders, floor_s = _raw_floor(base_url, token, cipher, Path(tmp) / "floor.db")
    finally:
        stop.set()
        child.join(timeout=10)

    orders_per_s = summary.new / initial_s if initial_s else 0.0
    floor_per_s = floor_orders / floor_s if floor_s else 0.0
    result = {
        "benchmark": "sync",
        "orders": count,
        "stored_new": summary.new,
        "quarantined": summary.quarantined,
        "pages": summary.pages,
        "initial_s": round(initial_s, 3),
        "initial_cpu_s": round(initial_cpu_s, 3),
        "orders_per_s": round(orders_per_s),
        "idle_poll_ms": round(idle_ms, 1),
        "idle_poll_cpu_ms": round(idle_cpu_ms, 1),
        "idle_poll_new": idle.new,
        "idle_poll_updated": idle.updated,
        "floor_orders_per_s": round(floor_per_s),
        "ratio_to_floor": round(orders_per_s / floor_per_s, 2) if floor_per_s else None,
        "target_orders_per_s": TARGET_ORDERS_PER_S,
        "target_idle_ms": TARGET_IDLE_MS,
        "within_target": orders_per_s >= TARGET_ORDERS_PER_S and idle_ms < TARGET_IDLE_MS,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
