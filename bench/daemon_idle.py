"""An idle daemon: RSS and CPU of ``creatorflow daemon run`` with nothing to do, and one poll.

The TikTok Shop, Shippo and EasyPost simulators run on loopback in this process (as in
``tests/daemon``); a shop with ``--orders`` orders is connected, its products synced and
parcelled, its orders synced, both label providers connected and *nothing approved*: every
job finds nothing to do. ``creatorflow daemon run`` is then started as a subprocess (secrets
in the opt-in file, ``CREATORFLOW_SECRETS_ALLOW_FILE=true``), with
``CREATORFLOW_DAEMON_TEST_SPEED=--speed`` (default 12: ``daemon.poll_seconds`` 120 s becomes a
poll every 10 s and the heartbeat every 1.25 s, so a 60 s window holds several full poll
cycles; the real intervals do strictly less work, so this errs on the heavy side). Once every
job has finished its first run and ``--settle`` seconds passed, the daemon is sampled for
``--seconds`` (default 60) from ``/proc/<pid>/status`` (VmRSS, VmHWM) and ``/proc/<pid>/stat``
(utime + stime, all threads); ``psutil`` only if ``/proc`` is missing.

Figures (DESIGN §8: daemon idle RSS < 120 MB, CPU < 1%):

* ``rss_mb_max`` / ``rss_mb_final`` over the window, ``rss_mb_peak`` (VmHWM: the high-water
  mark since start, start-up included), ``cpu_percent`` (CPU seconds / wall seconds of the
  window, of one core), ``startup_cpu_s`` (what the daemon used before the window);
* ``poll_cycles`` in the window from ``job_runs`` (``poll_orders`` rows, their wall ms median
  and max, and whether every one found nothing new or changed), plus ``poll_ms`` /
  ``poll_cpu_ms``: ``sync_orders`` timed once in this process with nothing changed, after the
  daemon stopped;
* the baseline in the same window: a bare ``python -c "import time; time.sleep(N)"``
  subprocess sampled the same way (``baseline_rss_mb``, ``baseline_cpu_percent``);
* ``exit_code`` of the daemon after SIGTERM (must be 0) and ``within_target``.

    python bench/daemon_idle.py [--seconds 60] [--speed 12] [--orders 25] [--settle 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

TARGET_RSS_MB = 120.0
TARGET_CPU_PERCENT = 1.0
SHIPPO_KEY = "shippo_sandbox_bench_idle"  # the simulator gets LIVE_LIMITS explicitly
EASYPOST_KEY = "EZTK_bench_idle"
SAMPLE_EVERY = 0.5


@dataclass
class Usage:
    """Samples of one process: RSS in MB and cumulative CPU seconds."""

    pid: int
    rss_mb: list[float] = field(default_factory=list)
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    peak_mb: float = 0.0

    def sample(self) -> None:
        rss, peak = _memory(self.pid)
        self.rss_mb.append(rss)
        self.peak_mb = max(self.peak_mb, peak)


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        values: dict[str, float] = {}
        for line in status.read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024  # kB
        return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)
    import psutil  # type: ignore[import-not-found]  # only where /proc is missing

    rss = psutil.Process(pid).memory_info().rss / 1024 / 1024
    return rss, rss


def _cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (every thread), in seconds."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = stat.read_text().rpartition(")")[2].split()
        ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
        return ticks / os.sysconf("SC_CLK_TCK")
    import psutil  # type: ignore[import-not-found]

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


@contextmanager
def world(home: Path, orders: int, speed: float) -> Iterator[tuple[Any, dict[str, str]]]:
    """A connected shop with its orders synced and nothing approved; (services, daemon env)."""
    from creatorflow.config.paths import resolve_paths
    from creatorflow.http_server import serve
    from creatorflow.sandbox.easypost import EasyPostSimulator
    from creatorflow.sandbox.shippo import LIVE_LIMITS, ShippoSimulator
    from creatorflow.sandbox.tiktok import TikTokShopSimulator
    from creatorflow.services.context import Services
    from creatorflow.services.demo import SHIP_FROM
    from creatorflow.services.label_providers import connect_provider
    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.parcels import set_parcel
    from creatorflow.services.product_sync import list_products, sync_products
    from creatorflow.services.setup import initialize
    from creatorflow.services.tiktok_connection import connect_tiktok

    tiktok = TikTokShopSimulator(seed=61, qps=1000, product_count=3)
    tiktok.generate_orders(orders, spread=timedelta(hours=6), status="AWAITING_SHIPMENT")
    shippo = ShippoSimulator(
        61, api_key=SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    easypost = EasyPostSimulator(61, api_key=EASYPOST_KEY)
    with ExitStack() as stack:
        t = stack.enter_context(serve(tiktok.app))
        s = stack.enter_context(serve(shippo.app))
        e = stack.enter_context(serve(easypost.app))
        environ = {
            **os.environ,
            "CREATORFLOW_HOME": str(home),
            "CREATORFLOW_TIKTOK_API_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
            "CREATORFLOW_SECRET_TIKTOK_APP_SECRET": tiktok.app_secret,
            "CREATORFLOW_SHIPPO_API_BASE": s.base_url,
            "CREATORFLOW_EASYPOST_API_BASE": e.base_url + "/v2",
            "CREATORFLOW_SECRETS_ALLOW_FILE": "true",
            "CREATORFLOW_DAEMON_TEST_SPEED": f"{speed:g}",
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }
        services = Services(paths=resolve_paths(environ), environ=environ)
        stack.callback(services.close)
        initialize(services)
        home.mkdir(parents=True, exist_ok=True)
        connect_tiktok(services, auth_code=tiktok.issue_auth_code())
        connect_provider(services, "shippo", SHIPPO_KEY)
        connect_provider(services, "easypost", EASYPOST_KEY)
        sync_products(services)
        for index, sku in enumerate(list_products(services)):
            set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
        summary = sync_orders(services)
        if summary.new != orders:
            raise SystemExit(f"expected {orders} orders synced, got {summary.new}")
        yield services, environ


def _job_runs(services: Any) -> list[Any]:
    from sqlalchemy import select

    from creatorflow.store.tables import JobRun

    with services.store.read() as session:
        rows = session.scalars(select(JobRun).order_by(JobRun.id)).all()
        session.expunge_all()
        return list(rows)


def _idle_summary(summary: Any) -> bool:
    """A poll that found nothing: no new, changed or quarantined order."""
    if not isinstance(summary, dict):
        return summary is None
    keys = ("new", "updated", "quarantined", "status_changes", "voids_queued")
    return not any(summary.get(key) for key in keys)


def measure(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    from creatorflow.daemon.jobs import JOBS
    from creatorflow.services.order_sync import sync_orders

    with world(home, args.orders, args.speed) as (services, environ):
        err_path = home / "daemon.err"
        with (home / "daemon.out").open("wb") as out, err_path.open("wb") as err:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "creatorflow", "daemon", "run"],
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        baseline: subprocess.Popen[bytes] | None = None
        try:
            names = {job.name for job in JOBS}

            def settled() -> bool:
                if daemon.poll() is not None:
                    detail = err_path.read_text(errors="replace")[-2000:]
                    raise SystemExit(f"daemon exited {daemon.returncode}:\n{detail}")
                done = {r.job for r in _job_runs(services) if r.finished_at is not None}
                return names <= done

            _wait_for(settled, timeout=120, what="every job's first run")
            time.sleep(args.settle)
            first_runs = _job_runs(services)
            window_from = max(run.id for run in first_runs)
            setup_ok = all(run.outcome in ("ok", "off") for run in first_runs)

            baseline = subprocess.Popen(
                [sys.executable, "-c", f"import time; time.sleep({args.seconds + 30})"],
                stdin=subprocess.DEVNULL,
            )
            time.sleep(0.5)  # let the interpreter finish starting before the window opens
            mine, bare = Usage(daemon.pid), Usage(baseline.pid)
            startup_cpu = _cpu_seconds(daemon.pid)
            mine.cpu_start, bare.cpu_start = startup_cpu, _cpu_seconds(baseline.pid)
            start = time.monotonic()
            end = start + args.seconds
            while True:
                mine.sample()
                bare.sample()
                now = time.monotonic()
                if now >= end:
                    break
                time.sleep(min(SAMPLE_EVERY, end - now))
            mine.cpu_end, bare.cpu_end = _cpu_seconds(daemon.pid), _cpu_seconds(baseline.pid)
            wall = time.monotonic() - start
            if daemon.poll() is not None:
                raise SystemExit(f"daemon exited {daemon.returncode} during the window")
        finally:
            if baseline is not None:
                baseline.kill()
                baseline.wait(timeout=10)
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
            try:
                exit_code: int | None = daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
                exit_code = None

        window = [run for run in _job_runs(services) if run.id > window_from]
        polls = [r for r in window if r.job == "poll_orders" and r.finished_at is not None]
        poll_ms = [(r.finished_at - r.started_at).total_seconds() * 1000 for r in polls]
        window_ok = all(r.outcome in ("ok", "off") for r in window if r.finished_at is not None)
        polls_idle = all(_idle_summary(r.summary) for r in polls)

        cpu, cpu_start = time.process_time(), time.perf_counter()
        idle = sync_orders(services)
        once_ms = (time.perf_counter() - cpu_start) * 1000
        once_cpu_ms = (time.process_time() - cpu) * 1000

    cpu_percent = (mine.cpu_end - mine.cpu_start) / wall * 100
    baseline_cpu_percent = (bare.cpu_end - bare.cpu_start) / wall * 100
    rss_max = max(mine.rss_mb)
    return {
        "benchmark": "daemon_idle",
        "seconds": round(wall, 1),
        "speed": args.speed,
        "poll_interval_s": round(max(120 / args.speed, 0.2), 2),
        "orders": args.orders,
        "samples": len(mine.rss_mb),
        "rss_mb_max": round(rss_max, 1),
        "rss_mb_final": round(mine.rss_mb[-1], 1),
        "rss_mb_peak": round(mine.peak_mb, 1),
        "cpu_percent": round(cpu_percent, 3),
        "cpu_s": round(mine.cpu_end - mine.cpu_start, 3),
        "startup_cpu_s": round(startup_cpu, 3),
        "job_runs_in_window": len(window),
        "poll_cycles": len(polls),
        "poll_ms_median": round(statistics.median(poll_ms), 1) if poll_ms else None,
        "poll_ms_max": round(max(poll_ms), 1) if poll_ms else None,
        "polls_found_nothing": polls_idle,
        "jobs_ok": setup_ok and window_ok,
        "poll_ms": round(once_ms, 1),
        "poll_cpu_ms": round(once_cpu_ms, 1),
        "poll_new": idle.new,
        "poll_updated": idle.updated,
        "baseline_rss_mb": round(max(bare.rss_mb), 1),
        "baseline_cpu_percent": round(baseline_cpu_percent, 3),
        "rss_over_baseline_mb": round(rss_max - max(bare.rss_mb), 1),
        "exit_code": exit_code,
        "target_rss_mb": TARGET_RSS_MB,
        "target_cpu_percent": TARGET_CPU_PERCENT,
        "within_target": rss_max < TARGET_RSS_MB
        and cpu_percent < TARGET_CPU_PERCENT
        and exit_code == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="sampling window")
    parser.add_argument("--speed", type=float, default=12.0, help="interval divisor (1 = real)")
    parser.add_argument("--orders", type=int, default=25, help="orders already synced")
    parser.add_argument("--settle", type=float, default=3.0, help="wait after the first runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(Path(tmp) / "home", args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
