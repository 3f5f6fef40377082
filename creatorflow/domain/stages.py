"""The local life of an order: its stages and the moves allowed between them.

TikTok's ``status`` says where TikTok thinks an order is; our ``stage`` says how far *we* have
taken it (approved, label bought, tracking pushed…). Every move is checked here and returned as
a ``StageChange`` that the store records as an order event with its actor and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from creatorflow.errors import InvalidTransitionError


class Stage(StrEnum):
    """How far CreatorFlow has taken an order."""

    NEW = "new"
    APPROVED = "approved"
    PURCHASING = "purchasing"
    LABELLED = "labelled"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    HELD = "held"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"
    VOIDING = "voiding"
    VOIDED = "voided"


class Actor(StrEnum):
    """Who moved an order: recorded on every order event."""

    CLI = "cli"
    TUI = "tui"
    DAEMON = "daemon"
    SYNC = "sync"
    RULE = "rule"


S = Stage

#: Where each stage may go next. A purchase in flight (``purchasing``) may fall back to
#: ``approved`` only after reconciliation proved no label exists; that proof is the label
#: service's job, not this table's.
ALLOWED: dict[Stage, frozenset[Stage]] = {
    S.NEW: frozenset({S.APPROVED, S.HELD, S.NEEDS_ATTENTION, S.CANCELLED}),
    S.APPROVED: frozenset({S.NEW, S.PURCHASING, S.HELD, S.NEEDS_ATTENTION, S.CANCELLED}),
    S.PURCHASING: frozenset({S.LABELLED, S.APPROVED, S.NEEDS_ATTENTION, S.CANCELLED}),
    S.LABELLED: frozenset({S.SHIPPED, S.PURCHASING, S.VOIDING, S.NEEDS_ATTENTION}),
    # SHIPPED → PURCHASING: a deliberate re-buy (damaged label) before the first scan; the old
    # label is voided and TikTok's tracking corrected.
    S.SHIPPED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.VOIDING, S.NEEDS_ATTENTION, S.PURCHASING}),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.NEEDS_ATTENTION}),
    S.DELIVERED: frozenset(),
    S.HELD: frozenset({S.NEW, S.APPROVED, S.CANCELLED}),
    S.NEEDS_ATTENTION: frozenset(
        {S.NEW, S.APPROVED, S.LABELLED, S.SHIPPED, S.IN_TRANSIT, S.DELIVERED}
        | {S.HELD, S.CANCELLED, S.VOIDING}
    ),
    S.CANCELLED: frozenset(),
    S.VOIDING: frozenset({S.VOIDED, S.NEEDS_ATTENTION}),
    S.VOIDED: frozenset(),
}

#: Stages a human must be told why an order sits in.
NEEDS_REASON = frozenset({S.HELD, S.NEEDS_ATTENTION})

#: Stages an order never leaves.
TERMINAL = frozenset(stage for stage, nxt in ALLOWED.items() if not nxt)


@dataclass(frozen=True)
class StageChange:
    """One allowed move of one order, ready to be stored as an order event."""

    from_stage: Stage
    to_stage: Stage
    actor: Actor
    reason: str | None
    at: datetime


def can_move(current: Stage, target: Stage) -> bool:
    """Whether an order in ``current`` may move to ``target``."""
    return target in ALLOWED[current]


def plan_transition(
    current: Stage, target: Stage, *, actor: Actor, now: datetime, reason: str | None = None
) -> StageChange:
    """Check a move and describe it.

    Raises:
        InvalidTransitionError: the move is not allowed, or it needs a reason and has none.
        ValueError: ``now`` is not timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    cleaned = reason.strip() if reason else None
    if not can_move(current, target):
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing (it is final)"
        raise InvalidTransitionError(
            f"An order in stage '{current}' cannot move to '{target}'.",
            hint=f"From '{current}' it can move to: {allowed}.",
        )
    if target in NEEDS_REASON and not cleaned:
        raise InvalidTransitionError(
            f"Moving an order to '{target}' needs a reason.",
            hint="Say why, so whoever looks at the order next knows what to fix.",
        )
    return StageChange(from_stage=current, to_stage=target, actor=actor, reason=cleaned, at=now)
