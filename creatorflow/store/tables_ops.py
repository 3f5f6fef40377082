"""Tables for running the machine: the effect journal, sync cursors, jobs, print jobs.

``effects`` is the journal of every outside side effect (DESIGN §5): an intent is committed
under a deterministic ``key`` *before* the call, so a crash or a timeout can never lead to a
second purchase, only to a reconciliation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from creatorflow.store.base import Base, one_of, utcnow
from creatorflow.store.tables_orders import Order, Shipment, Shop
from creatorflow.store.types import Json, StrEnumText


class EffectState(StrEnum):
    """Where one journaled side effect stands."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"


class Effect(Base):
    """One external side effect (buy a label, push tracking, void, report usage)."""

    __tablename__ = "effects"
    __table_args__ = (
        one_of("state", "state", EffectState),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(None, "state", "next_attempt_at"),
        Index(None, "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Deterministic, e.g. ``label:{shop}:{order}:{package}:{generation}``.
    key: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str]
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    state: Mapped[EffectState] = mapped_column(
        StrEnumText(EffectState), default=EffectState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    request: Mapped[dict[str, Any] | None]
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None]

    # Relationships also order the INSERTs of one flush (order before effect).
    order: Mapped[Order | None] = relationship()
    shipment: Mapped[Shipment | None] = relationship()


class SyncCursor(Base):
    """How far one resource of one shop has been synced."""

    __tablename__ = "sync_cursors"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    resource: Mapped[str] = mapped_column(primary_key=True)
    #: TikTok ``update_time`` reached; the next poll overlaps it by a few minutes.
    watermark: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    full_sync_at: Mapped[datetime | None]

    shop: Mapped[Shop] = relationship()


class JobRun(Base):
    """One run of one daemon job on one station, with its outcome."""

    __tablename__ = "job_runs"
    __table_args__ = (Index(None, "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str]
    station: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None]
    summary: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)


class DaemonHeartbeat(Base):
    """The last sign of life of the daemon on each station."""

    __tablename__ = "daemon_heartbeats"

    station: Mapped[str] = mapped_column(primary_key=True)
    pid: Mapped[int]
    hostname: Mapped[str]
    version: Mapped[str]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]


class QuarantinedRecord(Base):
    """A malformed TikTok payload, kept verbatim with the reason it was refused."""

    __tablename__ = "quarantined_records"
    __table_args__ = (Index(None, "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: quarantine must accept anything, even a payload naming an unknown shop.
    shop_id: Mapped[str | None]
    resource: Mapped[str]
    external_id: Mapped[str | None]
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrintJob(Base):
    """What was printed, when, where: labels, packing slips or a pick list (a reprint buys
    nothing; it is another row here)."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    printer: Mapped[str]
    station: Mapped[str]
    batch: Mapped[str | None]
    order_ids: Mapped[list[str]] = mapped_column(Json)
    file_path: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
