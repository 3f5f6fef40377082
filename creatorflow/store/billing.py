"""Reads and writes of the billing tables, each inside the caller's transaction.

The outbox insert (:func:`add_labelled`) is an insert-or-ignore on the deterministic event id
(``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL), so the transaction that records a label
can always call it: a re-buy, a retried record or a second station adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creatorflow.domain.entitlement import next_trusted_time, usage_event_id
from creatorflow.domain.stages import Stage
from creatorflow.store.tables import BillingState, Order, UsageEvent

__all__ = [
    "add_labelled",
    "billing_state",
    "clear_billing_state",
    "committed_orders",
    "mark_failed",
    "mark_sent",
    "note_trusted_time",
    "prune_sent",
    "save_sign_in",
    "save_token",
    "unsent_count",
    "unsent_events",
]

#: Stages of an order whose label is committed (approved) but not bought yet.
_COMMITTED = (Stage.APPROVED, Stage.PURCHASING)
_ERROR_LENGTH = 500


def billing_state(session: Session, *, for_update: bool = False) -> BillingState | None:
    """This install's billing row, or None when it has never signed in."""
    query = select(BillingState).where(BillingState.id == 1)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def save_sign_in(session: Session, install_id: str, account_id: str, *, now: datetime) -> None:
    """Start afresh for a new sign-in: no token yet, no anti-rollback history."""
    session.execute(delete(BillingState))
    session.add(
        BillingState(
            id=1,
            install_id=install_id,
            account_id=account_id,
            token=None,
            newest_iat=None,
            trusted_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


def save_token(state: BillingState, token: str, issued_at: datetime, *, now: datetime) -> None:
    """Keep ``token`` (already verified and checked newer) as the current entitlement.

    The trusted time moves to the token's issue time (the service's clock), so a computer whose
    clock once ran far ahead recovers as soon as it is online again.
    """
    state.token = token
    state.newest_iat = issued_at
    state.trusted_at = issued_at
    state.updated_at = now


def note_trusted_time(state: BillingState, now: datetime) -> None:
    """Remember ``now`` as seen (the trusted time only moves forward)."""
    moved = next_trusted_time(state.trusted_at, now)
    if moved != state.trusted_at:
        state.trusted_at = moved
        state.updated_at = now


def clear_billing_state(session: Session) -> None:
    """Forget the sign-in and the cached entitlement (logout)."""
    session.execute(delete(BillingState))


def add_labelled(session: Session, shop_id: str, order_id: str, *, occurred_at: datetime) -> bool:
    """Queue "this order was labelled" for the billing service; False when already queued."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(UsageEvent)
        .values(
            event_id=usage_event_id(shop_id, order_id),
            shop_id=shop_id,
            order_id=order_id,
            occurred_at=occurred_at,
            sent_at=None,
            attempts=0,
            last_error=None,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(UsageEvent.event_id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def unsent_events(session: Session, *, limit: int) -> list[UsageEvent]:
    """The oldest events not yet acknowledged by the service."""
    query = (
        select(UsageEvent)
        .where(UsageEvent.sent_at.is_(None))
        .order_by(UsageEvent.occurred_at, UsageEvent.event_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def unsent_count(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> int:
    """Events not yet acknowledged, those that occurred in ``[start, end)`` when given."""
    query = select(func.count()).select_from(UsageEvent).where(UsageEvent.sent_at.is_(None))
    if start is not None:
        query = query.where(UsageEvent.occurred_at >= start)
    if end is not None:
        query = query.where(UsageEvent.occurred_at < end)
    return int(session.execute(query).scalar_one())


def committed_orders(session: Session) -> int:
    """Orders approved (or being bought) that have not been counted as labelled yet."""
    counted = exists().where(UsageEvent.shop_id == Order.shop_id, UsageEvent.order_id == Order.id)
    query = select(func.count()).select_from(Order).where(Order.stage.in_(_COMMITTED), ~counted)
    return int(session.execute(query).scalar_one())


def mark_sent(session: Session, event_ids: Sequence[str], *, now: datetime) -> None:
    """The service acknowledged these events."""
    session.execute(
        update(UsageEvent)
        .where(UsageEvent.event_id.in_(list(event_ids)))
        .values(sent_at=now, attempts=UsageEvent.attempts + 1, last_error=None)
    )


def mark_failed(session: Session, event_ids: Sequence[str], error: str) -> None:
    """A batch was not acknowledged: count the attempt, keep the reason, send again later."""
    session.execute(
        update(UsageEvent)
        .where(UsageEvent.event_id.in_(list(event_ids)))
        .values(attempts=UsageEvent.attempts + 1, last_error=error[:_ERROR_LENGTH])
    )


def prune_sent(session: Session, *, before: datetime) -> int:
    """Delete acknowledged events sent before ``before``; how many went."""
    result = session.execute(
        delete(UsageEvent).where(UsageEvent.sent_at.is_not(None), UsageEvent.sent_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
