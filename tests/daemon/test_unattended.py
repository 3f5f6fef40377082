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

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.harness import OUTAGE_SECONDS, Install, sandbox_install, wait_for


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """``sandbox serve`` running, ``init --sandbox`` done, every ready order approved."""
    with sandbox_install(tmp_path) as world:
        yield world


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
    wait_for(install.all_finished, timeout=120, what=install.unfinished)
    install.assert_nothing_bought_twice()
    status = install.json("daemon", "status")
    assert status["running"] is True
    assert status["queues"]["purchasing"] == 0
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, install.daemon_said()


def test_sigterm_mid_purchase_and_a_sandbox_outage_lose_nothing(install: Install) -> None:
    daemon = install.start_daemon()
    wait_for(
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
    wait_for(
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
    wait_for(install.all_finished, timeout=OUTAGE_SECONDS + 120, what=install.unfinished)
    assert daemon.poll() is None
    install.assert_nothing_bought_twice()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, install.daemon_said()
