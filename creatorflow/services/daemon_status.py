"""``daemon status``: is the daemon alive, how did its jobs go, how deep are the queues.

Reads the store (heartbeat, ``job_runs``, order stages) and the daemon's status file in the
state folder (for each job's next run); never imports the scheduler, so it is cheap.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from creatorflow.domain.stages import Stage
from creatorflow.services.processes import pid_alive
from creatorflow.store.heartbeats import Heartbeat, latest_heartbeat
from creatorflow.store.tables import JobRun, Order

if TYPE_CHECKING:
    from creatorflow.services.context import Services

#: The daemon beats every 15 s; three missed beats and it counts as stopped.
STALE_AFTER = timedelta(seconds=45)
QUEUE_STAGES = (Stage.APPROVED, Stage.PURCHASING, Stage.NEEDS_ATTENTION)


@dataclass(frozen=True)
class JobStatus:
    """The last run of one daemon job, and its next one when the daemon says."""

    last_run: datetime | None
    finished_at: datetime | None
    outcome: str | None
    error: str | None
    summary: dict[str, Any] | None
    next_run: str | None = None


@dataclass(frozen=True)
class DaemonStatus:
    """What ``daemon status`` shows."""

    running: bool
    pid: int | None
    station: str | None
    hostname: str | None
    version: str | None
    started_at: datetime | None
    last_beat_at: datetime | None
    uptime_s: int | None
    jobs: dict[str, JobStatus] = field(default_factory=dict)
    queues: dict[str, int] = field(default_factory=dict)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _outcome(
    outcome: str | None, started_at: datetime, beat: Heartbeat | None, running: bool
) -> str | None:
    """``running`` only while a live daemon started the run; else what kill -9 left behind."""
    if outcome != "running":
        return outcome
    if running and beat is not None and started_at >= beat.started_at:
        return outcome
    return "interrupted"


def read_status_file(services: Services) -> dict[str, Any]:
    """The daemon's own status file (pid, next runs), or ``{}`` when absent or unreadable."""
    try:
        data = json.loads(services.paths.heartbeat_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def daemon_status(services: Services, *, now: datetime | None = None) -> DaemonStatus:
    """The daemon's state as recorded in the store."""
    moment = now or _utcnow()
    store = services.store
    beat = latest_heartbeat(store)
    running = False
    if beat is not None:
        running = moment - beat.beat_at <= STALE_AFTER
        if running and beat.hostname == socket.gethostname():
            running = pid_alive(beat.pid)
    file = read_status_file(services)
    next_runs = file.get("next_runs", {}) if running else {}
    jobs: dict[str, JobStatus] = {}
    with store.read() as session:
        latest = (
            select(JobRun.job, func.max(JobRun.id).label("last_id")).group_by(JobRun.job).subquery()
        )
        rows = session.scalars(
            select(JobRun).join(latest, JobRun.id == latest.c.last_id).order_by(JobRun.job)
        ).all()
        if not isinstance(next_runs, dict):
            next_runs = {}
        for row in rows:
            nxt = next_runs.get(row.job)
            jobs[row.job] = JobStatus(
                last_run=row.started_at,
                finished_at=row.finished_at,
                outcome=_outcome(row.outcome, row.started_at, beat, running),
                error=row.error,
                summary=row.summary,
                next_run=str(nxt) if nxt else None,
            )
        for name, nxt in next_runs.items():
            # A job the running daemon has scheduled but not yet run (first start, a new job).
            if name not in jobs:
                jobs[name] = JobStatus(None, None, None, None, None, str(nxt) if nxt else None)
        counts = dict(
            session.execute(
                select(Order.stage, func.count())
                .where(Order.stage.in_(QUEUE_STAGES))
                .group_by(Order.stage)
            ).all()
        )
    queues = {stage.value: int(counts.get(stage, 0)) for stage in QUEUE_STAGES}
    if beat is None:
        return DaemonStatus(False, None, None, None, None, None, None, None, jobs, queues)
    return DaemonStatus(
        running=running,
        pid=beat.pid,
        station=beat.station,
        hostname=beat.hostname,
        version=beat.version,
        started_at=beat.started_at,
        last_beat_at=beat.beat_at,
        uptime_s=int((moment - beat.started_at).total_seconds()) if running else None,
        jobs=jobs,
        queues=queues,
    )
