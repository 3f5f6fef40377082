"""Buying labels from the journal: claim, re-check, reconcile, quote, buy, record.

One approved order is one ``label`` effect (key ``label:{shop}:{order}:{package}:{gen}``,
written when the order was approved). A worker claims it and then:

1. re-reads the order from TikTok and re-checks every guard (an order can be cancelled, put
   on hold or get a cancel request between approval and purchase);
2. if an earlier attempt got as far as the provider (the effect's ``attempt`` marker), asks
   the provider whether that label exists (**reconcile before retry**, DESIGN §5.1) and adopts
   it; only a provider's "no such label" allows a new purchase;
3. otherwise quotes, chooses by the rules, commits the ``attempt`` marker and a ``purchasing``
   shipment row, and only then calls ``buy``;
4. records the label, its file and the order's new stage in one transaction, and journals the
   tracking push.

Crash anywhere and the next claim (after the lease) lands in step 2 with the marker set, so a
label is never bought twice. ``crash_point`` lets tests stop the process at the dangerous
instants (``before_buy``, ``after_buy``, ``before_record``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from creatorflow.errors import AuthError, CreatorflowError, RateLimitedError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import Label, LabelProvider, Rate
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.services.label_providers import ProviderSet
    from creatorflow.store.tables import Effect

__all__ = ["LABEL", "BuyProgress", "BuySummary", "buy_labels", "worker_name"]

LABEL = "label"
_log = logging.getLogger(__name__)
_MAX_DELAY = timedelta(minutes=30)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    """Who claims effects in this process: station host and pid (one per thread suffix)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _no_crash(_point: str) -> None:
    return None


@dataclass(frozen=True)
class BuyProgress:
    """Reported after every processed effect."""

    done: int
    total: int | None
    bought: int
    order_id: str
    outcome: str


@dataclass
class BuySummary:
    """What a ``labels buy`` run did."""

    processed: int = 0
    bought: int = 0
    adopted: int = 0
    held: int = 0
    retry_later: int = 0
    needs_attention: int = 0
    spend: dict[str, Decimal] = field(default_factory=dict)

    def add_spend(self, amount: Decimal, currency: str) -> None:
        """Count a label's cost."""
        self.spend[currency] = self.spend.get(currency, Decimal(0)) + amount

    def merge(self, other: BuySummary) -> None:
        """Add one worker's results (``processed`` counts the effects)."""
        self.processed += 1
        self.bought += other.bought
        self.adopted += other.adopted
        self.held += other.held
        self.retry_later += other.retry_later
        self.needs_attention += other.needs_attention
        for currency, amount in other.spend.items():
            self.add_spend(amount, currency)


def backoff(attempts: int, speed: float = 1.0) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s doubling, at most 30 minutes (÷ ``speed``)."""
    return min(_MAX_DELAY, timedelta(seconds=30 * 2 ** max(0, attempts - 1))) / speed


@dataclass
class _Run:
    services: Services
    client: TikTokClient
    providers: ProviderSet
    worker: str
    now: Callable[[], datetime]
    crash_point: Callable[[str], None]


def _rate_to_json(rate: Rate) -> dict[str, Any]:
    return {
        "provider": rate.provider,
        "rate_id": rate.rate_id,
        "shipment_id": rate.shipment_id,
        "carrier": rate.carrier,
        "service": rate.service,
        "service_token": rate.service_token,
        "amount": str(rate.amount),
        "currency": rate.currency,
        "estimated_days": rate.estimated_days,
        # TikTok Shipping keeps the quoted parcel here: buy() must send the same one.
        "attributes": list(rate.attributes),
    }


def _rate_from_json(data: dict[str, Any]) -> Rate:
    from creatorflow.integrations.shipping.base import Rate

    return Rate(
        provider=data["provider"],
        rate_id=data["rate_id"],
        shipment_id=data.get("shipment_id"),
        carrier=data["carrier"],
        service=data["service"],
        service_token=data["service_token"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        estimated_days=data.get("estimated_days"),
        attributes=tuple(data.get("attributes") or ()),
    )


def _provider(run: _Run, name: str, shop_cipher: str) -> LabelProvider:
    if name == "tiktok_shipping":
        from creatorflow.integrations.shipping.tiktok_shipping import TikTokShippingProvider

        return TikTokShippingProvider(run.client, shop_cipher)
    found = run.providers.providers.get(name)
    if found is None:
        raise AuthError(
            f"The label provider {name} is not connected any more.",
            hint=f"Run `creatorflow connect {name}`.",
        )
    return found


def _work_one(run: _Run, effect_id: int, summary: BuySummary) -> str:
    """Process one claimed label effect; returns a one-word outcome for progress."""
    from creatorflow.integrations.shipping.base import (
        LabelReference,
        LabelRejected,
        PurchaseOutcomeUnknown,
    )
    from creatorflow.services import label_records as records
    from creatorflow.services.purchase_planning import plan_purchase, refresh_order
    from creatorflow.store.effects import LostClaim

    services = run.services
    effect = records.load_effect(services, effect_id)
    reference = LabelReference.parse(effect.key)
    shop = records.load_shop(services, reference.shop_id)
    try:
        refresh_order(services, run.client, shop, reference.order_id)
        attempt = (effect.request or {}).get("attempt")
        if attempt is not None:
            tried = _rate_from_json(attempt)
            provider = _provider(run, tried.provider, shop.cipher)
            run.providers.throttle(tried.provider).acquire()
            found = provider.find_purchase(reference=str(reference), rate=tried)
            if found is not None:
                _record(run, effect, provider, found, summary, adopted=True)
                return "adopted"
        plan = plan_purchase(
            services,
            run.client,
            run.providers,
            shop,
            reference,
            now=run.now(),
            preference=effect.request,
        )
        if plan.refusals:
            records.refuse(services, effect, run.worker, plan.refusals, now=run.now())
            summary.held += 1
            return "held"
        rate = plan.rate
        if rate is None:
            raise LabelRejected(" ".join(plan.explanation) or "No rate could be chosen.")
        provider = _provider(run, rate.provider, shop.cipher)
        records.mark_attempt(services, effect, run.worker, _rate_to_json(rate), now=run.now())
        run.crash_point("before_buy")
        run.providers.throttle(rate.provider).acquire()
        # The fence: a worker that stalled past its lease (a suspended laptop, a station
        # whose clock runs ahead) must not buy what another worker has taken over.
        records.renew_claim(services, effect, run.worker, now=run.now())
        try:
            label = provider.buy(rate, label_format=plan.label_format, reference=str(reference))
        except RateLimitedError as exc:
            # A 429 is a refusal: nothing was bought, so the next attempt need not reconcile.
            delay = timedelta(seconds=exc.retry_after or 30)
            records.later(
                services, effect, run.worker, exc.message, delay=delay, now=run.now(), bought=False
            )
            summary.retry_later += 1
            return "retry"
        run.crash_point("after_buy")
        _record(run, effect, provider, label, summary, adopted=False)
        return "bought"
    except LostClaim:
        return "taken over"  # another worker owns this purchase now; it records the outcome
    except LabelRejected as exc:
        records.attention(services, effect, run.worker, exc.message, now=run.now())
        summary.needs_attention += 1
        return "refused"
    except (PurchaseOutcomeUnknown, RateLimitedError) as exc:
        delay = backoff(effect.attempts, services.time_speed)
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            delay = timedelta(seconds=exc.retry_after)
        records.later(services, effect, run.worker, exc.message, delay=delay, now=run.now())
        summary.retry_later += 1
        return "retry"
    except AuthError:
        records.later(
            services,
            effect,
            run.worker,
            "authorisation failed",
            delay=backoff(1, services.time_speed),
            now=run.now(),
        )
        raise
    except CreatorflowError as exc:
        records.later(
            services,
            effect,
            run.worker,
            exc.message,
            delay=backoff(effect.attempts, services.time_speed),
            now=run.now(),
        )
        summary.retry_later += 1
        return "retry"


def _record(
    run: _Run,
    effect: Effect,
    provider: LabelProvider,
    label: Label,
    summary: BuySummary,
    *,
    adopted: bool,
) -> None:
    from creatorflow.services import label_records as records

    try:
        content: bytes | None = provider.download(label)
    except CreatorflowError:
        content = None  # the label is bought; its file can be fetched again when printing
    run.crash_point("before_record")
    from creatorflow.store.effects import LostClaim

    try:
        records.record_label(run.services, effect, run.worker, label, content, now=run.now())
    except LostClaim:
        if not adopted:
            # Another worker took over while this purchase was in flight and may have bought
            # too: a label nobody records would be money lost, so give it back at once.
            _void_unrecorded(run, provider, label)
        raise
    summary.add_spend(label.cost, label.currency)
    if adopted:
        summary.adopted += 1
    else:
        summary.bought += 1


def _void_unrecorded(run: _Run, provider: LabelProvider, label: Label) -> None:
    from creatorflow.services import label_records as records

    recorded = records.recorded_label_id(run.services, label)
    if recorded == label.label_id:
        return  # the other worker adopted this very label: nothing to give back
    try:
        provider.void(label)
    except CreatorflowError:
        _log.exception("Could not void unrecorded label %s", label.label_id)
    else:
        _log.warning("Voided label %s bought after the claim was lost", label.label_id)


def buy_labels(
    services: Services,
    *,
    limit: int | None = None,
    order_ids: list[str] | None = None,
    workers: int | None = None,
    progress: Callable[[BuyProgress], None] | None = None,
    now: Callable[[], datetime] = _utcnow,
    crash_point: Callable[[str], None] = _no_crash,
    wait_up_to: timedelta = timedelta(seconds=90),
    sleep: Callable[[float], None] = time.sleep,
    stopping: Callable[[], bool] = lambda: False,
) -> BuySummary:
    """Work the approved queue: buy (or adopt) one label per approved order.

    Args:
        limit: Stop after this many effects.
        stopping: Once true, claim nothing more; purchases in flight finish (a daemon's SIGTERM).
        order_ids: Only these orders.
        workers: Purchases in flight at once (default ``labels.workers``).
        wait_up_to: Effects due again within this long (after a 429, say) are waited for.

    Raises:
        AuthError: TikTok or a provider refused our credentials (the run stops).
    """
    from creatorflow.services.label_providers import build_outside_providers
    from creatorflow.services.label_records import claim_label, next_label_due, pending_labels
    from creatorflow.services.processes import release_orphaned_claims
    from creatorflow.services.tiktok_connection import open_client
    from creatorflow.store.effects import LostClaim

    summary = BuySummary()
    # A `labels buy` or daemon killed mid-run left claims; free them rather than wait out leases.
    release_orphaned_claims(services)
    total = pending_labels(services, order_ids)
    if limit is not None:
        total = min(total, limit)
    count = workers or services.settings.integer("labels.workers")
    base = worker_name()
    providers = build_outside_providers(services)
    done = 0
    lock = threading.Lock()
    # TikTok checks request timestamps against the real clock, whatever `now` the run uses.
    with open_client(services) as client:

        def loop(index: int) -> None:
            nonlocal done
            run = _Run(services, client, providers, f"{base}:{index}", now, crash_point)
            while True:
                with lock:
                    if stopping() or (limit is not None and done >= limit):
                        return
                    claimed = claim_label(services, run.worker, now=now(), order_ids=order_ids)
                    if claimed is None:
                        return
                    done += 1
                effect_id, order_id = claimed
                mine = BuySummary()
                try:
                    outcome = _work_one(run, effect_id, mine)
                except LostClaim:
                    # Recording a failure found the claim taken over: the new holder decides.
                    outcome = "taken over"
                with lock:
                    summary.merge(mine)
                    if progress is not None:
                        progress(BuyProgress(done, total, summary.bought, order_id, outcome))

        waited = False
        while True:
            before = done
            with ThreadPoolExecutor(count, thread_name_prefix="creatorflow-buy") as pool:
                for future in [pool.submit(loop, index) for index in range(count)]:
                    future.result()
            # Work that only waits a little (a rate limit, a provider hiccup) is finished
            # in this run rather than left to the next one; a wait that brought nothing due
            # (another station holds the claims) ends the run.
            soon = next_label_due(services, order_ids)
            if soon is None or stopping() or (limit is not None and done >= limit):
                return summary
            wait = (soon - now()).total_seconds()
            if wait > wait_up_to.total_seconds() or (waited and done == before):
                return summary
            sleep(max(0.0, wait))
            waited = True
