"""The daemon's heartbeat rows: written by the daemon, read by ``doctor`` and ``daemon status``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from creatorflow.store.session import Store
from creatorflow.store.tables import DaemonHeartbeat


@dataclass(frozen=True)
class Heartbeat:
    """The last sign of life of the daemon on one station."""

    station: str
    pid: int
    hostname: str
    version: str
    started_at: datetime
    beat_at: datetime


def record_heartbeat(store: Store, beat: Heartbeat) -> None:
    """Insert or refresh the heartbeat of ``beat.station``."""
    with store.write() as session:
        row = session.get(DaemonHeartbeat, beat.station)
        if row is None:
            row = DaemonHeartbeat(station=beat.station)
            session.add(row)
        row.pid = beat.pid
        row.hostname = beat.hostname
        row.version = beat.version
        row.started_at = beat.started_at
        row.beat_at = beat.beat_at


def latest_heartbeat(store: Store) -> Heartbeat | None:
    """The most recent heartbeat of any station, or ``None`` if no daemon ever ran."""
    with store.read() as session:
        row = session.scalars(
            select(DaemonHeartbeat).order_by(DaemonHeartbeat.beat_at.desc()).limit(1)
        ).first()
        if row is None:
            return None
        return Heartbeat(
            station=row.station,
            pid=row.pid,
            hostname=row.hostname,
            version=row.version,
            started_at=row.started_at,
            beat_at=row.beat_at,
        )
