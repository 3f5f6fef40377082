"""Three packing stations on one PostgreSQL database and one sandbox: the work is shared, never
duplicated, and a station killed mid-run costs nothing.

Each station is its own CreatorFlow home (config and secrets copied from the first, as an
admin would set up a second PC) with its own ``station.name``, and runs its own daemon; they
meet only in the database, where claims are taken with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlalchemy import select

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.store.tables import JobRun
from tests.daemon.harness import Install, sandbox_install, wait_for
from tests.postgres import postgres_schema

ORDERS = 60


def _bought_per_station(install: Install) -> dict[str, int]:
    """Labels each station's daemon says it bought, from its ``buy_labels`` job runs."""
    services = Services(paths=resolve_paths(install.environ), environ=install.environ)
    try:
        with services.store.read() as session:
            runs = session.execute(
                select(JobRun.station, JobRun.summary).where(JobRun.job == "buy_labels")
            ).all()
    finally:
        services.close()
    bought: dict[str, int] = {}
    for station, summary in runs:
        count = int((summary or {}).get("bought", 0))
        bought[station] = bought.get(station, 0) + count
    return bought


def test_three_daemons_share_the_work_and_buy_nothing_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    with (
        postgres_schema(postgres_url) as url,
        sandbox_install(tmp_path, orders=ORDERS, database_url=url) as install,
    ):
        stations = [install.environ, install.station("station-b"), install.station("station-c")]
        daemons = [install.start_daemon(environ) for environ in stations]
        # Station B's PC dies in the middle of the run and comes back.
        wait_for(
            lambda: install.stats()["labels_bought"]["total"] > 0,
            timeout=60,
            what=install.daemon_said,
        )
        daemons[1].send_signal(signal.SIGKILL)
        daemons[1].wait(timeout=10)
        time.sleep(0.5)
        daemons[1] = install.start_daemon(stations[1])

        wait_for(install.all_finished, timeout=180, what=install.unfinished)
        install.assert_nothing_bought_twice()
        bought = _bought_per_station(install)
        assert set(bought) <= {"home", "station-b", "station-c"}
        assert sum(1 for n in bought.values() if n > 0) >= 2, bought
        assert sum(bought.values()) <= install.stats()["labels_bought"]["total"]

        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        assert [daemon.wait(timeout=40) for daemon in daemons] == [0, 0, 0], install.daemon_said()
