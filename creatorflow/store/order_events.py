"""Recording order moves: the stage change and its audit event land in one transaction.

Every event names the packing station that wrote it: the store's ``station`` (carried in
``session.info``), else this machine's host name. With several stations on one PostgreSQL
database, the history then says which station approved, bought or voided what.
"""

from __future__ import annotations

import socket
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from creatorflow.domain.stages import Actor, Stage, StageChange
from creatorflow.errors import InvalidTransitionError, StoreError
from creatorflow.store.session import STATION_INFO
from creatorflow.store.tables import EventKind, Order, OrderEvent


def station_of(session: Session) -> str:
    """The packing station writing through ``session``: the store's name for it, or the host."""
    station = session.info.get(STATION_INFO)
    return str(station) if station else socket.gethostname()


def apply_stage_change(session: Session, order_id: str, change: StageChange) -> None:
    """Move an order as ``change`` says and log it, inside the caller's write transaction.

    The update only matches while the order is still in ``change.from_stage``, so two
    processes acting on one order cannot both win. ``hold_reason`` and ``attention_reason``
    hold the reason while the order is ``held`` / ``needs_attention`` and are cleared when it
    leaves. ``version`` is bumped so stale ORM copies fail on flush.

    Raises:
        InvalidTransitionError: the order is no longer in ``change.from_stage``.
        StoreError: there is no such order.
    """
    entering_hold = change.to_stage is Stage.HELD
    entering_attention = change.to_stage is Stage.NEEDS_ATTENTION
    moved = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.stage == change.from_stage)
        .values(
            stage=change.to_stage,
            stage_changed_at=change.at,
            hold_reason=change.reason if entering_hold else None,
            attention_reason=change.reason if entering_attention else None,
            version=Order.version + 1,
        )
        .returning(Order.id)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if moved is None:
        current = session.execute(select(Order.stage).where(Order.id == order_id)).scalar()
        if current is None:
            raise StoreError(f"Order {order_id} is not in the local store.")
        raise InvalidTransitionError(
            f"Order {order_id} is now '{current}', not '{change.from_stage}': "
            "someone else moved it.",
            hint="Refresh and try again.",
        )
    session.add(
        OrderEvent(
            order_id=order_id,
            at=change.at,
            # Plain values: a driver may render an enum member by its name, not its value.
            actor=change.actor.value,
            kind=EventKind.STAGE,
            from_value=change.from_stage.value,
            to_value=change.to_stage.value,
            reason=change.reason,
            station=station_of(session),
        )
    )
    session.flush()


def record_status_change(
    session: Session,
    order_id: str,
    old: str | None,
    new: str,
    at: datetime,
    actor: Actor | str = Actor.SYNC,
) -> bool:
    """Log that TikTok's status of an order went from ``old`` to ``new``.

    Only the audit event is written: the sync that noticed the change stores the status
    itself with the rest of the order. Returns False (and writes nothing) when the status
    did not change.
    """
    if old == new:
        return False
    session.add(
        OrderEvent(
            order_id=order_id,
            at=at,
            actor=str(actor),
            kind=EventKind.STATUS,
            from_value=old,
            to_value=new,
            station=station_of(session),
        )
    )
    session.flush()
    return True
