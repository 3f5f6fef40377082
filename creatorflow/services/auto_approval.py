"""Auto-approval: the daemon approves the new orders the ``approve.auto*`` rules allow.

An order is approved when it is ready (``new`` and awaiting shipment on TikTok), meets every
rule of :mod:`creatorflow.domain.auto_approve`, and passes every purchase guard, exactly as
``orders approve`` would check it. Its approval event names the ``rule`` actor and the rules
that let it through. Nothing else is touched: an order a rule or a guard stops stays ``new``
for a person (who may approve it, which holds it with its reason), and the run's summary
counts why. The daemon's ``auto_approve`` job calls this only when ``approve.auto`` is true.
The plan limit applies exactly as in ``orders approve`` (it lives in ``approve_orders``): orders
beyond what the period has left stay ``new`` and are counted as ``plan_limit``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from creatorflow.domain.auto_approve import (
    AutoApproveFacts,
    AutoApproveRules,
    auto_refusals,
)
from creatorflow.domain.guards import BUYABLE_STATUS
from creatorflow.domain.stages import Actor, Stage
from creatorflow.services.context import Services

__all__ = ["AutoApproveSummary", "auto_approve", "auto_approve_rules"]


@dataclass
class AutoApproveSummary:
    """What one auto-approve run did.

    ``checked``: ready orders looked at. ``approved``: orders approved by this run.
    ``left``: ready orders left ``new`` for a person; ``reasons`` counts why, by rule or guard
    code (an order counts once per code).
    """

    checked: int = 0
    approved: int = 0
    left: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    approved_ids: list[str] = field(default_factory=list)


def auto_approve_rules(services: Services) -> AutoApproveRules:
    """The rules as the ``approve.auto_*`` settings say."""
    settings = services.settings
    return AutoApproveRules(
        max_units=settings.integer("approve.auto_max_units"),
        us_only=settings.flag("approve.auto_us_only"),
        without_buyer_message=settings.flag("approve.auto_without_buyer_message"),
    )


def _ready(services: Services) -> list[AutoApproveFacts]:
    from creatorflow.store.tables import Order

    query = (
        select(Order.id, Order.units, Order.country_code, Order.buyer_message)
        .where(Order.stage == Stage.NEW, Order.status == BUYABLE_STATUS)
        .order_by(Order.shipping_due_at, Order.tiktok_created_at, Order.id)
    )
    with services.store.read() as session:
        return [
            AutoApproveFacts(row.id, row.units, row.country_code, row.buyer_message)
            for row in session.execute(query)
        ]


def auto_approve(services: Services, *, now: datetime | None = None) -> AutoApproveSummary:
    """Approve every ready order the auto-approve rules and the guards allow.

    Raises:
        StoreError: the database could not be read or written.
    """
    from creatorflow.services.approval import approve_orders

    moment = now or datetime.now(UTC)
    rules = auto_approve_rules(services)
    ready = _ready(services)
    reasons: Counter[str] = Counter()
    allowed: list[str] = []
    for facts in ready:
        refusals = auto_refusals(facts, rules)
        if refusals:
            reasons.update({refusal.code.value for refusal in refusals})
        else:
            allowed.append(facts.order_id)
    summary = AutoApproveSummary(checked=len(ready))
    if allowed:
        result = approve_orders(
            services,
            allowed,
            actor=Actor.RULE,
            now=moment,
            reason=rules.describe(),
            hold_refused=False,
        )
        summary.approved_ids = [r.order_id for r in result.results if r.approved]
        reasons.update(result.refusal_counts())
    summary.approved = len(summary.approved_ids)
    summary.left = summary.checked - summary.approved
    summary.reasons = dict(sorted(reasons.items()))
    return summary
