"""Storing a re-fetched subscription so that the newest state always wins.

Webhooks arrive duplicated and out of order, and two deliveries can be handled at once; each
handler re-fetches the subscription and offers what it saw, tagged with its event's `created`.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from creatorflow.billing_service.db import subscriptions
from creatorflow.billing_service.records import (
    LIVE_STATUSES,
    SubscriptionState,
    subscription_from_row,
)


def apply_subscription(conn: Connection, state: SubscriptionState, now: int) -> None:
    """Upsert the account's subscription unless what is stored is newer or more current.

    Same subscription: apply when the event is not older than the last one applied, so a late
    delivery of an old event never rolls the state back. Another subscription: it replaces the
    stored one when it is live and the stored one is not, or when both are alike and it is the
    newer subscription (a stale canceled subscription never hides the live one).
    """
    row = conn.execute(
        select(subscriptions).where(subscriptions.c.account_id == state.account_id)
    ).first()
    current = subscription_from_row(row)
    past_due_since = state.past_due_since
    if current is not None:
        if current.subscription_id == state.subscription_id:
            if state.event_created < current.event_created:
                return
        else:
            current_live = current.status in LIVE_STATUSES
            new_live = state.status in LIVE_STATUSES
            if current_live and not new_live:
                return
            if current_live == new_live and (
                state.subscription_created < current.subscription_created
            ):
                return
        if (
            state.status == "past_due"
            and current.status == "past_due"
            and current.subscription_id == state.subscription_id
        ):
            past_due_since = current.past_due_since or past_due_since
    values = {
        "stripe_customer_id": state.stripe_customer_id,
        "subscription_id": state.subscription_id,
        "subscription_created": state.subscription_created,
        "plan": state.plan,
        "status": state.status,
        "period_start": state.period_start,
        "period_end": state.period_end,
        "cancel_at_period_end": state.cancel_at_period_end,
        "past_due_since": past_due_since if state.status == "past_due" else None,
        # Not older than the stored one for the same subscription (checked above); for another
        # subscription the clock starts again with it.
        "event_created": state.event_created,
        "updated_at": now,
    }
    if current is None:
        conn.execute(insert(subscriptions).values(account_id=state.account_id, **values))
    else:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.account_id == state.account_id)
            .values(values)
        )
