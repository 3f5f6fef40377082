"""Approving orders for a label, holding and releasing them.

Approval runs every guard (DESIGN §5.2) on the stored order. An order that passes moves to
``approved`` and its purchase is journaled at once (a ``label`` effect), so ``labels buy`` or
the daemon can buy it. An order that does not pass is left alone when the reason will pass by
itself (unpaid, TikTok's hold, a masked address), cancelled when TikTok cancelled it, and
otherwise ``held`` with the reasons, for a person to act on and ``release``.

Once the install is signed in to billing, the plan limit applies to the batch as a whole: the
first orders up to what the period has left are approved, the rest are refused
(``plan_limit``) and stay ``new``, so they can be approved after an upgrade or in the next
period. Before sign-in no limit applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.domain.guards import Refusal, RefusalCode, approval_refusals, hold_reason
from creatorflow.domain.parcels import MissingParcelData
from creatorflow.domain.stages import Actor, Stage
from creatorflow.errors import NotFoundError, UsageError
from creatorflow.services.context import Services

__all__ = [
    "ApprovalResult",
    "ApprovalSummary",
    "approve_orders",
    "hold_order",
    "label_key",
    "release_order",
]

#: Reasons that go away by themselves: such orders are not held, only reported.
_PASSING = frozenset(
    {RefusalCode.UNPAID, RefusalCode.ON_HOLD, RefusalCode.MASKED_ADDRESS, RefusalCode.PLAN_LIMIT}
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApprovalResult:
    """What approval did with one order."""

    order_id: str
    approved: bool
    stage: Stage
    refusals: tuple[Refusal, ...] = ()

    @property
    def reason(self) -> str | None:
        """The refusals as one sentence block."""
        return hold_reason(self.refusals) or None


@dataclass
class ApprovalSummary:
    """Every order's result, and counts."""

    results: list[ApprovalResult] = field(default_factory=list)
    dry_run: bool = False

    @property
    def approved(self) -> int:
        """How many orders were (or would be) approved."""
        return sum(1 for result in self.results if result.approved)

    @property
    def refused(self) -> int:
        """How many orders were refused."""
        return sum(1 for result in self.results if not result.approved)

    def refusal_counts(self) -> dict[str, int]:
        """How many orders each refusal code stopped."""
        from creatorflow.domain.guards import count_refusals

        return count_refusals(result.refusals for result in self.results)


def label_key(shop_id: str, order_id: str, generation: int = 1) -> str:
    """The journal key of an order's (single-package) label."""
    from creatorflow.integrations.shipping.base import LabelReference

    return str(LabelReference(shop_id, order_id, "1", generation))


def _ready_ids(session: Session, limit: int | None) -> list[str]:
    from creatorflow.store.tables import Order

    query = (
        select(Order.id)
        .where(Order.stage == Stage.NEW, Order.status == "AWAITING_SHIPMENT")
        .order_by(Order.shipping_due_at, Order.tiktok_created_at, Order.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _check(services: Services, session: Session, order_id: str, now: datetime) -> ApprovalResult:
    from creatorflow.services.parcels import order_parcel
    from creatorflow.services.purchase_planning import order_facts
    from creatorflow.store.tables import Order, Shop

    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(
            f"Order {order_id} is not in the local store.",
            hint="Run `creatorflow orders sync` first.",
        )
    shop = session.get(Shop, order.shop_id)
    parcel = order_parcel(session, order.id, services.settings.text("parcels.default_preset"))
    facts = order_facts(session, order, (shop.region if shop else "") or "US", parcel, now)
    refusals = approval_refusals(facts, now=now)
    if isinstance(parcel, MissingParcelData) and not any(
        r.code is RefusalCode.MISSING_WEIGHT for r in refusals
    ):
        refusals = (*refusals, Refusal(RefusalCode.MISSING_WEIGHT, parcel.reason))
    return ApprovalResult(order.id, not refusals, order.stage, refusals)


def _plan_limit(
    services: Services, checked: list[ApprovalResult], now: datetime, actor: Actor
) -> list[ApprovalResult]:
    """Refuse the approvals beyond what the plan has left this period (in the given order)."""
    from datetime import timedelta

    from creatorflow.services.billing_usage import RECHECK_AFTER, approval_allowance

    wanted = sum(1 for result in checked if result.approved)
    if not wanted:
        return checked
    # A person asking gets the service's current answer before a refusal (a plan just
    # upgraded); the daemon's rules rely on its billing sync and a recent entitlement.
    unattended = actor in (Actor.RULE, Actor.DAEMON)
    recheck = RECHECK_AFTER if unattended else timedelta(0)
    decision = approval_allowance(services, wanted, now=now, recheck_after=recheck)
    if decision is None or decision.allowed >= wanted:
        return checked
    refusal = Refusal(RefusalCode.PLAN_LIMIT, decision.reason)
    left = decision.allowed
    limited: list[ApprovalResult] = []
    for result in checked:
        if result.approved and left <= 0:
            result = ApprovalResult(result.order_id, False, result.stage, (refusal,))
        elif result.approved:
            left -= 1
        limited.append(result)
    return limited


def _apply(
    services: Services,
    result: ApprovalResult,
    preference: dict[str, str],
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    hold_refused: bool = True,
) -> ApprovalResult:
    from creatorflow.services.label_records import move
    from creatorflow.store.effects import enqueue
    from creatorflow.store.tables import Effect, EffectState, Order

    if not result.approved and not hold_refused:
        return result
    with services.store.write() as session:
        order = session.get(Order, result.order_id)
        assert order is not None
        if result.approved:
            move(session, order.id, Stage.APPROVED, now=now, actor=actor, reason=reason)
            key = label_key(order.shop_id, order.id)
            if not enqueue(session, key, "label", order_id=order.id, request=preference, now=now):
                # Refused at purchase time before: approving again re-arms the same intent.
                effect = session.scalars(select(Effect).where(Effect.key == key)).one()
                if effect.state is EffectState.DONE and (effect.result or {}).get("refused"):
                    effect.state = EffectState.PENDING
                    effect.next_attempt_at = now
                    effect.request = {**(effect.request or {}), **preference}
            return ApprovalResult(order.id, True, Stage.APPROVED)
        codes = {refusal.code for refusal in result.refusals}
        reason = result.reason
        if RefusalCode.CANCELLED in codes:
            move(session, order.id, Stage.CANCELLED, now=now, actor=actor, reason=reason)
        elif not codes <= _PASSING:
            move(session, order.id, Stage.HELD, now=now, actor=actor, reason=reason)
        session.flush()
        return ApprovalResult(order.id, False, order.stage, result.refusals)


def approve_orders(
    services: Services,
    order_ids: Sequence[str] = (),
    *,
    all_ready: bool = False,
    limit: int | None = None,
    provider: str | None = None,
    service: str | None = None,
    dry_run: bool = False,
    actor: Actor = Actor.CLI,
    now: datetime | None = None,
    reason: str | None = None,
    hold_refused: bool = True,
) -> ApprovalSummary:
    """Approve the given orders (or every ready one) for a label, or say why not.

    ``reason`` is stored on the approval event of each approved order (e.g. which rule
    approved it). With ``hold_refused=False`` a refused order is only reported, never held
    or cancelled (the auto-approve rules leave such orders to a person).

    Raises:
        UsageError: neither ids nor ``all_ready``, or both.
        NotFoundError: an id is not in the local store.
    """
    if bool(order_ids) == all_ready:
        raise UsageError("Give order ids or --all-ready (not both).")
    moment = now or _utcnow()
    preference = {k: v for k, v in (("provider", provider), ("service", service)) if v}
    summary = ApprovalSummary(dry_run=dry_run)
    with services.store.read() as session:
        ids = _ready_ids(session, limit) if all_ready else [i.strip() for i in order_ids]
        checked = [_check(services, session, order_id, moment) for order_id in ids]
    checked = _plan_limit(services, checked, moment, actor)
    for result in checked:
        if dry_run:
            summary.results.append(result)
        else:
            summary.results.append(
                _apply(
                    services,
                    result,
                    preference,
                    actor,
                    moment,
                    reason=reason,
                    hold_refused=hold_refused,
                )
            )
    return summary


def hold_order(
    services: Services, order_id: str, reason: str, *, actor: Actor = Actor.CLI
) -> Stage:
    """Hold an order (new or approved) with a reason; its queued purchase waits.

    Raises:
        InvalidTransitionError: the order is past approval (a label is being bought or exists).
    """
    from creatorflow.domain.stages import plan_transition
    from creatorflow.store.order_events import apply_stage_change
    from creatorflow.store.tables import Effect, EffectState, Order

    now = _utcnow()
    with services.store.write() as session:
        order = session.get(Order, order_id.strip())
        if order is None:
            raise NotFoundError(f"Order {order_id.strip()} is not in the local store.")
        change = plan_transition(order.stage, Stage.HELD, actor=actor, now=now, reason=reason)
        apply_stage_change(session, order.id, change)
        for effect in session.scalars(
            select(Effect).where(
                Effect.order_id == order.id,
                Effect.kind == "label",
                Effect.state == EffectState.PENDING,
            )
        ):
            effect.state = EffectState.DONE
            effect.result = {"refused": ["held"], "reason": reason}
    return Stage.HELD


def release_order(services: Services, order_id: str, *, actor: Actor = Actor.CLI) -> Stage:
    """Release a held order back to ``new`` (approve it again to queue its label)."""
    from creatorflow.domain.stages import plan_transition
    from creatorflow.store.order_events import apply_stage_change
    from creatorflow.store.tables import Order

    now = _utcnow()
    with services.store.write() as session:
        order = session.get(Order, order_id.strip())
        if order is None:
            raise NotFoundError(f"Order {order_id.strip()} is not in the local store.")
        change = plan_transition(order.stage, Stage.NEW, actor=actor, now=now)
        apply_stage_change(session, order.id, change)
    return Stage.NEW
