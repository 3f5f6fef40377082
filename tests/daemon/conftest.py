"""A shop on the simulators, connected, parcelled and approved in this process, for a daemon
run in a subprocess (secrets in the opt-in file, so the subprocess finds them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.http_server import serve
from creatorflow.sandbox.easypost import EasyPostSimulator
from creatorflow.sandbox.shippo import ShippoSimulator
from creatorflow.sandbox.shippo.limits import LIVE_LIMITS
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.approval import approve_orders
from creatorflow.services.context import Services
from creatorflow.services.demo import SHIP_FROM
from creatorflow.services.label_providers import connect_provider
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.parcels import set_parcel
from creatorflow.services.product_sync import list_products, sync_products
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok

SHIPPO_KEY = "shippo_live_daemon"
EASYPOST_KEY = "EZTK_daemon"
ORDERS = 6
#: Intervals divided by this: polls every 2 s, heartbeat every 0.25 s.
SPEED = "60"


@dataclass
class Station:
    """The simulators, the install pointed at them, and the daemon processes started."""

    tiktok: TikTokShopSimulator
    shippo: ShippoSimulator
    easypost: EasyPostSimulator
    services: Services
    environ: dict[str, str]
    home: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """``creatorflow <args>`` in a subprocess, its output in files under the home."""
        index = len(self.processes)
        out = (self.home / f"proc{index}.out").open("wb")
        err = (self.home / f"proc{index}.err").open("wb")
        with out, err:
            process = subprocess.Popen(
                [sys.executable, "-m", "creatorflow", *args],
                env=self.environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        self.processes.append(process)
        return process

    def stderr(self, process: subprocess.Popen[bytes]) -> str:
        index = self.processes.index(process)
        return (self.home / f"proc{index}.err").read_text(encoding="utf-8", errors="replace")

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "creatorflow", *args],
            env=self.environ,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    tiktok = TikTokShopSimulator(seed=33, qps=1000, product_count=3)
    tiktok.generate_orders(ORDERS, spread=timedelta(hours=6), status="AWAITING_SHIPMENT")
    shippo = ShippoSimulator(
        33, api_key=SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    easypost = EasyPostSimulator(33, api_key=EASYPOST_KEY)
    home = tmp_path / "home"
    with serve(tiktok.app) as t, serve(shippo.app) as s, serve(easypost.app) as e:
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
            "CREATORFLOW_DAEMON_TEST_SPEED": SPEED,
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }
        services = Services(paths=resolve_paths(environ), environ=environ)
        initialize(services)
        home.mkdir(parents=True, exist_ok=True)
        connect_tiktok(services, auth_code=tiktok.issue_auth_code())
        connect_provider(services, "shippo", SHIPPO_KEY)
        connect_provider(services, "easypost", EASYPOST_KEY)
        sync_products(services)
        for index, sku in enumerate(list_products(services)):
            set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
        sync_orders(services)
        approved = approve_orders(services, all_ready=True)
        assert sum(1 for result in approved.results if result.approved) == ORDERS
        world = Station(tiktok, shippo, easypost, services, environ, home)
        try:
            yield world
        finally:
            world.stop_all()
            services.close()
