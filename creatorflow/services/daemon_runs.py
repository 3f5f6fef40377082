"""What the daemon writes about itself: one ``job_runs`` row per job run, and its heartbeat.

The daemon (a front end) never touches the store directly; it calls these.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update

from creatorflow import __version__
from creatorflow.store.heartbeats import Heartbeat, record_heartbeat
from creatorflow.store.tables import DaemonHeartbeat, JobRun

if TYPE_CHECKING:
    from creatorflow.services.context import Services

#: How long ``error`` text of one run may be in the store.
MAX_ERROR = 2000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def json_safe(value: object) -> Any:
    """``value`` (a summary dataclass, a dict, a number…) as plain JSON data."""
    if is_dataclass(value) and not isinstance(value, type):
        return json_safe(asdict(value))
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(item) for item in value]
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def start_job_run(
    services: Services, job: str, station: str, *, now: datetime | None = None
) -> int:
    """Record that ``job`` started on ``station``; the id of its ``job_runs`` row."""
    with services.store.write(durable=False) as session:
        row = JobRun(job=job, station=station, started_at=now or _utcnow(), outcome="running")
        session.add(row)
        session.flush()
        return row.id


def finish_job_run(
    services: Services,
    run_id: int,
    *,
    outcome: str,
    summary: object = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record how run ``run_id`` ended: ``ok``, ``rate_limited``, ``auth_error`` or ``error``."""
    with services.store.write(durable=False) as session:
        row = session.get(JobRun, run_id)
        if row is None:
            return
        row.finished_at = now or _utcnow()
        row.outcome = outcome
        data = json_safe(summary) if summary is not None else None
        row.summary = data if isinstance(data, dict) else ({"value": data} if data else None)
        row.error = error[:MAX_ERROR] if error else None


def close_interrupted_runs(services: Services, station: str, *, now: datetime | None = None) -> int:
    """Mark this station's runs still ``running`` as ``interrupted``; how many there were.

    Called when a daemon starts, before it runs anything: the single-instance lock means no
    run of this station can still be going, so such a row is what a kill -9, a crash or a
    power cut left behind. Their work itself is safe (the journal resumes it).
    """
    with services.store.write(durable=False) as session:
        result = session.execute(
            update(JobRun)
            .where(JobRun.station == station, JobRun.outcome == "running")
            .values(
                outcome="interrupted",
                finished_at=now or _utcnow(),
                error="The daemon stopped during this run (killed, crashed or powered off).",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def beat(services: Services, station: str, started_at: datetime) -> None:
    """Refresh this daemon's heartbeat row."""
    record_heartbeat(
        services.store,
        Heartbeat(
            station=station,
            pid=os.getpid(),
            hostname=socket.gethostname(),
            version=__version__,
            started_at=started_at,
            beat_at=_utcnow(),
        ),
    )


def clear_heartbeat(services: Services, station: str) -> None:
    """Remove this station's heartbeat on a clean stop, so nobody thinks it still runs."""
    with services.store.write(durable=False) as session:
        session.execute(
            delete(DaemonHeartbeat).where(
                DaemonHeartbeat.station == station, DaemonHeartbeat.pid == os.getpid()
            )
        )


def secret_values(services: Services) -> list[str]:
    """The values of every secret the store knows (for redacting logs); never logged itself.

    A backend that cannot be read is skipped: redaction is best effort on top of never
    logging secrets in the first place.
    """
    values: list[str] = []
    try:
        entries = services.secrets.entries()
    except Exception:  # redaction must never stop the daemon
        return values
    for entry in entries:
        if not entry.set:
            continue
        try:
            value = services.secrets.get(entry.name)
        except Exception:  # noqa: S112 - one unreadable secret must not stop the daemon
            continue
        if value and len(value) >= 6:
            values.append(value)
    return values
