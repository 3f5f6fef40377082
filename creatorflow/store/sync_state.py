"""Where each sync stands (watermarks) and what it refused (the quarantine).

Every function runs inside the caller's transaction, so a page's orders, its quarantined
records and the watermark it reached commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from creatorflow.store.tables import QuarantinedRecord, SyncCursor

__all__ = [
    "Rejected",
    "advance_watermark",
    "quarantine",
    "quarantined_count",
    "read_cursor",
    "record_sync_failure",
]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A payload the sync refused: its text, why, and its id when one could be read."""

    raw: str
    reason: str
    external_id: str | None = None


def read_cursor(session: Session, shop_id: str, resource: str) -> SyncCursor | None:
    """The sync cursor of ``resource`` (``"orders"``, ``"products"``) for a shop, if any."""
    return session.get(SyncCursor, (shop_id, resource))


def _cursor(session: Session, shop_id: str, resource: str) -> SyncCursor:
    cursor = session.get(SyncCursor, (shop_id, resource))
    if cursor is None:
        cursor = SyncCursor(shop_id=shop_id, resource=resource)
        session.add(cursor)
    return cursor


def advance_watermark(
    session: Session,
    shop_id: str,
    resource: str,
    reached: datetime | None,
    *,
    now: datetime,
    finished: bool = False,
    full: bool = False,
) -> None:
    """Record progress: the watermark only ever moves forward.

    Args:
        reached: The newest ``update_time`` stored so far (None when the page was empty).
        finished: The whole listing was walked: also mark the run a success.
        full: The run was a full resync (recorded when it finishes).
    """
    cursor = _cursor(session, shop_id, resource)
    if reached is not None and (cursor.watermark is None or reached > cursor.watermark):
        cursor.watermark = reached
    cursor.last_run_at = now
    if finished:
        cursor.last_success_at = now
        cursor.last_error = None
        if full:
            cursor.full_sync_at = now
    session.flush()


def record_sync_failure(
    session: Session, shop_id: str, resource: str, error: str, *, now: datetime
) -> None:
    """Remember why the last run of a shop's sync stopped (shown by doctor and the TUI)."""
    cursor = _cursor(session, shop_id, resource)
    cursor.last_run_at = now
    cursor.last_error = error
    session.flush()


def quarantine(
    session: Session,
    shop_id: str | None,
    resource: str,
    rejected: Sequence[Rejected],
    *,
    now: datetime,
) -> None:
    """Keep refused payloads verbatim with their reasons; the rest of the page still lands."""
    if not rejected:
        return
    session.execute(
        insert(QuarantinedRecord),
        [
            {
                "shop_id": shop_id,
                "resource": resource,
                "external_id": _no_nul(item.external_id),
                "reason": _no_nul(item.reason),
                "raw": _no_nul(item.raw),
                "received_at": now,
            }
            for item in rejected
        ],
    )


def _no_nul(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, and a hostile payload may carry one anywhere (its id
    # too): written as its JSON escape, so the page's other orders still land.
    return text.replace("\x00", "\\u0000") if text is not None else None


def quarantined_count(session: Session, resource: str | None = None) -> int:
    """How many refused payloads are kept (of one resource, or all)."""
    query = select(func.count()).select_from(QuarantinedRecord)
    if resource is not None:
        query = query.where(QuarantinedRecord.resource == resource)
    return int(session.execute(query).scalar_one())
