"""One job run: recorded in ``job_runs``; a 429 pushes the next run out; an auth error is
recorded, not raised; secrets never reach the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.daemon.jobs import Job, run_job
from creatorflow.daemon.log import Redactor
from creatorflow.errors import AuthError, RateLimitedError
from creatorflow.services.context import Services
from creatorflow.services.daemon_status import daemon_status
from creatorflow.services.setup import initialize


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    environ = {"CREATORFLOW_HOME": str(tmp_path / "home")}
    built = Services(paths=resolve_paths(environ), environ=environ)
    initialize(built)
    yield built
    built.close()


def _raise(error: Exception) -> Job:
    def body(_services: Services) -> object:
        raise error

    return Job("probe", body, seconds=60)


def test_a_good_run_is_recorded_with_its_summary(services: Services) -> None:
    result = run_job(services, Job("probe", lambda _s: {"bought": 3}, seconds=60), "st1")
    assert result.outcome == "ok"
    job = daemon_status(services).jobs["probe"]
    assert job.outcome == "ok"
    assert job.summary == {"bought": 3}
    assert job.finished_at is not None


def test_a_rate_limit_asks_for_a_later_run_and_never_sleeps(services: Services) -> None:
    result = run_job(services, _raise(RateLimitedError("slow down", retry_after=42)), "st1")
    assert result.outcome == "rate_limited"
    assert result.retry_after == 42
    assert daemon_status(services).jobs["probe"].outcome == "rate_limited"


def test_an_auth_error_is_recorded_not_raised(services: Services) -> None:
    result = run_job(services, _raise(AuthError("token revoked", hint="Reconnect.")), "st1")
    assert result.outcome == "auth_error"
    job = daemon_status(services).jobs["probe"]
    assert job.outcome == "auth_error"
    assert job.error is not None
    assert "token revoked" in job.error


def test_an_unexpected_crash_is_recorded(services: Services) -> None:
    result = run_job(services, _raise(ValueError("boom")), "st1")
    assert result.outcome == "error"
    assert "boom" in (result.error or "")


def test_status_with_no_daemon_ever(services: Services) -> None:
    status = daemon_status(services)
    assert status.running is False
    assert status.pid is None
    assert status.queues == {"approved": 0, "purchasing": 0, "needs_attention": 0}


def test_the_redactor_hides_known_values_and_secret_shapes() -> None:
    redactor = Redactor(["s3cr3t-value-123"])
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "key %s access_token=abcdefgh Bearer zzzzzzzzzz",
        ("s3cr3t-value-123",),
        None,
    )
    redactor.filter(record)
    text = record.getMessage()
    assert "s3cr3t-value-123" not in text
    assert "abcdefgh" not in text
    assert "zzzzzzzzzz" not in text
    assert text.count("[redacted]") == 3


def test_the_clock_pushes_a_rate_limited_job_out(services: Services) -> None:
    from datetime import UTC, datetime, timedelta

    from creatorflow.daemon.scheduler import Daemon

    job = _raise(RateLimitedError("slow down", retry_after=600))
    daemon = Daemon(services, jobs=(job,))
    daemon._add_jobs()
    daemon.scheduler.start(paused=True)
    try:
        daemon._run(job)
        scheduled = daemon.scheduler.get_job("probe")
        assert scheduled is not None
        assert scheduled.next_run_time > datetime.now(UTC) + timedelta(seconds=590)
    finally:
        daemon.scheduler.shutdown(wait=False)


def test_a_job_that_claims_item_by_item_sees_the_stop_request(services: Services) -> None:
    seen: list[bool] = []
    job = Job(
        "probe",
        lambda _s: seen.append(False),
        seconds=60,
        until=lambda _s, stopping: seen.append(stopping()),
    )
    run_job(services, job, "st1", stopping=lambda: True)
    run_job(services, job, "st1")
    assert seen == [True, False]


def test_the_daemon_log_is_owner_only(tmp_path: Path) -> None:
    from creatorflow.daemon.log import setup_logging, teardown_logging

    path = setup_logging(tmp_path / "logs", Redactor([]))
    try:
        logging.getLogger("creatorflow.daemon").info("order 576021 bought")
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        teardown_logging()
