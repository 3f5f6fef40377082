"""What the daemon does, and how one run of a job is recorded.

Every job body calls one use case of ``creatorflow.services``. :func:`run_job` wraps it: a
``job_runs`` row is written when it starts and when it ends (outcome, summary, error); a
:class:`RateLimitedError` becomes a :class:`JobResult` asking the clock to push that job's next
run out (a worker never sleeps); an :class:`AuthError` is recorded and logged and the daemon
goes on (the next run tries again, and ``daemon status`` shows it).

Some jobs are switched on by a setting (``approve.auto``, ``printer.auto_print``, a
``notify.*`` channel) or by a sign-in (``billing_sync``: a billing install token). A job
switched off is still scheduled, only hourly, and each run is recorded with the outcome ``off``
without doing anything, so ``daemon status`` lists it and says why it does nothing. Settings
are read when the daemon starts: restart it after a change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from creatorflow.errors import AuthError, CreatorflowError, RateLimitedError

if TYPE_CHECKING:
    from creatorflow.services.context import Services

log = logging.getLogger("creatorflow.daemon.jobs")

#: Labels bought per run of ``buy_labels``: bounds how long a shutdown waits for one run.
BUY_LIMIT = 25
#: When a 429 carries no ``Retry-After``.
DEFAULT_RETRY_AFTER = 60.0
#: How often a job switched off by its setting runs (to say so in ``daemon status``).
OFF_SECONDS = 3600.0


@dataclass(frozen=True)
class Job:
    """One recurring job: its id, what it runs, and the config key of its interval."""

    name: str
    body: Callable[[Services], object]
    interval_key: str | None = None
    #: Used when ``interval_key`` is ``None``, and as the multiplier of the key's value.
    seconds: float = 1.0
    description: str = ""
    #: Whether the settings switch this job on; ``None``: always on.
    switch: Callable[[Services], bool] | None = None
    #: The settings that switch it on, as ``daemon status`` shows them when it is off.
    switch_text: str = ""
    #: ``body`` for a job that claims work item by item: it also takes "stop claiming now?",
    #: so a SIGTERM lets the items in flight finish without starting new ones.
    until: Callable[[Services, Callable[[], bool]], object] | None = None

    def enabled(self, services: Services) -> bool:
        """Whether the configuration switches this job on."""
        return self.switch is None or self.switch(services)

    def interval(self, services: Services) -> float:
        """Seconds between runs, from the configuration (:data:`OFF_SECONDS` when off)."""
        if not self.enabled(services):
            return OFF_SECONDS
        if self.interval_key is None:
            return self.seconds
        return services.settings.integer(self.interval_key) * self.seconds


@dataclass(frozen=True)
class JobResult:
    """How one run ended; ``retry_after`` asks the clock to wait that long before the next."""

    outcome: str
    summary: object = None
    error: str | None = None
    retry_after: float | None = None


def _poll_orders(services: Services) -> object:
    from creatorflow.services.order_sync import sync_orders

    return sync_orders(services)


def _buy_labels_until(services: Services, stopping: Callable[[], bool]) -> object:
    from creatorflow.services.label_buying import buy_labels

    # wait_up_to=0: effects due again later are left to the next run, never slept on here.
    return buy_labels(services, limit=BUY_LIMIT, wait_up_to=timedelta(0), stopping=stopping)


def _buy_labels(services: Services) -> object:
    return _buy_labels_until(services, lambda: False)


def _push_tracking(services: Services) -> object:
    from creatorflow.services.tracking_push import push_tracking

    return push_tracking(services)


def _void_cancelled(services: Services) -> object:
    from creatorflow.services.voids import queue_voids, void_labels

    queued = queue_voids(services)
    summary = void_labels(services)
    return {"queued": queued, "voids": summary}


def _sync_tracking(services: Services) -> object:
    from creatorflow.services.tracking_sync import sync_tracking

    return sync_tracking(services)


def _sync_products(services: Services) -> object:
    from creatorflow.services.product_sync import sync_products

    return sync_products(services)


def _auto_approve(services: Services) -> object:
    from creatorflow.services.auto_approval import auto_approve

    return auto_approve(services)


def _print_labels(services: Services) -> object:
    from creatorflow.services.printing import print_new_labels

    return print_new_labels(services)


def _notify(services: Services) -> object:
    from creatorflow.services.notifications import notify_pending

    return notify_pending(services)


def _housekeeping(services: Services) -> object:
    from creatorflow.services.housekeeping import housekeeping

    return housekeeping(services)


def _sync_billing(services: Services) -> object:
    from creatorflow.services.billing_usage import sync_billing

    return sync_billing(services)


def _billing_on(services: Services) -> bool:
    from creatorflow.services.billing_usage import billing_signed_in

    return billing_signed_in(services)


def _auto_approve_on(services: Services) -> bool:
    return services.settings.flag("approve.auto")


def _auto_print_on(services: Services) -> bool:
    return services.settings.flag("printer.auto_print")


def _notify_on(services: Services) -> bool:
    from creatorflow.services.notifications import notification_channels

    return bool(notification_channels(services))


#: The daemon's jobs, in the order they first run at start-up.
JOBS: tuple[Job, ...] = (
    Job("poll_orders", _poll_orders, "daemon.poll_seconds", description="new and changed orders"),
    Job(
        "auto_approve",
        _auto_approve,
        "daemon.poll_seconds",
        description="approve what the approve.auto rules allow",
        switch=_auto_approve_on,
        switch_text="approve.auto = false",
    ),
    Job(
        "buy_labels",
        _buy_labels,
        "daemon.poll_seconds",
        description="the approved queue",
        until=_buy_labels_until,
    ),
    Job(
        "print_labels",
        _print_labels,
        "daemon.poll_seconds",
        description="print new labels once",
        switch=_auto_print_on,
        switch_text="printer.auto_print = false",
    ),
    Job("push_tracking", _push_tracking, "daemon.poll_seconds", description="tracking to TikTok"),
    Job("void_cancelled", _void_cancelled, "daemon.poll_seconds", description="void labels"),
    Job("sync_tracking", _sync_tracking, "daemon.tracking_seconds", description="carriers"),
    Job(
        "notify",
        _notify,
        "daemon.poll_seconds",
        description="alerts: needs attention, late, disconnected",
        switch=_notify_on,
        switch_text='notify.command = "" and notify.desktop = false',
    ),
    Job(
        "billing_sync",
        _sync_billing,
        None,
        seconds=15 * 60,
        description="usage to the billing service, the plan back",
        switch=_billing_on,
        switch_text="not signed in to billing (creatorflow billing login)",
    ),
    Job("sync_products", _sync_products, None, seconds=6 * 3600, description="catalogue"),
    Job("housekeeping", _housekeeping, None, seconds=24 * 3600, description="purge, prune, tidy"),
)


def _describe(summary: object) -> str:
    from creatorflow.services.daemon_runs import json_safe

    data = json_safe(summary)
    if isinstance(data, dict):
        flat = {k: v for k, v in data.items() if isinstance(v, int | float | str) and v}
        return " ".join(f"{key}={value}" for key, value in flat.items())
    return "" if data is None else f"result={data}"


def _record_off(services: Services, job: Job, station: str) -> JobResult:
    from creatorflow.services.daemon_runs import finish_job_run, start_job_run

    result = JobResult("off", {"off": job.switch_text or "switched off"})
    try:
        run_id = start_job_run(services, job.name, station)
        finish_job_run(services, run_id, outcome=result.outcome, summary=result.summary)
    except Exception as exc:
        log.warning("job=%s could not record its run: %s", job.name, exc)
    log.debug("job=%s outcome=off (%s)", job.name, job.switch_text)
    return result


def run_job(
    services: Services, job: Job, station: str, stopping: Callable[[], bool] = lambda: False
) -> JobResult:
    """Run ``job`` once, record it in ``job_runs`` and log one line; never raises an Exception.

    ``stopping`` turns true when the daemon is asked to stop (jobs with ``until`` watch it).
    """
    from creatorflow.services.daemon_runs import finish_job_run, start_job_run

    started = time.monotonic()
    if not job.enabled(services):
        return _record_off(services, job, station)
    try:
        run_id: int | None = start_job_run(services, job.name, station)
    except Exception as exc:  # a locked database must not kill the clock
        log.warning("job=%s could not record its start: %s", job.name, exc)
        run_id = None
    try:
        summary = job.until(services, stopping) if job.until else job.body(services)
        result = JobResult("ok", summary)
    except RateLimitedError as exc:
        wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
        result = JobResult("rate_limited", error=str(exc), retry_after=max(wait, 1.0))
    except AuthError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        result = JobResult("auth_error", error=f"{exc}{hint}")
    except CreatorflowError as exc:
        result = JobResult("error", error=f"{exc.title}: {exc}")
    except Exception as exc:  # one bad run must not stop the daemon
        log.exception("job=%s crashed", job.name)
        result = JobResult("error", error=f"{type(exc).__name__}: {exc}")
    elapsed = time.monotonic() - started
    if run_id is not None:
        try:
            finish_job_run(
                services, run_id, outcome=result.outcome, summary=result.summary, error=result.error
            )
        except Exception as exc:
            log.warning("job=%s could not record its end: %s", job.name, exc)
    detail = _describe(result.summary) if result.outcome == "ok" else f"error={result.error!r}"
    level = logging.INFO if result.outcome == "ok" else logging.WARNING
    extra = f" retry_after={result.retry_after:.0f}s" if result.retry_after else ""
    log.log(
        level,
        "job=%s outcome=%s seconds=%.2f%s %s",
        job.name,
        result.outcome,
        elapsed,
        extra,
        detail,
    )
    return result
