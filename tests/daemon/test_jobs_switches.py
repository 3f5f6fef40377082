"""The daemon's switched jobs: listed in JOBS, off by default (hourly, recorded as ``off``,
their body never called), on at the poll interval when their setting says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from unittest.mock import ANY

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.daemon.jobs import JOBS, OFF_SECONDS, Job, run_job
from creatorflow.services.context import Services
from creatorflow.services.daemon_status import daemon_status
from creatorflow.services.setup import initialize

SWITCHED = {
    "auto_approve": {"CREATORFLOW_APPROVE_AUTO": "true"},
    "print_labels": {"CREATORFLOW_PRINTER_AUTO_PRINT": "true"},
    "notify": {"CREATORFLOW_NOTIFY_DESKTOP": "true"},
}


@pytest.fixture
def make_services(tmp_path: Path) -> Iterator[Callable[..., Services]]:
    built: list[Services] = []

    def make(**env: str) -> Services:
        environ = {"CREATORFLOW_HOME": str(tmp_path / "home"), **env}
        services = Services(paths=resolve_paths(environ), environ=environ)
        if not built:
            initialize(services)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def _job(name: str) -> Job:
    return next(job for job in JOBS if job.name == name)


def test_the_daemon_runs_the_new_jobs_in_order() -> None:
    names = [job.name for job in JOBS]
    assert {"auto_approve", "print_labels", "notify", "housekeeping"} <= set(names)
    assert len(names) == len(set(names))
    assert names.index("poll_orders") < names.index("auto_approve") < names.index("buy_labels")
    assert names.index("buy_labels") < names.index("print_labels")
    assert "billing_sync" in names


def test_billing_sync_is_on_with_a_billing_sign_in_only(
    make_services: Callable[..., Services],
) -> None:
    job = _job("billing_sync")
    services = make_services()
    assert job.enabled(services) is False
    result = run_job(services, job, "st1")
    assert result.outcome == "off"
    assert daemon_status(services).jobs["billing_sync"].summary == {"off": job.switch_text}
    signed_in = make_services(CREATORFLOW_SECRET_BILLING_INSTALL_TOKEN="cfi_x")
    assert job.enabled(signed_in) is True
    assert job.interval(signed_in) == 15 * 60
    # A token without a sign-in row (another station signed in, or a stray variable): nothing
    # to send, and the run says so.
    result = run_job(signed_in, job, "st1")
    assert (result.outcome, result.summary) == ("ok", {"billing": "off", "reason": ANY})


@pytest.mark.parametrize("name", sorted(SWITCHED))
def test_a_switched_job_is_off_by_default(
    name: str, make_services: Callable[..., Services]
) -> None:
    services = make_services()
    job = _job(name)
    assert job.enabled(services) is False
    assert job.interval(services) == OFF_SECONDS
    result = run_job(services, job, "st1")
    assert result.outcome == "off"
    status = daemon_status(services).jobs[name]
    assert status.outcome == "off"
    assert status.summary == {"off": job.switch_text}


@pytest.mark.parametrize("name", sorted(SWITCHED))
def test_a_switched_job_runs_at_the_poll_interval_once_on(
    name: str, make_services: Callable[..., Services]
) -> None:
    services = make_services(CREATORFLOW_DAEMON_POLL_SECONDS="60", **SWITCHED[name])
    job = _job(name)
    assert job.enabled(services) is True
    assert job.interval(services) == 60


def test_an_off_job_never_calls_its_body(make_services: Callable[..., Services]) -> None:
    calls: list[str] = []

    def body(_services: Services) -> object:
        calls.append("ran")
        return {}

    job = Job("probe", body, seconds=60, switch=lambda _s: False, switch_text="probe = off")
    assert run_job(make_services(), job, "st1").outcome == "off"
    assert calls == []


def test_the_notify_command_alone_switches_notify_on(
    make_services: Callable[..., Services],
) -> None:
    assert _job("notify").enabled(make_services(CREATORFLOW_NOTIFY_COMMAND="true")) is True


def test_switched_on_jobs_run_on_an_empty_store(make_services: Callable[..., Services]) -> None:
    services = make_services(
        CREATORFLOW_APPROVE_AUTO="true",
        CREATORFLOW_PRINTER_AUTO_PRINT="true",
        CREATORFLOW_NOTIFY_COMMAND="true",
    )
    for name in ("auto_approve", "print_labels", "notify", "housekeeping"):
        result = run_job(services, _job(name), "st1")
        assert result.outcome == "ok", (name, result.error)
    jobs = daemon_status(services).jobs
    assert jobs["auto_approve"].summary is not None
    assert jobs["auto_approve"].summary["checked"] == 0
    assert jobs["housekeeping"].summary is not None
    assert jobs["housekeeping"].summary["purge"]["orders"] == 0
