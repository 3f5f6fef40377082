"""The seller's promise, end to end in separate processes, as a user would run it:
``sandbox serve`` + ``init --sandbox`` + ``orders approve --all-ready`` + ``daemon run``.

- ``kill -9`` the daemon again and again during the label run, restart it each time: the
  sandbox counts zero duplicate purchases and every approved order ends shipped (or, if the
  buyer cancelled it meanwhile, cancelled or voided).
- SIGTERM in the middle of a purchase: exit 0, and the next daemon finishes the work.
- The sandbox refusing connections for a while does not stop the daemon; when it is back,
  the work finishes.
- A second daemon on the same installation is refused.

The daemon runs with ``CREATORFLOW_DAEMON_TEST_SPEED=60`` and the sandbox's clock at 120x, so
a 15-second outage spans what would be a quarter of an hour of polling at normal speed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.store.tables import Order

#: Where an approved order may end: shipped on, or cancelled by the buyer (and its label voided).
FINISHED = {"shipped", "in_transit", "delivered", "cancelled", "voiding", "voided"}
ORDERS = 30
OUTAGE_SECONDS = 15
SERVE = (sys.executable, "-m", "creatorflow", "sandbox", "serve", "--seed", "21")


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting: {what()}")


@dataclass
class Install:
    """One CreatorFlow home wired to one running ``sandbox serve``."""

    home: Path
    environ: dict[str, str]
    sandbox: subprocess.Popen[bytes]
    daemons: list[subprocess.Popen[bytes]] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "creatorflow", *args],
            env=self.environ,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.json("sandbox", "stats")
        return data

    def start_daemon(self) -> subprocess.Popen[bytes]:
        index = len(self.daemons)
        with (self.home / f"daemon{index}.err").open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "creatorflow", "daemon", "run"],
                env=self.environ,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.daemons.append(process)
        return process

    def daemon_said(self) -> str:
        tails = [
            (self.home / f"daemon{i}.err").read_text(encoding="utf-8", errors="replace")[-800:]
            for i in range(len(self.daemons))
        ]
        return "\n---\n".join(tails)

    def stages(self) -> dict[str, str]:
        """The stage of every order approved at the start, from the store."""
        services = Services(paths=resolve_paths(self.environ), environ=self.environ)
        try:
            with services.store.read() as session:
                rows = session.execute(
                    select(Order.id, Order.stage).where(Order.id.in_(self.approved))
                ).all()
                return {order_id: stage.value for order_id, stage in rows}
        finally:
            services.close()

    def all_finished(self) -> bool:
        stages = self.stages()
        return len(stages) == len(self.approved) and set(stages.values()) <= FINISHED

    def unfinished(self) -> str:
        left = {o: s for o, s in self.stages().items() if s not in FINISHED}
        return f"unfinished {left}; daemons said:\n{self.daemon_said()}"

    def assert_nothing_bought_twice(self) -> None:
        stats = self.stats()
        assert stats["duplicate_purchases"] == 0, stats
        shipped = sum(1 for s in self.stages().values() if s in {"shipped", "in_transit"})
        # One label per shipped order (a cancelled one may have had its label voided).
        assert stats["labels_bought"]["total"] >= shipped
        assert stats["labels_bought"]["total"] <= len(self.approved), stats["labels_bought"]


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """``sandbox serve`` running, ``init --sandbox`` done, every ready order approved."""
    home = tmp_path / "home"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_DAEMON_TEST_SPEED": "60",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    home.mkdir(parents=True)
    with (tmp_path / "sandbox.err").open("wb") as err:
        sandbox = subprocess.Popen(
            [*SERVE, "--orders", str(ORDERS), "--orders-per-minute", "0", "--latency-ms", "40"],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    world = Install(home, environ, sandbox)
    try:
        sandbox_file = resolve_paths(environ).sandbox_file
        _wait_for(
            lambda: sandbox_file.exists() or sandbox.poll() is not None,
            timeout=30,
            what=lambda: "sandbox.json",
        )
        assert sandbox.poll() is None, (tmp_path / "sandbox.err").read_text(encoding="utf-8")
        init = world.run("init", "--sandbox", "--json")
        assert init.returncode == 0, init.stderr
        approved = world.json("orders", "approve", "--all-ready")
        world.approved = [row["order_id"] for row in approved["orders"] if row["approved"]]
        assert len(world.approved) >= ORDERS // 2, approved["refusal_counts"]
        yield world
    finally:
        for process in [*world.daemons, sandbox]:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=15)


def test_kill_9_again_and_again_buys_nothing_twice_and_ships_everything(install: Install) -> None:
    rng = random.Random(7)  # reproducible kill times
    kills = 0
    daemon = install.start_daemon()
    # A second daemon on the same installation is refused, naming the first.
    time.sleep(1.5)
    second = install.run("daemon", "run")
    assert second.returncode == 2, second.stderr
    assert str(daemon.pid) in second.stderr
    while kills < 8 and not install.all_finished():
        time.sleep(rng.uniform(0.3, 2.0))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        kills += 1
        daemon = install.start_daemon()
    assert kills >= 3, "the run finished before the daemon could be killed a few times"
    _wait_for(install.all_finished, timeout=120, what=install.unfinished)
    install.assert_nothing_bought_twice()
    status = install.json("daemon", "status")
    assert status["running"] is True
    assert status["queues"]["purchasing"] == 0
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, install.daemon_said()


def test_sigterm_mid_purchase_and_a_sandbox_outage_lose_nothing(install: Install) -> None:
    daemon = install.start_daemon()
    _wait_for(
        lambda: install.stats()["labels_bought"]["total"] > 0,
        timeout=60,
        what=install.daemon_said,
    )
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, install.daemon_said()
    assert "daemon stopped" in install.run("daemon", "logs", "--lines", "50").stdout
    assert not install.json("daemon", "status")["running"]

    # The sandbox goes away (connections refused) while the next daemon starts.
    down = install.run("sandbox", "outage", str(OUTAGE_SECONDS))
    assert down.returncode == 0, down.stderr
    daemon = install.start_daemon()
    _wait_for(
        lambda: (
            install.json("daemon", "status")["jobs"].get("poll_orders", {}).get("outcome")
            == "error"
        ),
        timeout=OUTAGE_SECONDS,
        what=install.daemon_said,
    )
    assert daemon.poll() is None, install.daemon_said()
    assert install.json("daemon", "status")["running"] is True

    # Back again: the same daemon finishes the work, nothing twice.
    _wait_for(install.all_finished, timeout=OUTAGE_SECONDS + 120, what=install.unfinished)
    assert daemon.poll() is None
    install.assert_nothing_bought_twice()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, install.daemon_said()
