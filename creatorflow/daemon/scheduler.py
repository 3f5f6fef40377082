"""The daemon's clock: APScheduler 3.11's ``BackgroundScheduler``, jobs added in code at start.

Nothing about the work lives in the scheduler (a ``MemoryJobStore``): what is still to do is
in our own tables, so after a crash or a restart the jobs simply run again. Each job runs at
start-up, then every interval from the configuration with a little jitter; ``coalesce`` turns
a backlog (after sleep/wake) into one run, ``max_instances=1`` never overlaps a job with
itself, and no misfire is dropped (a late poll is still worth doing).

``CREATORFLOW_DAEMON_TEST_SPEED`` (hidden, for tests and demos) divides every interval by its
value, so ``daemon.poll_seconds = 120`` with a speed of 120 polls every second.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from creatorflow.daemon.jobs import JOBS, Job, run_job

if TYPE_CHECKING:
    from creatorflow.daemon.log import Redactor
    from creatorflow.services.context import Services

log = logging.getLogger("creatorflow.daemon")

HEARTBEAT_SECONDS = 15.0
#: How long a stop waits for running jobs before giving up on them (the journal makes that safe).
SHUTDOWN_GRACE = 30.0
#: How long a start-up step waits before trying a busy or unreachable database again.
STORE_RETRY_SECONDS = 5.0
#: Secret values are read again this often, so a refreshed token is redacted too.
REDACT_REFRESH = timedelta(minutes=10)


def speed(environ: Mapping[str, str]) -> float:
    """The test speed-up factor (1 unless ``CREATORFLOW_DAEMON_TEST_SPEED`` is set)."""
    from creatorflow.services.context import time_speed

    return time_speed(environ)


class Daemon:
    """The scheduler and its jobs for one ``Services``; ``run`` blocks until stopped."""

    def __init__(
        self,
        services: Services,
        *,
        jobs: tuple[Job, ...] = JOBS,
        redactor: Redactor | None = None,
    ) -> None:
        self.services = services
        self.jobs = jobs
        self.redactor = redactor
        self.station = services.station
        self.started_at = datetime.now(UTC)
        self.speed = speed(services.environ)
        self._redacted_at = self.started_at
        #: Set when a stop is asked for: running jobs stop claiming new work.
        self._stopping = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(len(jobs) + 2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def _seconds(self, seconds: float) -> float:
        return max(seconds / self.speed, 0.2)

    def _add_jobs(self) -> None:
        now = datetime.now(UTC)
        self.scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=self._seconds(HEARTBEAT_SECONDS),
            id="heartbeat",
            next_run_time=now,
        )
        for index, job in enumerate(self.jobs):
            interval = self._seconds(job.interval(self.services))
            self.scheduler.add_job(
                self._run,
                "interval",
                args=(job,),
                seconds=interval,
                jitter=min(interval * 0.1, 30.0),
                id=job.name,
                name=job.name,
                # Staggered so the first runs go in the order of JOBS (poll, buy, push…).
                next_run_time=now + timedelta(seconds=self._seconds(1.0 + index)),
            )
            log.info("job=%s scheduled every %.1fs", job.name, interval)

    def _run(self, job: Job) -> None:
        result = run_job(self.services, job, self.station, self._stopping.is_set)
        if result.retry_after is not None:
            later = datetime.now(UTC) + timedelta(seconds=self._seconds(result.retry_after))
            try:
                self.scheduler.modify_job(job.name, next_run_time=later)
            except Exception:  # the scheduler is shutting down
                return
            log.info("job=%s next run pushed to %s", job.name, later.isoformat())

    def _heartbeat(self) -> None:
        from creatorflow.fileio import write_atomically
        from creatorflow.services.daemon_runs import beat, secret_values

        try:
            beat(self.services, self.station, self.started_at)
        except Exception as exc:  # try again next beat
            log.warning("heartbeat failed: %s", exc)
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "station": self.station,
            "started_at": self.started_at.isoformat(),
            "beat_at": datetime.now(UTC).isoformat(),
            "next_runs": {
                job.id: job.next_run_time.isoformat() if job.next_run_time else None
                for job in self.scheduler.get_jobs()
                if job.id != "heartbeat"
            },
        }
        import json

        try:
            write_atomically(self.services.paths.heartbeat_file, json.dumps(status), mode=0o644)
        except OSError as exc:
            log.warning("status file not written: %s", exc)
        now = datetime.now(UTC)
        if self.redactor is not None and now - self._redacted_at > REDACT_REFRESH:
            self._redacted_at = now
            self.redactor.update(secret_values(self.services))

    def run(self, stop: threading.Event, *, on_stop: Callable[[], object] | None = None) -> bool:
        """Run until ``stop`` is set; ``True`` when every running job finished in time.

        ``on_stop`` is called first when stopping, before the jobs are waited for (the
        webhook receiver stops taking work there).
        """
        from creatorflow.services.daemon_runs import clear_heartbeat

        self._stopping = stop
        self._add_jobs()
        self.scheduler.start()
        log.info("daemon started pid=%s station=%s speed=%s", os.getpid(), self.station, self.speed)
        stop.wait()
        if on_stop is not None:
            on_stop()
        log.info(
            "daemon stopping: no new runs or claims; waiting up to %.0fs for work in flight",
            SHUTDOWN_GRACE,
        )
        done = threading.Event()

        def _shutdown() -> None:
            self.scheduler.shutdown(wait=True)
            done.set()

        threading.Thread(target=_shutdown, name="creatorflow-shutdown", daemon=True).start()
        clean = done.wait(SHUTDOWN_GRACE)
        if not clean:
            log.warning("daemon stopping with jobs still running; the journal resumes them")
        try:
            clear_heartbeat(self.services, self.station)
            self.services.paths.heartbeat_file.unlink(missing_ok=True)
        except Exception as exc:
            log.warning("heartbeat not cleared: %s", exc)
        log.info("daemon stopped pid=%s clean=%s", os.getpid(), clean)
        return clean


def _when_the_store_answers(stop: threading.Event, what: str, call: Callable[[], int]) -> int:
    """``call()``, tried again every few seconds while the database is locked or unreachable.

    A daemon restarted while another program holds the database must wait, not exit (a service
    manager would restart it in a loop). An old schema is not waited for: it is raised.
    """
    from creatorflow.errors import SchemaMismatchError, StoreError

    while True:
        try:
            return call()
        except SchemaMismatchError:
            raise
        except StoreError as exc:
            log.warning("%s waits for the database: %s", what, exc)
            if stop.wait(STORE_RETRY_SECONDS):
                return 0


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM and SIGINT (and SIGBREAK on Windows) set ``stop``; main thread only."""

    def _handler(signum: int, _frame: object) -> None:
        log.info("signal=%s received", signal.Signals(signum).name)
        stop.set()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, _handler)


def run(
    services: Services,
    stop: threading.Event | None = None,
    webhooks: tuple[str, int] | None = None,
) -> bool:
    """Run the daemon in this process until SIGTERM/SIGINT (or ``stop``); ``True`` if clean.

    The caller holds the single-instance lock (:mod:`creatorflow.daemon.lock`), so runs of
    this station still marked ``running`` were cut short by the last stop and are closed
    first. With ``webhooks`` (host, port), the TikTok webhook receiver listens there from
    before the first job until the stop.

    Raises:
        WebhookAddressError: the receiver cannot listen on ``webhooks``; nothing started.
    """
    from creatorflow.daemon.log import Redactor, setup_logging
    from creatorflow.services.daemon_runs import close_interrupted_runs, secret_values
    from creatorflow.services.processes import release_orphaned_claims

    event = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        install_signal_handlers(event)
    services.store  # noqa: B018 - refuse an old schema before starting anything
    redactor = Redactor(secret_values(services))
    setup_logging(services.paths.log_dir, redactor)
    daemon = Daemon(services, redactor=redactor)
    closed = _when_the_store_answers(
        event, "closing interrupted runs", lambda: close_interrupted_runs(services, daemon.station)
    )
    if closed:
        log.info("closed %d job runs the last stop interrupted", closed)
    freed = _when_the_store_answers(
        event, "freeing orphaned claims", lambda: release_orphaned_claims(services)
    )
    if freed:
        log.info("freed %d effects claimed by processes that are gone", freed)
    if webhooks is None:
        return daemon.run(event)
    # Imported only here: an idle daemon without webhooks never loads Starlette.
    from creatorflow.daemon.webhooks import WebhookAddressError, WebhookReceiver

    receiver = WebhookReceiver(services)
    try:
        receiver.start(*webhooks)
    except WebhookAddressError as exc:
        log.error("daemon not started: %s %s", exc.message, exc.hint or "")
        raise
    try:
        return daemon.run(event, on_stop=receiver.stop)
    finally:
        receiver.stop()
