"""The dashboard on a 100,000-order store: launch time and keypress-to-redraw latency.

The store is made directly (bulk inserts, no simulator): N orders over 120 days, each with
its raw TikTok JSON (~3.6 kB, as a synced order carries), one or two lines of 20 SKUs; the
last three days' orders still need action (new, approved, labelled, shipped, held). Figures:

* ``launch_cold_s``: ``python`` started → the Dispatch screen painted with its orders
  (interpreter, imports, store opened, board read), median of ``--launches`` subprocesses
  with Textual's headless driver — target < 1 s; ``baseline_launch_cold_s`` is the same for
  a bare Textual app showing one line (the floor of any Textual app here);
* ``launch_warm_s``: the same in this process (imports done): app built → board painted;
* ``keypress_ms``: key pressed (Textual's Pilot) → the last frame that key caused was
  composed (the app's ``_display`` hook, which the headless driver calls without writing),
  so a key that reads the store counts until its page is painted. Scenarios: ``scroll``
  (down through the Orders list, turning a page every 100 rows, and through Dispatch),
  ``type`` (characters into the search box), ``filter`` (each stage and status picked with
  the keyboard, a SKU, an id prefix, a day, clearing: 14 keys, ``--rounds`` times, since
  the p95 of 14 samples is their second largest) and, apart, ``search_name`` (a buyer
  name: no index can serve "part of a name", so the table is scanned). p50/p95/max each;
  target p95 < 50 ms for scroll and filter. ``baseline_keypress_ms`` is a bare app's
  DataTable cursor move measured the same way in this run.

    python bench/tui.py [--orders 100000] [--launches 3] [--keys 300] [--rounds 3] [--home DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

TARGET_LAUNCH_S = 1.0
TARGET_KEY_P95_MS = 50.0
SIZE = (120, 40)
ACTION = ("new", "approved", "labelled", "shipped", "held", "new", "labelled")


def build_store(home: Path, orders: int, now: datetime) -> None:
    """A migrated store at ``home`` with ``orders`` orders (skipped when already built)."""
    from creatorflow.config.paths import resolve_paths
    from creatorflow.domain.stages import Stage
    from creatorflow.services.context import Services
    from creatorflow.services.setup import initialize
    from creatorflow.store.bulk import insert_many
    from creatorflow.store.tables import Order, OrderLine, Shop

    environ = {"CREATORFLOW_HOME": str(home)}
    services = Services(paths=resolve_paths(environ), environ=environ)
    initialize(services)
    raw = {"line_items": [{"note": "x" * 3400}], "status": "COMPLETED"}
    with services.store.write(durable=False) as session:
        if session.get(Shop, "7000001") is not None:
            services.close()
            return
        session.add(Shop(id="7000001", cipher="c", name="Bench", region="US", authorized_at=now))
        session.flush()
        rows: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        span = 120 * 86_400
        for i in range(orders):
            created = now - timedelta(seconds=span * (orders - i) // orders)
            recent = now - created < timedelta(days=3)
            stage = Stage(ACTION[i % len(ACTION)]) if recent else Stage.DELIVERED
            status = "AWAITING_SHIPMENT" if recent else "COMPLETED"
            order_id = f"5770{i:014d}"
            units = 1 + (i % 5 == 0)
            rows.append(
                {
                    "id": order_id, "shop_id": "7000001", "status": status, "stage": stage,
                    "stage_changed_at": created,
                    "hold_reason": "No weight set for SKU SKU-7." if stage == "held" else None,
                    "attention_reason": None, "buyer_cancel_requested": False,
                    "tiktok_created_at": created, "tiktok_updated_at": created,
                    "paid_at": created, "shipping_due_at": created + timedelta(days=2),
                    "collection_due_at": None, "delivery_due_at": None,
                    "total_amount": Decimal("24.99") * units, "shipping_fee": None,
                    "currency": "USD", "units": units, "address_masked": False,
                    "recipient_name": f"Buyer {i}", "recipient_phone": "5125550100",
                    "address_line1": f"{i} Main St", "address_line2": None,
                    "address_line3": None, "address_line4": None, "city": "Austin",
                    "state": "TX", "postal_code": "78701", "country_code": "US",
                    "delivery_option_id": None, "shipping_type": "SELLER",
                    "fulfillment_type": None, "buyer_message": None, "dispatch_state": None,
                    "possibly_lost": False, "raw": raw, "first_seen_at": created,
                    "synced_at": created, "version": 1,
                }
            )  # fmt: skip
            for n in range(units):
                sku = (i + n) % 20
                lines.append(
                    {
                        "id": f"{order_id}-{n}", "order_id": order_id, "sku_id": f"SKU{sku}",
                        "seller_sku": f"SKU-{sku}", "product_id": "P1",
                        "product_name": f"Product {sku}", "sku_name": None,
                        "unit_price": Decimal("24.99"), "original_price": None,
                        "currency": "USD", "package_id": None, "is_gift": False,
                        "display_status": None, "cancel_reason": None,
                    }
                )  # fmt: skip
            if len(rows) == 5000:
                insert_many(session, Order.__table__, rows)  # type: ignore[arg-type]
                insert_many(session, OrderLine.__table__, lines)  # type: ignore[arg-type]
                rows, lines = [], []
        insert_many(session, Order.__table__, rows)  # type: ignore[arg-type]
        insert_many(session, OrderLine.__table__, lines)  # type: ignore[arg-type]
    services.close()


#: When a screen applied data a worker read (see :func:`watch_loads`).
APPLIED: list[float] = []


def watch_loads() -> None:
    """Record in :data:`APPLIED` each time Dispatch or Orders shows data it read (Orders shows
    a page in ``_show``, whether a worker read it or the key's handler did)."""
    from creatorflow.tui.screens.dispatch import DispatchScreen
    from creatorflow.tui.screens.orders import OrdersScreen

    # Orders before the filter work had no ``_show``: it showed pages in the handler.
    shows = "_show" if hasattr(OrdersScreen, "_show") else "on_orders_loaded"
    for cls, name in ((DispatchScreen, "on_dispatch_loaded"), (OrdersScreen, shows)):
        original = getattr(cls, name)

        def handler(screen: Any, message: Any, original: Any = original) -> None:
            original(screen, message)
            APPLIED.append(time.perf_counter())

        setattr(cls, name, handler)


class Frames:
    """When the app composed frames (Textual's ``_display``, which the headless driver calls
    without writing anything)."""

    def __init__(self, app: Any) -> None:
        self.times: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.times.append(time.perf_counter())
            original(screen, renderable)

        app._display = display

    def redraw_after(self, start: float) -> float | None:
        """The frame showing what a key at ``start`` caused: the first frame after the data
        it loaded was applied, or the first frame after the key when it loaded nothing."""
        loaded = [t for t in APPLIED if t > start]
        since = loaded[-1] if loaded else start
        later = [t for t in self.times if t > since]
        return later[0] if later else None


async def settle(pilot: Any) -> None:
    """Until every worker reading the store is done and its result shown."""
    app = pilot.app
    for _ in range(20):
        await pilot.pause()
        busy = [w for w in app.workers if w.group in ("load", "action") and not w.is_finished]
        if not busy:
            await pilot.pause()
            return
        await app.workers.wait_for_complete(busy)


async def timed_keys(pilot: Any, frames: Frames, keys: list[str]) -> list[float]:
    """Milliseconds from each key to the frame showing its effect (none: skipped)."""
    spans = []
    for key in keys:
        start = time.perf_counter()
        await pilot.press(key)
        await settle(pilot)
        painted = frames.redraw_after(start)
        if painted is not None:
            spans.append((painted - start) * 1000)
    return spans


def stats(spans: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds."""
    ordered = sorted(spans)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def _services(home: Path) -> Any:
    from creatorflow.config.paths import resolve_paths
    from creatorflow.services.context import Services

    environ = {"CREATORFLOW_HOME": str(home)}
    return Services(paths=resolve_paths(environ), environ=environ)


async def launch_warm(home: Path) -> float:
    """Seconds from building the app to the Dispatch screen painted with its orders."""
    from creatorflow.tui import make_app
    from creatorflow.tui.widgets.order_table import OrderTable

    services = _services(home)
    start = time.perf_counter()
    app = make_app(services, poll_seconds=None)
    painted: list[float] = []
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        while not painted:
            await pilot.pause(0.001)
            tables = app.screen.query("#action").results(OrderTable)
            if any(table.row_count for table in tables):
                await pilot.pause()
                painted.append(frames.times[-1])
    services.close()
    return painted[0] - start


def child(which: str, home: str) -> None:
    """``--child``: start an app, print the monotonic time of its first useful frame, exit."""
    if which == "empty":
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        class Empty(App[None]):
            def compose(self) -> ComposeResult:
                yield Static("CreatorFlow")

        app: Any = Empty()

        def ready() -> bool:
            return True  # the first frame is the one
    else:
        from creatorflow.tui import make_app

        app = make_app(_services(Path(home)), poll_seconds=None)

        def ready() -> bool:
            from creatorflow.tui.widgets.order_table import OrderTable

            return any(t.row_count for t in app.screen.query("#action").results(OrderTable))

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None and ready():
            print(f"PAINTED {time.monotonic()}", flush=True)
            app.exit()

    app._display = display
    app.run(headless=True, size=SIZE)


def launch_cold(which: str, home: Path) -> float:
    """Seconds from starting ``python`` to the first useful frame of ``which``."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, __file__, "--child", which, "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PAINTED "))
    return float(line.split()[1]) - start


async def keypresses(home: Path, count: int, rounds: int) -> dict[str, list[float]]:
    """The scenarios of the module docstring."""
    from textual.widgets import Select

    from creatorflow.tui import make_app

    services = _services(home)
    app = make_app(services, poll_seconds=None)
    frames = Frames(app)
    out: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        out["scroll"] = await timed_keys(pilot, frames, ["down"] * (count // 3))
        await pilot.press("2")
        await settle(pilot)
        out["scroll"] += await timed_keys(pilot, frames, ["down"] * count)
        screen = app.screen
        filters: list[float] = []
        detail: dict[str, list[float]] = {}

        def note(name: str, spans: list[float]) -> None:
            filters.extend(spans)
            detail.setdefault(name, []).append(round(spans[0], 1) if spans else -1)

        async def box(box_id: str, text: str) -> list[float]:
            # Focusing is the harness's doing: drawn before the first timed key.
            screen.query_one(box_id).focus()
            await settle(pilot)
            typed = await timed_keys(pilot, frames, list(text))
            out.setdefault("type", []).extend(typed)
            submitted = await timed_keys(pilot, frames, ["enter"])
            await pilot.press("x")
            await settle(pilot)
            return submitted

        day = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        for _ in range(rounds):
            for select_id, options in (
                (
                    "#stage",
                    ["new", "approved", "labelled", "shipped", "held", "delivered", "voided"],
                ),
                ("#status", ["AWAITING_SHIPMENT", "COMPLETED", "CANCELLED"]),
            ):
                for value in options:
                    select = screen.query_one(select_id, Select)
                    select.focus()
                    await pilot.press("enter")  # open the list
                    await settle(pilot)
                    overlay_values = [v for _, v in select._options]
                    steps = overlay_values.index(value) - overlay_values.index(select.value)
                    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
                    note(f"{select_id[1:]}={value}", await timed_keys(pilot, frames, ["enter"]))
                await pilot.press("x")
                await settle(pilot)
            for box_id, text in (
                ("#sku", "SKU-3"),
                ("#search", "5770000000009"),
                ("#created_from", day),
            ):
                note(f"{box_id[1:]}={text}", await box(box_id, text))
            screen.query_one("#orders").focus()
            await settle(pilot)
            note("clear", await timed_keys(pilot, frames, ["x"]))
        out["filter"] = filters
        out["filter_detail"] = detail  # type: ignore[assignment]
        out["search_name"] = await box("#search", "buyer 4242")
    services.close()
    return out


async def baseline_keys(count: int) -> list[float]:
    """A bare app's DataTable cursor move, key to frame: Textual's own floor here."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            table: DataTable[str] = DataTable(cursor_type="row")
            table.add_columns("a", "b")
            table.add_rows([(str(i), "x" * 20) for i in range(count + 10)])
            yield table

    app = Bare()
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return await timed_keys(pilot, frames, ["down"] * count)


def main() -> None:
    """Build (or reuse) the store, measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--launches", type=int, default=3)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument(
        "--rounds", type=int, default=3, help="times the 14 filters are applied (p95 of 14 is ~max)"
    )
    parser.add_argument("--home", type=Path, default=None, help="reuse (or keep) this store")
    parser.add_argument("--child", choices=("empty", "dispatch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, str(args.home))
        return
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # A blinking cursor composes a frame twice a second: noise in "the frame a key caused".
    from textual.widgets import Input

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    watch_loads()
    home = args.home or Path(tempfile.mkdtemp(prefix="creatorflow-bench-tui-")) / "home"
    start = time.perf_counter()
    build_store(home, args.orders, datetime.now(UTC))
    built_s = time.perf_counter() - start
    cold = [launch_cold("dispatch", home) for _ in range(args.launches)]
    cold_empty = [launch_cold("empty", home) for _ in range(args.launches)]
    warm = [asyncio.run(launch_warm(home)) for _ in range(args.launches)]
    keys = asyncio.run(keypresses(home, args.keys, args.rounds))
    floor = asyncio.run(baseline_keys(min(args.keys, 200)))
    launch = statistics.median(cold)
    scroll, filtering = stats(keys["scroll"]), stats(keys["filter"])
    result = {
        "orders": args.orders,
        "store_built_s": round(built_s, 1),
        "launch_cold_s": round(launch, 3),
        "launch_cold_runs_s": [round(x, 3) for x in cold],
        "baseline_launch_cold_s": round(statistics.median(cold_empty), 3),
        "launch_warm_s": round(statistics.median(warm), 3),
        "keypress_ms": {
            "scroll": scroll,
            "filter": filtering,
            "type": stats(keys["type"]),
            "search_name": stats(keys["search_name"]),
        },
        "filter_ms_each": keys["filter_detail"],
        "baseline_keypress_ms": stats(floor),
        "target_launch_s": TARGET_LAUNCH_S,
        "target_keypress_p95_ms": TARGET_KEY_P95_MS,
        "meets_targets": launch < TARGET_LAUNCH_S
        and scroll["p95"] < TARGET_KEY_P95_MS
        and filtering["p95"] < TARGET_KEY_P95_MS,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
