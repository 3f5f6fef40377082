"""What an account is entitled to now, and the claims of its signed entitlement token.

Policy (reference `stripe-billing.md` §2.4): `active` and `trialing` get the plan's order limit;
`past_due` keeps it until the dunning deadline (`past_due_grace` after the payment first
failed), after which the limit is 0; every other status, or no subscription, gets 0.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from creatorflow.billing_service.records import Plan, SubscriptionState
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.tokens import ISSUER

ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})


@dataclass(frozen=True)
class Standing:
    """An account's plan, limit, status and billing period at one moment."""

    plan: str
    order_limit: int
    status: str
    period_start: int
    period_end: int
    #: For `past_due` within the dunning period: when access ends.
    dunning_deadline: int | None = None


def month_period(now: int) -> tuple[int, int]:
    """The UTC calendar month containing `now`: the period of an account without a plan."""
    moment = datetime.fromtimestamp(now, UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return int(start.timestamp()), int(end.timestamp())


def standing(
    sub: SubscriptionState | None,
    plans: Mapping[str, Plan],
    now: int,
    settings: Settings,
) -> Standing:
    """The account's standing from its stored subscription (None: never subscribed)."""
    if sub is None:
        start, end = month_period(now)
        return Standing("none", 0, "none", start, end)
    plan = plans.get(sub.plan) if sub.plan else None
    limit = plan.order_limit if plan is not None and sub.status in ACCESS_STATUSES else 0
    deadline = None
    if sub.status == "past_due":
        deadline = (sub.past_due_since or now) + settings.past_due_grace
        if now >= deadline:
            limit, deadline = 0, None
    start, end = sub.period_start, sub.period_end
    # A live subscription keeps its period until the renewal webhook moves it; an ended one
    # leaves the account on calendar months once its last period is over.
    if sub.status not in ACCESS_STATUSES and not start <= now < end:
        start, end = month_period(now)
    return Standing(sub.plan or "none", limit, sub.status, start, end, deadline)


def claims(
    state: Standing,
    *,
    account_id: str,
    install_id: str,
    used: int,
    now: int,
    settings: Settings,
) -> dict[str, Any]:
    """The claims of an entitlement token (`docs/billing-api.md`); `kid` is added on signing."""
    exp = now + settings.token_ttl
    grace_until = exp + settings.offline_grace
    if state.dunning_deadline is not None:
        exp = max(now, min(exp, state.dunning_deadline))
        grace_until = max(exp, state.dunning_deadline)
    return {
        "iss": ISSUER,
        "sub": account_id,
        "aud": install_id,
        "iat": now,
        "nbf": now,
        "exp": exp,
        "grace_until": grace_until,
        "plan": state.plan,
        "order_limit": state.order_limit,
        "period_start": state.period_start,
        "period_end": state.period_end,
        "status": state.status,
        "used": used,
        "jti": secrets.token_hex(16),
    }
