"""Usage reporting and the plan limit: the outbox flush, the daemon's billing sync, and how
many orders an approval may take.

**At least once.** Each labelled order has an outbox row (written with its label, see
``label_records.record_label``). :func:`flush_usage` sends the unsent rows in batches of at most
500 and marks them sent only after a 2xx, together with the fresh entitlement the answer
carries; a batch that fails stays unsent and goes again. The service deduplicates event ids,
so a batch sent three times counts once.

**The plan limit** (:func:`approval_allowance`) is judged on the cached entitlement, offline:
the service's count as of the token, plus labelled orders not yet reported, plus orders
approved and not yet labelled. It applies once the install is signed in; before that it does
not block. It is advisory (this computer is the user's); the service's count is the authority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from creatorflow.domain.entitlement import EntitlementState, allowance
from creatorflow.errors import CreatorflowError
from creatorflow.services.billing_core import (
    INSTALL_TOKEN,
    REFRESH_AFTER,
    accept_token,
    current_entitlement,
    install_token,
    open_billing_client,
    refresh_entitlement,
    utcnow,
)
from creatorflow.services.context import Services

__all__ = [
    "FlushSummary",
    "PlanDecision",
    "approval_allowance",
    "billing_signed_in",
    "flush_usage",
    "sync_billing",
]

#: Batches per flush: 10,000 events; the rest waits for the next run.
MAX_BATCHES = 20
#: Sent rows are kept this long (for support questions), then pruned by the daemon's sync.
KEEP_SENT = timedelta(days=90)
#: A refusal at approval fetches the entitlement again if it is older than this; the default
#: for unattended approvals (a person asking always gets a fresh answer, so a plan upgraded a
#: minute ago counts at once).
RECHECK_AFTER = timedelta(minutes=5)


@dataclass
class FlushSummary:
    """What one flush did: events sent (in batches), what the service counted, what is left."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    batches: int = 0
    left: int = 0
    token_error: str | None = None


def flush_usage(services: Services, *, now: datetime | None = None) -> FlushSummary:
    """Send the unsent usage events (at least once) and keep the entitlement that comes back.

    Raises:
        AuthError: not signed in, or the service no longer accepts this install.
        ProviderError: the service could not be reached (the rows stay unsent).
    """
    from creatorflow.integrations.billing.client import MAX_BATCH, UsageEventOut
    from creatorflow.integrations.billing.tokens import TokenRejected
    from creatorflow.store.billing import (
        billing_state,
        mark_failed,
        mark_sent,
        unsent_count,
        unsent_events,
    )

    token = install_token(services)
    summary = FlushSummary()
    with open_billing_client(services, token=token) as client:
        while summary.batches < MAX_BATCHES:
            with services.store.read() as session:
                events = [
                    UsageEventOut(row.event_id, row.order_id, row.occurred_at)
                    for row in unsent_events(session, limit=MAX_BATCH)
                ]
            if not events:
                break
            ids = [event.id for event in events]
            try:
                ack = client.post_usage(events)
            except CreatorflowError as exc:
                with services.store.write() as session:
                    mark_failed(session, ids, f"{exc.title}: {exc}")
                raise
            moment = now or utcnow()
            with services.store.write() as session:
                mark_sent(session, ids, now=moment)
                state = billing_state(session, for_update=True)
                if state is not None:
                    try:
                        # Marked sent whatever happens to the token: the service has the rows.
                        accept_token(services, state, ack.token, now=moment)
                        summary.token_error = None
                    except TokenRejected as exc:
                        summary.token_error = exc.message
            summary.batches += 1
            summary.sent += len(events)
            summary.accepted += ack.accepted
            summary.duplicates += ack.duplicates
    with services.store.read() as session:
        summary.left = unsent_count(session)
    return summary


def billing_signed_in(services: Services) -> bool:
    """Whether this station holds a billing install token (the daemon's ``billing_sync``
    switch). Never raises: a secret store that cannot be read counts as signed out."""
    try:
        return services.secrets.get(INSTALL_TOKEN) is not None
    except Exception:  # a job switch must never stop the clock
        return False


def sync_billing(services: Services, *, now: datetime | None = None) -> dict[str, object]:
    """The daemon's billing job: flush usage, then fetch the entitlement again when it is
    older than a day, no longer active, or its limit is reached (to see an upgrade).

    Without a sign-in it does nothing and says so.

    Raises:
        AuthError / ProviderError: the service refused or could not be reached.
    """
    from creatorflow.store.billing import billing_state, note_trusted_time, prune_sent

    moment = now or utcnow()
    with services.store.read() as session:
        signed_in = billing_state(session) is not None
    if not signed_in or not billing_signed_in(services):
        return {"billing": "off", "reason": "not signed in (creatorflow billing login)"}
    flushed = flush_usage(services, now=moment)
    with services.store.write() as session:
        state = billing_state(session, for_update=True)
        if state is None:
            return {"billing": "off", "reason": "signed out"}
        note_trusted_time(state, moment)
        prune_sent(session, before=moment - KEEP_SENT)
        entitlement = current_entitlement(services, session, state, moment)
        stale = state.newest_iat is None or moment - state.newest_iat > REFRESH_AFTER
    fresh_from_flush = flushed.batches > 0 and flushed.token_error is None
    wanted = (
        stale
        or entitlement.state is not EntitlementState.ACTIVE
        or (entitlement.counts and entitlement.remaining == 0)
    )
    refreshed = False
    if wanted and not (fresh_from_flush and not stale):
        entitlement = refresh_entitlement(services, now=moment)
        refreshed = True
    claims = entitlement.claims
    return {
        "sent": flushed.sent,
        "accepted": flushed.accepted,
        "duplicates": flushed.duplicates,
        "left": flushed.left,
        "refreshed": refreshed,
        "state": entitlement.state.value,
        "plan": claims.plan if claims else "none",
        "status": claims.status if claims else "none",
        "remaining": entitlement.remaining,
        "token_error": flushed.token_error,
    }


@dataclass(frozen=True)
class PlanDecision:
    """How many of the orders about to be approved the plan allows, and why not the rest."""

    allowed: int
    reason: str


def approval_allowance(
    services: Services,
    requested: int,
    *,
    now: datetime,
    recheck_after: timedelta = RECHECK_AFTER,
) -> PlanDecision | None:
    """The plan limit for an approval of ``requested`` orders; None when not signed in (no
    limit applies). A refusal first fetches the entitlement again (best effort) when the cached
    one is older than ``recheck_after``, so a plan just upgraded counts."""
    from creatorflow.store.billing import billing_state

    with services.store.read() as session:
        state = billing_state(session)
        if state is None:
            return None
        entitlement = current_entitlement(services, session, state, now)
        issued = state.newest_iat
    decision = allowance(entitlement, requested)
    if decision.refused and (issued is None or now - issued >= recheck_after):
        try:
            entitlement = refresh_entitlement(services, now=now)
        except CreatorflowError:
            pass  # offline or refused: the cached entitlement decides
        else:
            decision = allowance(entitlement, requested)
    return PlanDecision(decision.allowed, decision.reason(entitlement))
