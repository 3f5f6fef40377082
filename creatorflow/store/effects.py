"""The effect journal: intents committed before an outside call, claimed by one worker at a time.

Every outside side effect (buy a label, push tracking, void) is a row with a deterministic
``key``. The life of a row:

* :func:`enqueue` writes the intent (``pending``) in its own committed transaction; a second
  enqueue of the same key changes nothing.
* :func:`claim` hands one due row to one worker: ``claimed`` with a lease and ``attempts + 1``.
  On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several stations claim different rows at once;
  on SQLite ``BEGIN IMMEDIATE`` serialises claims. A row whose lease ran out (the worker died)
  is claimable again, and its next worker must reconcile before acting.
* :func:`finish`, :func:`retry_later` and :func:`give_up` record the outcome, but only for the
  worker that still holds the claim (:class:`LostClaim` otherwise), so a worker that was too slow
  never overwrites the result of the one that took over.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creatorflow.errors import StoreError
from creatorflow.store.tables import Effect, EffectState

__all__ = [
    "DEFAULT_LEASE",
    "LostClaim",
    "claim",
    "enqueue",
    "expire_orphaned_claims",
    "finish",
    "give_up",
    "note_request",
    "renew",
    "retry_later",
]

DEFAULT_LEASE = timedelta(minutes=5)


class LostClaim(StoreError):
    """The effect is no longer claimed by this worker (its lease ran out and it was taken)."""


def enqueue(
    session: Session,
    key: str,
    kind: str,
    *,
    order_id: str | None,
    request: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """Record an intent; returns False when the key was already journaled (nothing changes)."""
    values = {
        "key": key,
        "kind": kind,
        "order_id": order_id,
        "state": EffectState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "request": request,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Effect)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Effect.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def claim(
    session: Session,
    kinds: Collection[str],
    *,
    worker: str,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    order_ids: Collection[str] | None = None,
) -> Effect | None:
    """Claim the most overdue effect of these kinds, or None when nothing is due.

    ``order_ids`` restricts the claim to those orders (``labels buy`` for a selection).
    """
    query = (
        select(Effect)
        .where(
            Effect.kind.in_(list(kinds)),
            or_(
                (Effect.state == EffectState.PENDING) & (Effect.next_attempt_at <= now),
                (Effect.state == EffectState.CLAIMED) & (Effect.lease_until < now),
            ),
        )
        .order_by(Effect.next_attempt_at, Effect.id)
        .limit(1)
    )
    if order_ids is not None:
        query = query.where(Effect.order_id.in_(list(order_ids)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    effect = session.scalars(query).first()
    if effect is None:
        return None
    effect.state = EffectState.CLAIMED
    effect.claimed_by = worker
    effect.lease_until = now + lease
    effect.attempts += 1
    effect.updated_at = now
    session.flush()
    return effect


def expire_orphaned_claims(
    session: Session, holder_alive: Callable[[str], bool], *, now: datetime
) -> int:
    """End the lease of every claim whose holder ``holder_alive`` says is gone; how many.

    Without this a worker killed with ``kill -9`` keeps its rows for the rest of the lease
    (minutes). An expired row is claimed again like any other, so its next worker reconciles
    before acting: ending a lease early is never a second purchase.
    """
    held = session.scalars(
        select(Effect).where(Effect.state == EffectState.CLAIMED, Effect.lease_until >= now)
    ).all()
    ended = 0
    for effect in held:
        if effect.claimed_by is not None and not holder_alive(effect.claimed_by):
            effect.lease_until = now - timedelta(microseconds=1)
            effect.updated_at = now
            ended += 1
    session.flush()
    return ended


def _held(session: Session, effect_id: int, worker: str) -> Effect:
    query = select(Effect).where(Effect.id == effect_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    effect = session.scalars(query).one()
    if effect.state is not EffectState.CLAIMED or effect.claimed_by != worker:
        raise LostClaim(f"Effect {effect.key} is no longer claimed by {worker}.")
    return effect


def renew(
    session: Session,
    effect_id: int,
    worker: str,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> Effect:
    """Confirm the claim is still this worker's and unexpired, and extend it: the fence right
    before an outside call that must not happen twice.

    Raises:
        LostClaim: another worker took it over, or the lease ran out.
    """
    effect = _held(session, effect_id, worker)
    if effect.lease_until is None or effect.lease_until < now:
        raise LostClaim(f"The claim of {worker} on {effect.key} ran out.")
    effect.lease_until = now + lease
    effect.updated_at = now
    session.flush()
    return effect


def note_request(
    session: Session, effect_id: int, worker: str, changes: dict[str, Any], *, now: datetime
) -> Effect:
    """Merge ``changes`` into the effect's ``request`` (e.g. the rate about to be bought)."""
    effect = _held(session, effect_id, worker)
    effect.request = {**(effect.request or {}), **changes}
    effect.updated_at = now
    session.flush()
    return effect


def finish(
    session: Session, effect_id: int, worker: str, result: dict[str, Any], *, now: datetime
) -> Effect:
    """The effect happened: store its result."""
    effect = _held(session, effect_id, worker)
    effect.state = EffectState.DONE
    effect.result = result
    effect.last_error = None
    effect.lease_until = None
    effect.done_at = now
    effect.updated_at = now
    session.flush()
    return effect


def retry_later(
    session: Session, effect_id: int, worker: str, error: str, *, delay: timedelta, now: datetime
) -> Effect:
    """A transient failure: back to ``pending`` after ``delay``, with the reason kept."""
    effect = _held(session, effect_id, worker)
    effect.state = EffectState.PENDING
    effect.last_error = error
    effect.claimed_by = None
    effect.lease_until = None
    effect.next_attempt_at = now + delay
    effect.updated_at = now
    session.flush()
    return effect


def give_up(session: Session, effect_id: int, worker: str, error: str, *, now: datetime) -> Effect:
    """A permanent failure a person must read: ``needs_attention`` with the provider's words."""
    effect = _held(session, effect_id, worker)
    effect.state = EffectState.NEEDS_ATTENTION
    effect.last_error = error
    effect.lease_until = None
    effect.updated_at = now
    session.flush()
    return effect
