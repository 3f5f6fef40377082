"""``daemon status`` after a kill -9 and before a job's first run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.services.daemon_runs import (
    beat,
    close_interrupted_runs,
    finish_job_run,
    start_job_run,
)
from creatorflow.services.daemon_status import daemon_status
from creatorflow.services.setup import initialize


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    environ = {"CREATORFLOW_HOME": str(tmp_path / "home")}
    built = Services(paths=resolve_paths(environ), environ=environ)
    initialize(built)
    yield built
    built.close()


def test_a_run_left_behind_by_a_dead_daemon_shows_as_interrupted(services: Services) -> None:
    start_job_run(services, "buy_labels", "st1", now=datetime.now(UTC) - timedelta(minutes=5))
    # No heartbeat at all: the daemon that started the run is gone.
    assert daemon_status(services).jobs["buy_labels"].outcome == "interrupted"


def test_a_run_of_the_live_daemon_shows_as_running(services: Services) -> None:
    started = datetime.now(UTC) - timedelta(seconds=30)
    beat(services, "st1", started)
    start_job_run(services, "buy_labels", "st1")
    status = daemon_status(services)
    assert status.running
    assert status.jobs["buy_labels"].outcome == "running"


def test_a_run_older_than_the_live_daemon_is_interrupted(services: Services) -> None:
    start_job_run(services, "buy_labels", "st1", now=datetime.now(UTC) - timedelta(minutes=10))
    beat(services, "st1", datetime.now(UTC) - timedelta(minutes=1))
    assert daemon_status(services).jobs["buy_labels"].outcome == "interrupted"


def test_a_starting_daemon_closes_only_its_station_s_unfinished_runs(services: Services) -> None:
    left = start_job_run(services, "poll_orders", "st1")
    done = start_job_run(services, "push_tracking", "st1")
    finish_job_run(services, done, outcome="ok", summary={"pushed": 2})
    other = start_job_run(services, "buy_labels", "st2")
    assert close_interrupted_runs(services, "st1") == 1
    assert close_interrupted_runs(services, "st1") == 0
    beat(services, "st2", datetime.now(UTC) - timedelta(minutes=1))
    jobs = daemon_status(services).jobs
    assert jobs["poll_orders"].outcome == "interrupted"
    assert "stopped" in (jobs["poll_orders"].error or "")
    assert jobs["push_tracking"].outcome == "ok"
    # st2's run belongs to a live daemon that started before it: still running.
    assert jobs["buy_labels"].outcome == "running"
    assert left != other


def test_jobs_never_run_yet_show_their_next_run(services: Services) -> None:
    beat(services, "st1", datetime.now(UTC))
    soon = (datetime.now(UTC) + timedelta(seconds=90)).isoformat()
    services.paths.heartbeat_file.parent.mkdir(parents=True, exist_ok=True)
    services.paths.heartbeat_file.write_text(
        json.dumps({"pid": os.getpid(), "next_runs": {"sync_products": soon}}), encoding="utf-8"
    )
    job = daemon_status(services).jobs["sync_products"]
    assert job.last_run is None
    assert job.outcome is None
    assert job.next_run == soon
