"""Separate processes as a user runs them: ``sandbox serve``, ``init --sandbox``, daemons.

:func:`sandbox_install` starts a sandbox for a CreatorFlow home, wires the home to it and
approves every ready order; :class:`Install` runs commands and daemons against it and judges
the outcome from the sandbox's own counts and the store.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.store.tables import Order

#: Where an approved order may end: shipped on, or cancelled by the buyer (and its label voided).
FINISHED = {"shipped", "in_transit", "delivered", "cancelled", "voiding", "voided"}
ORDERS = 30
OUTAGE_SECONDS = 15
SERVE = (sys.executable, "-m", "creatorflow", "sandbox", "serve", "--seed", "21")


def wait_for(condition: Callable[[], bool], *, timeout: float, what: Callable[[], str]) -> None:
    """Poll ``condition`` until true; fail with ``what()`` after ``timeout`` seconds."""
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

    def start_daemon(self, environ: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """``daemon run`` for this home, or for another station's ``environ``."""
        index = len(self.daemons)
        with (self.home / f"daemon{index}.err").open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "creatorflow", "daemon", "run"],
                env=environ or self.environ,
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

    def station(self, name: str) -> dict[str, str]:
        """The environment of another packing station on the same database: its own home
        (config and secrets copied from this one, as an admin would), its own name."""
        home = self.home.parent / name
        paths, other = resolve_paths(self.environ), resolve_paths({"CREATORFLOW_HOME": str(home)})
        shutil.copytree(paths.config_file.parent, other.config_file.parent)
        other.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(paths.secrets_file, other.secrets_file)
        return {**self.environ, "CREATORFLOW_HOME": str(home), "CREATORFLOW_STATION_NAME": name}


@contextmanager
def sandbox_install(
    tmp_path: Path, *, orders: int = ORDERS, database_url: str | None = None
) -> Iterator[Install]:
    """``sandbox serve`` running, ``init --sandbox`` done, every ready order approved."""
    home = tmp_path / "home"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_DAEMON_TEST_SPEED": "60",
        "CREATORFLOW_STATION_NAME": "home",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if database_url is not None:
        environ["CREATORFLOW_DATABASE_URL"] = database_url
    home.mkdir(parents=True)
    with (tmp_path / "sandbox.err").open("wb") as err:
        sandbox = subprocess.Popen(
            [*SERVE, "--orders", str(orders), "--orders-per-minute", "0", "--latency-ms", "40"],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    world = Install(home, environ, sandbox)
    try:
        sandbox_file = resolve_paths(environ).sandbox_file
        wait_for(
            lambda: sandbox_file.exists() or sandbox.poll() is not None,
            timeout=30,
            what=lambda: "sandbox.json",
        )
        assert sandbox.poll() is None, (tmp_path / "sandbox.err").read_text(encoding="utf-8")
        init = world.run("init", "--sandbox", "--json")
        assert init.returncode == 0, init.stderr
        approved = world.json("orders", "approve", "--all-ready")
        world.approved = [row["order_id"] for row in approved["orders"] if row["approved"]]
        assert len(world.approved) >= orders // 2, approved["refusal_counts"]
        yield world
    finally:
        for process in [*world.daemons, sandbox]:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=15)
