"""Forwarding the usage ledger to a Stripe Billing Meter (reference §3.3), after the response.

The ledger is the source of truth; Stripe only bills from it. Each event goes out with
`identifier` = its id and an idempotency key derived from it, so a retry or a second forwarder
can never count twice, and a "duplicate" answer counts as delivered. Events older than Stripe
accepts (35 days) are left alone. Off unless `CREATORFLOW_BILLING_METER_EVENT` is set.

One forwarder runs per account at a time and keeps going until the account has nothing left
to send; an event it misses in the instant it stops goes out with the account's next batch,
as do events that met a Stripe outage.
"""

from __future__ import annotations

import logging

from creatorflow.billing_service.gateway import GatewayError, StripeGateway
from creatorflow.billing_service.service import BillingService

logger = logging.getLogger(__name__)

#: Stripe refuses meter events older than 35 days; keep an hour's margin.
MAX_AGE = 35 * 86_400 - 3_600
BATCH = 500


def forward_usage(service: BillingService, account_id: str) -> None:
    """Send the account's unforwarded events to the meter; never raises (runs after a response)."""
    event_name = service.settings.meter_event
    gateway = service.gateway
    if not event_name or gateway is None:
        return
    lock = service.forward_lock(account_id)
    if not lock.acquire(blocking=False):
        return  # this account's forwarder is at work and will pick these up
    try:
        while _forward_round(service, gateway, event_name, account_id):
            pass
    except Exception:
        logger.exception("forwarding usage of account %s to the Billing Meter failed", account_id)
    finally:
        lock.release()


def _forward_round(
    service: BillingService, gateway: StripeGateway, event_name: str, account_id: str
) -> bool:
    """Send one batch; True when every event got an outcome (there may be more to send)."""
    store = service.store
    account = store.account(account_id)
    sub = store.subscription(account_id)
    customer = (account.stripe_customer_id if account else None) or (
        sub.stripe_customer_id if sub else None
    )
    if not customer:
        return False
    now = service.now()
    pending = store.unforwarded_usage(account_id, now - MAX_AGE, BATCH)
    outcomes: list[tuple[str, str]] = []
    complete = bool(pending)
    for event in pending:
        try:
            sent = gateway.send_meter_event(
                event_name=event_name,
                customer_id=customer,
                identifier=event.event_id,
                # Stripe takes at most 5 minutes of future, which our clamp allows too: a
                # clock a little behind the client's would see the event rejected.
                timestamp=min(event.occurred_at, now),
            )
        except GatewayError as exc:
            if exc.retryable:
                complete = False
                break
            outcomes.append((event.event_id, "rejected"))
            continue
        outcomes.append((event.event_id, "sent" if sent else "duplicate"))
    store.mark_forwarded(outcomes)
    return complete
