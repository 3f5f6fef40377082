"""The daemon in a hostile world, end to end in separate processes: 20% of the requests to every
simulator fail (5xx, 429 with Retry-After, slow answers, cut connections), the SQLite database
is locked by another program for a while, the shop's clock jumps hours ahead, and the daemon
is killed outright twice. Every approved order still ends shipped (or cancelled by its buyer),
nothing is bought twice, and the daemon itself never exits on its own.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from creatorflow.config.paths import resolve_paths
from tests.daemon.harness import sandbox_install, wait_for

ORDERS = 20
#: Longer than the store's busy timeout (15 s): writes give up with "database is locked".
LOCKED_SECONDS = 18.0


def test_faults_a_locked_database_a_clock_jump_and_kills_lose_nothing(tmp_path: Path) -> None:
    with sandbox_install(tmp_path, orders=ORDERS) as install:
        knobs = install.run("sandbox", "set", "--fault-rate", "0.2")
        assert knobs.returncode == 0, knobs.stderr
        daemon = install.start_daemon()

        for _ in range(2):
            wait_for(
                lambda: install.stats()["labels_bought"]["total"] > 0,
                timeout=60,
                what=install.daemon_said,
            )
            time.sleep(0.7)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=10)
            daemon = install.start_daemon()

        # Another program holds the database's write lock for longer than the busy timeout.
        database = resolve_paths(install.environ).database_file
        holder = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            time.sleep(LOCKED_SECONDS)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert daemon.poll() is None, install.daemon_said()
        log = install.run("daemon", "logs", "--lines", "2000").stdout
        assert "database stayed busy" in log, (
            "the lock never got in the daemon's way: the test proves nothing"
        )

        jumped = install.run("sandbox", "advance", "3h")
        assert jumped.returncode == 0, jumped.stderr

        wait_for(install.all_finished, timeout=240, what=install.unfinished)
        assert daemon.poll() is None, install.daemon_said()
        install.assert_nothing_bought_twice()
        faults = install.stats()["faults"]
        assert all(faults[name] for name in ("tiktok", "shippo", "easypost")), faults

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=40) == 0, install.daemon_said()
