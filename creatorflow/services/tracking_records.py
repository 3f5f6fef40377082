"""The transactions of tracking sync (see ``tracking_sync``): each short, none around a call.

:func:`load_jobs` reads what to track; :func:`record_tracking` stores one carrier answer for
one shipment, moves its order along ``shipped → in_transit → delivered`` and judges the order;
:func:`judge_orders` judges orders without a fresh answer (no label yet, a provider error).

*Judging* an order means storing two flags and logging when they are raised:

* ``dispatch_state`` — :func:`creatorflow.domain.deadlines.dispatch_state` against TikTok's
  ship-by time (``shipping_due_at``, else computed from the paid time), judged by the
  carrier's first scan. An order with several labels counts as scanned once *all* are
  scanned (the latest first scan), so one forgotten package is never hidden by another.
* ``possibly_lost`` — see :func:`is_possibly_lost`.

A raised flag (``at_risk``, ``overdue``, ``late``; ``possibly_lost``) writes a ``note`` event
by the daemon, so the order's history shows when it was flagged. Nothing is written when
nothing changed: running twice logs nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from creatorflow.domain.deadlines import (
    DispatchState,
    business_days_between,
    dispatch_due,
    dispatch_state,
    local_date,
)
from creatorflow.domain.stages import Stage
from creatorflow.services.context import Services
from creatorflow.services.label_records import move

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import Label, TrackingUpdate

__all__ = [
    "FLAGGED_STATES",
    "LOST_AFTER_BUSINESS_DAYS",
    "TRACKED_STAGES",
    "Judgement",
    "RecordOutcome",
    "TrackJob",
    "is_possibly_lost",
    "judge_orders",
    "load_jobs",
    "orders_in_scope",
    "record_tracking",
]

#: Orders whose labels are tracked and whose dispatch is judged.
TRACKED_STAGES = (Stage.LABELLED, Stage.SHIPPED, Stage.IN_TRANSIT)

#: Dispatch states that write an event when an order enters them.
FLAGGED_STATES = frozenset({DispatchState.AT_RISK, DispatchState.OVERDUE, DispatchState.LATE})

#: No carrier scan for this many business days: the parcel may be lost (TikTok's rule).
LOST_AFTER_BUSINESS_DAYS = 7

_NOT_A_SCAN = frozenset({"unknown", "pre_transit"})
_FINISHED = frozenset({"delivered", "returned"})
_TROUBLE = {"returned": "returned to the sender", "failure": "a delivery failure"}
_ACTOR = "daemon"


@dataclass(frozen=True)
class TrackJob:
    """One bought label to ask its provider about, read in one short transaction."""

    shipment_id: int
    order_id: str
    cipher: str
    label: Label

    @property
    def provider(self) -> str:
        """The provider that sold the label."""
        return self.label.provider


@dataclass(frozen=True)
class Judgement:
    """An order's flags after judging."""

    order_id: str
    dispatch_state: DispatchState
    possibly_lost: bool


@dataclass
class RecordOutcome:
    """What storing one tracking answer did."""

    judgement: Judgement | None
    moved_to: list[Stage] = field(default_factory=list)


def _label(row: Any) -> Label:
    from creatorflow.integrations.shipping.base import Label, LabelFormat

    try:
        label_format = LabelFormat(row.label_format or LabelFormat.PDF_4X6.value)
    except ValueError:
        label_format = LabelFormat.PDF_4X6
    return Label(
        provider=row.provider,
        label_id=row.provider_transaction_id or "",
        tracking_number=row.tracking_number or "",
        carrier=row.carrier or "",
        service=row.service or "",
        cost=row.cost if row.cost is not None else Decimal(0),
        currency=row.currency or "USD",
        label_url=None,
        label_format=label_format,
        rate_id=row.provider_rate_id,
        shipment_id=row.provider_shipment_id,
        tracking_url=row.tracking_url,
    )


def load_jobs(services: Services, order_ids: Collection[str] | None = None) -> list[TrackJob]:
    """Every purchased label of an order in a tracked stage, oldest order first."""
    from creatorflow.store.tables import Order, Shipment, ShipmentState, Shop

    query = (
        select(Shipment, Shop.cipher)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .where(Shipment.state == ShipmentState.PURCHASED, Order.stage.in_(TRACKED_STAGES))
        .order_by(Order.shipping_due_at, Shipment.id)
    )
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    with services.store.read() as session:
        return [
            TrackJob(shipment.id, shipment.order_id, cipher, _label(shipment))
            for shipment, cipher in session.execute(query).all()
        ]


def orders_in_scope(services: Services, order_ids: Collection[str] | None = None) -> list[str]:
    """The orders in a tracked stage (they are judged even when no label could be tracked)."""
    from creatorflow.store.tables import Order

    query = select(Order.id).where(Order.stage.in_(TRACKED_STAGES)).order_by(Order.id)
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    with services.store.read() as session:
        return list(session.scalars(query))


def is_possibly_lost(
    *, last_scan_at: datetime | None, bought_at: datetime, status: str | None, now: datetime
) -> bool:
    """No carrier scan for :data:`LOST_AFTER_BUSINESS_DAYS` business days, and not delivered.

    The days are counted (shop time zone, weekends and US federal holidays skipped) from the
    last carrier scan; a parcel the carrier never scanned counts from the label's purchase
    (handed over and never scanned is how parcels get lost at pick-up). A delivered or
    returned parcel is never lost.
    """
    if status in _FINISHED:
        return False
    since = last_scan_at or bought_at
    return business_days_between(local_date(since), local_date(now)) >= LOST_AFTER_BUSINESS_DAYS


def _note(
    session: Session, order_id: str, now: datetime, reason: str, old: str | None, new: str | None
) -> None:
    from creatorflow.store.tables import EventKind, OrderEvent

    session.add(
        OrderEvent(
            order_id=order_id,
            at=now,
            actor=_ACTOR,
            kind=EventKind.NOTE,
            from_value=old,
            to_value=new,
            reason=reason,
        )
    )


def _dispatch_reason(state: DispatchState, due: datetime, scanned: datetime | None) -> str:
    shown = due.isoformat(timespec="minutes")
    if state is DispatchState.LATE:
        assert scanned is not None
        return (
            f"Dispatched late: the carrier's first scan ({scanned.isoformat(timespec='minutes')}) "
            f"came after TikTok's ship-by time ({shown})."
        )
    if state is DispatchState.OVERDUE:
        return f"Dispatch overdue: no carrier scan by TikTok's ship-by time ({shown})."
    return f"Dispatch at risk: no carrier scan yet and TikTok's ship-by time is {shown}."


def _judge(
    session: Session, order_id: str, *, now: datetime, warn_before: timedelta
) -> Judgement | None:
    """Recompute and store an order's flags; log each flag raised. None: no such order."""
    from creatorflow.store.tables import Order, Shipment, ShipmentState

    row = session.execute(
        select(
            Order.shipping_due_at,
            Order.paid_at,
            Order.tiktok_created_at,
            Order.dispatch_state,
            Order.possibly_lost,
        ).where(Order.id == order_id)
    ).one_or_none()
    if row is None:
        return None
    labels = session.execute(
        select(
            Shipment.first_scan_at,
            Shipment.last_scan_at,
            Shipment.created_at,
            Shipment.tracking_status,
        ).where(Shipment.order_id == order_id, Shipment.state == ShipmentState.PURCHASED)
    ).all()
    scans = [label.first_scan_at for label in labels if label.first_scan_at is not None]
    first_scan = max(scans) if labels and len(scans) == len(labels) else None
    due = dispatch_due(row.shipping_due_at, row.paid_at or row.tiktok_created_at)
    state = dispatch_state(due, first_scan_at=first_scan, now=now, warn_before=warn_before)
    lost = any(
        is_possibly_lost(
            last_scan_at=label.last_scan_at,
            bought_at=label.created_at,
            status=label.tracking_status,
            now=now,
        )
        for label in labels
    )
    changes: dict[str, Any] = {}
    if row.dispatch_state != state.value:
        changes["dispatch_state"] = state.value
        if state in FLAGGED_STATES:
            reason = _dispatch_reason(state, due, first_scan)
            _note(session, order_id, now, reason, row.dispatch_state, state.value)
    if row.possibly_lost != lost:
        changes["possibly_lost"] = lost
        days = LOST_AFTER_BUSINESS_DAYS
        reason = (
            f"Possibly lost: no carrier scan for {days} business days."
            if lost
            else "No longer possibly lost: the carrier has scanned the parcel again."
        )
        _note(session, order_id, now, reason, None, "possibly_lost" if lost else None)
    if changes:
        session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(**changes, version=Order.version + 1)
            .execution_options(synchronize_session=False)
        )
    return Judgement(order_id, state, lost)


def _scan_times(found: TrackingUpdate) -> tuple[datetime | None, datetime | None]:
    carrier = [event.at for event in found.events if event.status.value not in _NOT_A_SCAN]
    delivered = [event.at for event in found.events if event.status.value == "delivered"]
    return (max(carrier) if carrier else None), (max(delivered) if delivered else None)


def record_tracking(
    services: Services,
    job: TrackJob,
    found: TrackingUpdate,
    *,
    now: datetime,
    warn_before: timedelta,
) -> RecordOutcome:
    """Store one carrier answer, move the order on and judge it, in one short transaction.

    ``first_scan_at`` only ever moves earlier, ``last_scan_at`` only later. ``shipped``
    becomes ``in_transit`` at the first scan and ``delivered`` once every label of the order
    is delivered; a ``labelled`` order (tracking not yet pushed) keeps its stage.
    """
    from creatorflow.store.tables import Order, Shipment, ShipmentState

    last_scan, delivered_at = _scan_times(found)
    with services.store.write() as session:
        shipment = session.get(Shipment, job.shipment_id)
        if shipment is None or shipment.state is not ShipmentState.PURCHASED:
            return RecordOutcome(None)
        old_status = shipment.tracking_status
        status = found.status.value
        shipment.tracking_status = status
        shipment.tracking_checked_at = now
        first = found.first_scan_at
        if first is not None and (shipment.first_scan_at is None or first < shipment.first_scan_at):
            shipment.first_scan_at = first
        if last_scan is not None and (
            shipment.last_scan_at is None or last_scan > shipment.last_scan_at
        ):
            shipment.last_scan_at = last_scan
        if status == "delivered" and shipment.delivered_at is None:
            shipment.delivered_at = delivered_at or now
        session.flush()
        if status in _TROUBLE and old_status != status:
            reason = f"The carrier reports {_TROUBLE[status]} ({job.label.tracking_number})."
            _note(session, job.order_id, now, reason, old_status, status)
        outcome = RecordOutcome(None)
        stage = session.execute(select(Order.stage).where(Order.id == job.order_id)).scalar_one()
        if stage in (Stage.SHIPPED, Stage.IN_TRANSIT):
            labels = session.execute(
                select(Shipment.first_scan_at, Shipment.delivered_at).where(
                    Shipment.order_id == job.order_id,
                    Shipment.state == ShipmentState.PURCHASED,
                )
            ).all()
            scanned = any(label.first_scan_at or label.delivered_at for label in labels)
            done = bool(labels) and all(label.delivered_at for label in labels)
            if (scanned or done) and move(
                session,
                job.order_id,
                Stage.IN_TRANSIT,
                now=now,
                reason=f"First carrier scan of {job.label.tracking_number}.",
            ):
                outcome.moved_to.append(Stage.IN_TRANSIT)
            if done and move(
                session,
                job.order_id,
                Stage.DELIVERED,
                now=now,
                reason=f"The carrier delivered {job.label.tracking_number}.",
            ):
                outcome.moved_to.append(Stage.DELIVERED)
        # An order voided or set aside meanwhile keeps its label's news but is not judged.
        if outcome.moved_to or stage in TRACKED_STAGES:
            outcome.judgement = _judge(session, job.order_id, now=now, warn_before=warn_before)
        return outcome


def judge_orders(
    services: Services, order_ids: Sequence[str], *, now: datetime, warn_before: timedelta
) -> list[Judgement]:
    """Judge orders still in a tracked stage, without asking any carrier (one transaction)."""
    from creatorflow.store.tables import Order

    if not order_ids:
        return []
    judged: list[Judgement] = []
    with services.store.write() as session:
        current = session.scalars(
            select(Order.id).where(Order.id.in_(list(order_ids)), Order.stage.in_(TRACKED_STAGES))
        ).all()
        for order_id in current:
            judgement = _judge(session, order_id, now=now, warn_before=warn_before)
            if judgement is not None:
                judged.append(judgement)
    return judged
