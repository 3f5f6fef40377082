"""``creatorflow daemon run`` in a subprocess: works the queue unattended, one instance only,
stops cleanly on SIGTERM, and ``daemon status --json`` tells about it."""

from __future__ import annotations

import json
import signal

from sqlalchemy import func, select

from creatorflow.store.tables import Order
from tests.daemon.conftest import ORDERS, Station, wait_for

DONE = {"shipped", "in_transit", "delivered"}


def _stages(station: Station) -> dict[str, int]:
    with station.services.store.read() as session:
        rows = session.execute(select(Order.stage, func.count()).group_by(Order.stage)).all()
        return {stage.value: int(count) for stage, count in rows}


def _status(station: Station) -> dict[str, object]:
    done = station.run("daemon", "status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_the_daemon_buys_and_ships_every_approved_order_unattended(station: Station) -> None:
    daemon = station.start("daemon", "run")
    wait_for(
        lambda: sum(n for stage, n in _stages(station).items() if stage in DONE) == ORDERS,
        timeout=40,
        what=f"{ORDERS} orders shipped; daemon said: {station.stderr(daemon)[-2000:]}",
    )
    assert daemon.poll() is None

    status = _status(station)
    assert status["running"] is True
    assert status["pid"] == daemon.pid
    assert status["queues"] == {"approved": 0, "purchasing": 0, "needs_attention": 0}
    jobs = status["jobs"]
    assert isinstance(jobs, dict)
    for name in ("poll_orders", "buy_labels", "push_tracking", "void_cancelled"):
        assert name in jobs, jobs
    assert jobs["buy_labels"]["outcome"] == "ok", jobs["buy_labels"]
    assert jobs["poll_orders"]["outcome"] == "ok", jobs["poll_orders"]
    assert jobs["poll_orders"]["next_run"]

    # A second daemon is refused with exit code 2, naming the one that runs.
    second = station.run("daemon", "run")
    assert second.returncode == 2, second.stderr
    assert str(daemon.pid) in second.stderr

    # SIGTERM: stop, let running jobs finish, exit 0, heartbeat gone.
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=35) == 0, station.stderr(daemon)[-2000:]
    assert _status(station)["running"] is False

    logs = station.run("daemon", "logs", "--lines", "500")
    assert logs.returncode == 0
    assert "job=buy_labels outcome=ok" in logs.stdout
    assert "daemon stopped" in logs.stdout
    assert station.tiktok.app_secret not in logs.stdout

    # Nothing was bought twice.
    labels = station.tiktok.stats()["label_purchases"]
    assert isinstance(labels, dict)
    assert all(int(n) == 1 for n in labels.values())
    assert int(station.shippo.stats()["duplicate_purchases"]) == 0
    assert station.easypost.stats()["duplicate_purchases"] == 0
