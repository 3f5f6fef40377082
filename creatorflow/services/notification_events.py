"""What deserves an alert now: the events :mod:`creatorflow.services.notifications` sends.

Each event has a deterministic key, so it is journaled (and so sent) once, however often it is
found again, across restarts and stations:

* ``needs_attention`` — an order in that stage, once per time it entered it;
* ``at_risk`` / ``overdue`` — an order TikTok still waits for, no carrier scan, with its
  ship-by time within :data:`~creatorflow.services.tracking_sync.WARN_BEFORE` or past
  (:func:`creatorflow.domain.deadlines.dispatch_state`); a late first scan counts as
  ``overdue``. Once per order and level;
* ``parcel_lost`` — tracking sync flagged the parcel possibly lost; once per order;
* ``auth_lost`` — a shop whose authorisation was revoked, whose refresh token has expired, or
  whose tokens a daemon job was refused with; once per authorisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creatorflow.domain.deadlines import DispatchState, dispatch_due, dispatch_state, time_left
from creatorflow.domain.guards import BUYABLE_STATUS
from creatorflow.domain.stages import Stage
from creatorflow.services.context import Services

__all__ = ["NotifyEvent", "find_events"]

#: Stages before a label could be scanned: judged here from TikTok's ship-by time.
_UNSHIPPED = (Stage.NEW, Stage.APPROVED, Stage.PURCHASING, Stage.HELD, Stage.NEEDS_ATTENTION)
#: Stages whose dispatch state tracking sync keeps (it knows the first scan).
_TRACKED = (Stage.LABELLED, Stage.SHIPPED, Stage.IN_TRANSIT)
_GONE = (Stage.DELIVERED, Stage.CANCELLED, Stage.VOIDING, Stage.VOIDED)
_LEVEL = {
    DispatchState.AT_RISK.value: "at_risk",
    DispatchState.OVERDUE.value: "overdue",
    DispatchState.LATE.value: "overdue",
}
_MAX_REASON = 300


@dataclass(frozen=True)
class NotifyEvent:
    """One alert to send once: its journal key, kind, words, and what it is about."""

    key: str
    event: str
    title: str
    message: str
    order_id: str | None = None
    shop_id: str | None = None


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "-"


def _shown(moment: datetime) -> str:
    return moment.astimezone().strftime("%a %d %b %H:%M")


def _attention(session: Session) -> Iterator[NotifyEvent]:
    from creatorflow.store.tables import Order

    rows = session.execute(
        select(Order.id, Order.shop_id, Order.stage_changed_at, Order.attention_reason)
        .where(Order.stage == Stage.NEEDS_ATTENTION)
        .order_by(Order.stage_changed_at, Order.id)
    )
    for row in rows:
        reason = (row.attention_reason or "no reason recorded").strip()[:_MAX_REASON]
        yield NotifyEvent(
            key=f"notify:needs_attention:{row.id}:{_stamp(row.stage_changed_at)}",
            event="needs_attention",
            title=f"Order {row.id} needs attention",
            message=f"Order {row.id} needs attention: {reason}",
            order_id=row.id,
            shop_id=row.shop_id,
        )


def _deadline(order_id: str, shop_id: str, level: str, due: datetime, now: datetime) -> NotifyEvent:
    left = time_left(due, now)
    if level == "at_risk":
        title = f"Order {order_id} is due to ship soon"
        message = (
            f"Order {order_id} must be scanned by the carrier by {_shown(due)} ({left}); "
            "TikTok counts a later scan as a late dispatch."
        )
    else:
        title = f"Order {order_id} missed its ship-by time"
        message = (
            f"Order {order_id} was due to be scanned by the carrier by {_shown(due)} "
            f"({left}); ship it as soon as you can."
        )
    return NotifyEvent(
        key=f"notify:{level}:{order_id}",
        event=level,
        title=title,
        message=message,
        order_id=order_id,
        shop_id=shop_id,
    )


def _deadlines(session: Session, now: datetime, warn_before: timedelta) -> Iterator[NotifyEvent]:
    from creatorflow.store.tables import Order

    columns = (
        Order.id,
        Order.shop_id,
        Order.stage,
        Order.dispatch_state,
        Order.shipping_due_at,
        Order.paid_at,
        Order.tiktok_created_at,
    )
    waiting = session.execute(
        select(*columns)
        .where(Order.stage.in_(_UNSHIPPED), Order.status == BUYABLE_STATUS)
        .order_by(Order.shipping_due_at, Order.id)
    )
    for row in waiting:
        due = dispatch_due(row.shipping_due_at, row.paid_at or row.tiktok_created_at)
        state = dispatch_state(due, first_scan_at=None, now=now, warn_before=warn_before)
        level = _LEVEL.get(state.value)
        if level is not None:
            yield _deadline(row.id, row.shop_id, level, due, now)
    flagged = session.execute(
        select(*columns)
        .where(Order.stage.in_(_TRACKED), Order.dispatch_state.in_(list(_LEVEL)))
        .order_by(Order.shipping_due_at, Order.id)
    )
    for row in flagged:
        due = dispatch_due(row.shipping_due_at, row.paid_at or row.tiktok_created_at)
        yield _deadline(row.id, row.shop_id, _LEVEL[row.dispatch_state], due, now)


def _lost_parcels(session: Session) -> Iterator[NotifyEvent]:
    from creatorflow.store.tables import Order

    rows = session.execute(
        select(Order.id, Order.shop_id)
        .where(Order.possibly_lost.is_(True), Order.stage.not_in(_GONE))
        .order_by(Order.id)
    )
    for row in rows:
        yield NotifyEvent(
            key=f"notify:parcel_lost:{row.id}",
            event="parcel_lost",
            title=f"Order {row.id}: parcel possibly lost",
            message=(
                f"The parcel of order {row.id} has had no carrier scan for 7 business days; "
                "it may be lost. Check with the carrier."
            ),
            order_id=row.id,
            shop_id=row.shop_id,
        )


def _refused_since(session: Session) -> tuple[datetime | None, str | None]:
    """When a daemon job whose latest run was refused for authorisation ran, and why."""
    from creatorflow.store.tables import JobRun

    latest = select(func.max(JobRun.id).label("last_id")).group_by(JobRun.job).subquery()
    rows = session.execute(
        select(JobRun.started_at, JobRun.error)
        .join(latest, JobRun.id == latest.c.last_id)
        .where(JobRun.outcome == "auth_error")
        .order_by(JobRun.started_at.desc())
    ).all()
    return (rows[0].started_at, rows[0].error) if rows else (None, None)


def _auth(session: Session, now: datetime) -> Iterator[NotifyEvent]:
    from creatorflow.store.tables import Shop

    refused_at, error = _refused_since(session)
    for shop in session.scalars(select(Shop).order_by(Shop.name, Shop.id)):
        if shop.deauthorized_at is not None:
            why = f"the authorisation was revoked on {_shown(shop.deauthorized_at)}"
        elif shop.refresh_token_expires_at is not None and shop.refresh_token_expires_at <= now:
            why = f"its refresh token expired on {_shown(shop.refresh_token_expires_at)}"
        elif refused_at is not None and refused_at > shop.authorized_at:
            why = f"TikTok refused its tokens ({(error or 'no detail')[:_MAX_REASON]})"
        else:
            continue
        yield NotifyEvent(
            key=f"notify:auth_lost:{shop.id}:{_stamp(shop.authorized_at)}",
            event="auth_lost",
            title=f"TikTok shop {shop.name} is disconnected",
            message=(
                f"CreatorFlow can no longer reach TikTok shop {shop.name}: {why}. "
                "Orders are not synced until you run: creatorflow connect tiktok"
            ),
            shop_id=shop.id,
        )


def find_events(services: Services, *, now: datetime) -> list[NotifyEvent]:
    """Every event that deserves an alert now (sent or not; the journal key dedupes)."""
    from creatorflow.services.tracking_sync import WARN_BEFORE

    with services.store.read() as session:
        return [
            *_auth(session, now),
            *_attention(session),
            *_deadlines(session, now, WARN_BEFORE),
            *_lost_parcels(session),
        ]
