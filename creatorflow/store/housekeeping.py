"""Store side of housekeeping: finding and clearing old buyer data, pruning, vacuuming.

An order is *finished* when its stage is delivered, cancelled or voided (since
``stage_changed_at``; those stages are final, and an order first seen in one got it from
TikTok's status at that time or earlier) or TikTok's status is delivered, completed or
cancelled (since ``tiktok_updated_at``). A finished order is purged when it finished before
the cut-off and still holds buyer data or was never purged; each purge writes a ``note``
event, so a payload kept after a purge is not scrubbed again and again.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from creatorflow.domain.retention import FINISHED_STATUSES, PURGED_NOTE
from creatorflow.domain.stages import Stage
from creatorflow.store.tables import (
    Effect,
    EventKind,
    JobRun,
    Order,
    OrderEvent,
    PrintJob,
    QuarantinedRecord,
    Shipment,
)

__all__ = [
    "BUYER_COLUMNS",
    "Candidate",
    "clear_buyer_data",
    "count_purge_candidates",
    "finished_before",
    "prune_job_runs",
    "prune_quarantine",
    "purge_candidates",
    "purged_print_files",
    "tidy_database",
]

log = logging.getLogger(__name__)

#: Order columns that hold the buyer's personal data, cleared by a purge.
BUYER_COLUMNS = (
    "recipient_name",
    "recipient_phone",
    "address_line1",
    "address_line2",
    "address_line3",
    "address_line4",
    "city",
    "postal_code",
    "buyer_message",
)
_FINISHED_STAGES = (Stage.DELIVERED, Stage.CANCELLED, Stage.VOIDED)
#: Free pages above this share of the file make ``VACUUM`` worth its time and lock.
_VACUUM_FREE_SHARE = 0.2


@dataclass(frozen=True)
class Candidate:
    """An order due for a purge, with its stored TikTok payload."""

    order_id: str
    raw: dict[str, Any] | None


def finished_before(cutoff: datetime) -> Any:
    """The SQL condition: the order finished before ``cutoff`` (see the module docstring)."""
    return or_(
        and_(Order.stage.in_(_FINISHED_STAGES), Order.stage_changed_at < cutoff),
        and_(Order.status.in_(sorted(FINISHED_STATUSES)), Order.tiktok_updated_at < cutoff),
    )


def _holds_buyer_data() -> Any:
    purged = exists().where(
        OrderEvent.order_id == Order.id,
        OrderEvent.kind == EventKind.NOTE,
        OrderEvent.to_value == PURGED_NOTE,
    )
    return or_(*(getattr(Order, name).is_not(None) for name in BUYER_COLUMNS), ~purged)


def purge_candidates(session: Session, cutoff: datetime, *, limit: int) -> list[Candidate]:
    """Up to ``limit`` orders finished before ``cutoff`` that still need a purge."""
    query = (
        select(Order.id, Order.raw)
        .where(finished_before(cutoff), _holds_buyer_data())
        .order_by(Order.id)
        .limit(limit)
    )
    return [Candidate(row.id, row.raw) for row in session.execute(query)]


def count_purge_candidates(session: Session, cutoff: datetime) -> int:
    """How many orders finished before ``cutoff`` still need a purge."""
    query = (
        select(func.count()).select_from(Order).where(finished_before(cutoff), _holds_buyer_data())
    )
    return int(session.execute(query).scalar_one())


def clear_buyer_data(
    session: Session,
    scrubbed: Mapping[str, dict[str, Any] | None],
    *,
    actor: str,
    now: datetime,
) -> list[str]:
    """Clear the buyer columns of these orders, store their scrubbed payloads, note each purge,
    forget their label files and label URLs and blank the words of their alerts; the label
    files' paths.

    The caller deletes the files (they hold the address) once this transaction is sure to
    commit.
    """
    if not scrubbed:
        return []
    ids = list(scrubbed)
    table: Table = Order.__table__  # type: ignore[assignment]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("p_id"))
        .values(
            raw=bindparam("p_raw"),
            version=table.c.version + 1,
            **dict.fromkeys(BUYER_COLUMNS),
        ),
        [{"p_id": order_id, "p_raw": raw} for order_id, raw in scrubbed.items()],
    )
    session.add_all(
        OrderEvent(
            order_id=order_id,
            at=now,
            actor=actor,
            kind=EventKind.NOTE,
            to_value=PURGED_NOTE,
            reason="The buyer's name, address and message were removed after the retention.",
        )
        for order_id in ids
    )
    paths = [
        str(path)
        for path in session.scalars(
            select(Shipment.label_path).where(
                Shipment.order_id.in_(ids), Shipment.label_path.is_not(None)
            )
        )
    ]
    session.execute(
        update(Shipment)
        .where(Shipment.order_id.in_(ids), Shipment.label_path.is_not(None))
        .values(label_path=None)
        .execution_options(synchronize_session=False)
    )
    for effect in session.scalars(select(Effect).where(Effect.order_id.in_(ids))):
        if effect.kind == "notify" and effect.request and effect.request.get("message"):
            effect.request = {**effect.request, "message": None, "title": None}
        if effect.result and effect.result.get("label_url"):
            # The provider's copy of the label (it shows the address) stays reachable by URL.
            effect.result = {**effect.result, "label_url": None}
    session.flush()
    return paths


def purged_print_files(session: Session, is_ours: Callable[[str], bool]) -> list[str]:
    """Files of past prints whose every order has been purged, forgotten by their print jobs.

    Only files ``is_ours`` accepts are listed and forgotten (a folder printer pointed at the
    seller's own folder keeps its files).
    """
    jobs = session.scalars(select(PrintJob).where(PrintJob.file_path.is_not(None))).all()
    if not jobs:
        return []
    wanted = {order for job in jobs for order in job.order_ids}
    unpurged = set(
        session.scalars(select(Order.id).where(Order.id.in_(wanted), _holds_buyer_data()))
    )
    files: list[str] = []
    for job in jobs:
        path = job.file_path
        if path and is_ours(path) and not unpurged.intersection(job.order_ids):
            files.append(path)
            job.file_path = None
    session.flush()
    return files


def prune_job_runs(session: Session, before: datetime) -> int:
    """Delete finished daemon job runs that started before ``before``; how many."""
    result = session.execute(
        delete(JobRun).where(JobRun.started_at < before, JobRun.outcome != "running")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prune_quarantine(session: Session, before: datetime) -> int:
    """Delete quarantined TikTok payloads (they hold buyer data) received before ``before``."""
    result = session.execute(
        delete(QuarantinedRecord).where(QuarantinedRecord.received_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _sqlite_tidy(raw: sqlite3.Connection) -> str:
    pages = int(raw.execute("PRAGMA page_count").fetchone()[0])
    free = int(raw.execute("PRAGMA freelist_count").fetchone()[0])
    if pages and free / pages > _VACUUM_FREE_SHARE:
        raw.execute("VACUUM")
        return "vacuum"
    raw.execute("PRAGMA optimize")
    return "optimize"


def tidy_database(engine: Engine) -> str:
    """Give freed space back and refresh the planner's statistics; what was done.

    SQLite: ``VACUUM`` when over a fifth of the file is free pages (it rewrites the file and
    locks out writers meanwhile), else ``PRAGMA optimize``; both outside any transaction.
    ``"busy"`` when another process kept the database locked. PostgreSQL: ``ANALYZE`` (its
    autovacuum reclaims space by itself).
    """
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            return "analyze"
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        try:
            return _sqlite_tidy(raw)
        except sqlite3.OperationalError as exc:
            log.warning("database tidy skipped: %s", exc)
            return "busy"
