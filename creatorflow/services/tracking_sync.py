"""Following bought labels to delivery, and flagging late dispatch and lost parcels.

``creatorflow tracking sync`` (and the daemon, every ``daemon.tracking_seconds``) asks each
label's provider where the parcel is — Shippo tracks, EasyPost trackers, TikTok's order
tracking for TikTok Shipping labels — for every purchased label of an order that is
``labelled``, ``shipped`` or ``in_transit``. The answer is stored on the shipment, the order
moves ``shipped → in_transit`` at the first carrier scan and ``→ delivered`` once delivered,
and the order is judged (see ``tracking_records``):

* ``dispatch_state`` against TikTok's ship-by time, judged as TikTok does by the carrier's
  *first scan*: ``at_risk`` when the ship-by time is within ``warn_before`` (6 hours) with no
  scan — flagged *before* the deadline passes — ``overdue`` after it, ``late`` when the scan
  came after it, else ``waiting`` / ``on_time``;
* ``possibly_lost`` when there has been no carrier scan for 7 business days (weekends and
  US federal holidays skipped) since the last scan, or since the purchase if the carrier never
  scanned it, and the parcel is not delivered.

Every provider call happens outside a transaction and goes through the provider's throttle;
each answer is stored in one short write. A provider's error on one label is counted on the
summary and the run goes on (the order is still judged, so time keeps flagging it); an
:class:`~creatorflow.errors.AuthError` stops the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from creatorflow.domain.deadlines import DispatchState
from creatorflow.domain.stages import Stage
from creatorflow.errors import AuthError, CreatorflowError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import LabelProvider
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.services.label_providers import ProviderSet
    from creatorflow.services.tracking_records import Judgement, TrackJob

__all__ = [
    "WARN_BEFORE",
    "FlaggedOrder",
    "TrackingFailure",
    "TrackingProgress",
    "TrackingSummary",
    "dispatch_filter_values",
    "late_orders",
    "sync_tracking",
]

log = logging.getLogger(__name__)

#: How long before TikTok's ship-by time an unscanned order is flagged ``at_risk``.
WARN_BEFORE = timedelta(hours=6)

#: Orders judged per transaction when no carrier answer was stored for them.
_JUDGE_BATCH = 200

_LATE = (DispatchState.AT_RISK, DispatchState.OVERDUE, DispatchState.LATE)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TrackingFailure:
    """A label whose provider could not be asked this time."""

    order_id: str
    provider: str
    tracking_number: str
    message: str


@dataclass(frozen=True)
class TrackingProgress:
    """Reported after every label asked about."""

    done: int
    total: int
    order_id: str
    outcome: str


@dataclass
class TrackingSummary:
    """What a tracking sync did.

    ``checked``: labels whose provider answered. ``in_transit`` / ``delivered``: orders moved
    to that stage by this run. ``late`` (``late`` or ``overdue``), ``at_risk`` and
    ``possibly_lost``: orders in a tracked stage carrying that flag after the run (delivered
    orders moved by this run included). ``errors``: labels whose provider failed; the
    details are in ``failures``.
    """

    checked: int = 0
    in_transit: int = 0
    delivered: int = 0
    late: int = 0
    at_risk: int = 0
    possibly_lost: int = 0
    errors: int = 0
    failures: list[TrackingFailure] = field(default_factory=list)


@dataclass(frozen=True)
class FlaggedOrder:
    """An order flagged by tracking sync (``late_orders``)."""

    order_id: str
    stage: Stage
    dispatch_state: str | None
    shipping_due_at: datetime | None
    possibly_lost: bool


def dispatch_filter_values() -> dict[str, tuple[str, ...]]:
    """What each dispatch filter of ``orders list --stage`` matches in ``orders.dispatch_state``.

    ``late`` is everything TikTok will or may count as a late dispatch: no scan as the
    ship-by time approaches (``at_risk``), none by it (``overdue``), or a scan after it
    (``late``). ``possibly_lost`` is not a dispatch state: it filters ``orders.possibly_lost``.
    """
    return {
        "late": tuple(state.value for state in _LATE),
        "at_risk": (DispatchState.AT_RISK.value,),
        "overdue": (DispatchState.OVERDUE.value,),
    }


def late_orders(services: Services, *, include_lost: bool = True) -> list[FlaggedOrder]:
    """Orders flagged late, overdue or at risk (and possibly lost), soonest ship-by first.

    Cancelled and voided orders keep their last flags but are left out.
    """
    from sqlalchemy import or_, select

    from creatorflow.store.tables import Order

    flagged = Order.dispatch_state.in_(dispatch_filter_values()["late"])
    condition = or_(flagged, Order.possibly_lost.is_(True)) if include_lost else flagged
    gone = (Stage.CANCELLED, Stage.VOIDING, Stage.VOIDED)
    query = (
        select(Order)
        .where(condition, Order.stage.not_in(gone))
        .order_by(Order.shipping_due_at, Order.id)
    )
    with services.store.read() as session:
        return [
            FlaggedOrder(o.id, o.stage, o.dispatch_state, o.shipping_due_at, o.possibly_lost)
            for o in session.scalars(query)
        ]


class _Providers:
    """The provider of each label: outside ones from the ProviderSet, TikTok per shop."""

    def __init__(
        self, outside: ProviderSet, tiktok: Callable[[], TikTokClient], lock: threading.Lock
    ) -> None:
        self.outside = outside
        self._tiktok = tiktok
        self._by_cipher: dict[str, LabelProvider] = {}
        self._lock = lock

    def get(self, job: TrackJob) -> LabelProvider:
        if job.provider == "tiktok_shipping":
            from creatorflow.integrations.shipping.tiktok_shipping import TikTokShippingProvider

            with self._lock:
                found = self._by_cipher.get(job.cipher)
                if found is None:
                    found = TikTokShippingProvider(self._tiktok(), job.cipher)
                    self._by_cipher[job.cipher] = found
                return found
        outside = self.outside.providers.get(job.provider)
        if outside is None:
            raise _NotConnected(
                f"The label provider {job.provider} is not connected any more; "
                f"run `creatorflow connect {job.provider}` to follow its labels."
            )
        return outside


class _NotConnected(Exception):
    pass


@dataclass
class _Run:
    services: Services
    providers: _Providers
    now: Callable[[], datetime]
    warn_before: timedelta
    summary: TrackingSummary
    judged: dict[str, Judgement]
    lock: threading.Lock
    total: int
    progress: Callable[[TrackingProgress], None] | None
    done: int = 0


def _track_one(run: _Run, job: TrackJob) -> str:
    """Ask about one label and store the answer; returns a one-word outcome."""
    from creatorflow.services.tracking_records import record_tracking

    try:
        provider = run.providers.get(job)
        run.providers.outside.throttle(job.provider).acquire()
        found = provider.track(job.label)
    except AuthError:
        raise
    except (CreatorflowError, _NotConnected) as exc:
        message = exc.message if isinstance(exc, CreatorflowError) else str(exc)
        log.warning(
            "tracking %s (%s, order %s) failed: %s",
            job.label.tracking_number,
            job.provider,
            job.order_id,
            message,
        )
        failure = TrackingFailure(job.order_id, job.provider, job.label.tracking_number, message)
        with run.lock:
            run.summary.errors += 1
            run.summary.failures.append(failure)
        return "error"
    outcome = record_tracking(run.services, job, found, now=run.now(), warn_before=run.warn_before)
    with run.lock:
        run.summary.checked += 1
        run.summary.in_transit += Stage.IN_TRANSIT in outcome.moved_to
        run.summary.delivered += Stage.DELIVERED in outcome.moved_to
        if outcome.judgement is not None:
            run.judged[job.order_id] = outcome.judgement
    if Stage.DELIVERED in outcome.moved_to:
        return "delivered"
    if Stage.IN_TRANSIT in outcome.moved_to:
        return "in_transit"
    return found.status.value


def _work(run: _Run, jobs: Iterator[TrackJob], stop: threading.Event) -> None:
    while not stop.is_set():
        with run.lock:
            job = next(jobs, None)
        if job is None:
            return
        try:
            outcome = _track_one(run, job)
        except BaseException:
            stop.set()
            raise
        with run.lock:
            run.done += 1
            if run.progress is not None:
                run.progress(TrackingProgress(run.done, run.total, job.order_id, outcome))


def _count(summary: TrackingSummary, judged: Mapping[str, Judgement]) -> None:
    for judgement in judged.values():
        state = judgement.dispatch_state
        summary.late += state in (DispatchState.LATE, DispatchState.OVERDUE)
        summary.at_risk += state is DispatchState.AT_RISK
        summary.possibly_lost += judgement.possibly_lost


def sync_tracking(
    services: Services,
    *,
    now: Callable[[], datetime] = _utcnow,
    order_ids: list[str] | None = None,
    progress: Callable[[TrackingProgress], None] | None = None,
    client: TikTokClient | None = None,
    workers: int = 4,
    warn_before: timedelta = WARN_BEFORE,
) -> TrackingSummary:
    """Follow every bought label of the orders in a tracked stage; move and flag the orders.

    Args:
        now: Our clock (tests move it; the TikTok client always signs with the real one).
        order_ids: Only these orders.
        progress: Called after each label asked about.
        client: A TikTok client for TikTok Shipping labels (opened when needed otherwise).
        workers: Labels asked about at once (each provider's throttle still applies).
        warn_before: How long before the ship-by time an unscanned order is ``at_risk``.

    Raises:
        AuthError: TikTok or a provider refused our credentials (the run stops).
    """
    from concurrent.futures import ThreadPoolExecutor

    from creatorflow.services.label_providers import build_outside_providers
    from creatorflow.services.tracking_records import judge_orders, load_jobs, orders_in_scope

    jobs = load_jobs(services, order_ids)
    summary = TrackingSummary()
    judged: dict[str, Judgement] = {}
    lock = threading.Lock()
    with ExitStack() as stack:

        def tiktok() -> TikTokClient:
            nonlocal client
            if client is None:
                from creatorflow.services.tiktok_connection import open_client

                client = stack.enter_context(open_client(services))
            return client

        needs_outside = any(job.provider != "tiktok_shipping" for job in jobs)
        outside = build_outside_providers(services) if needs_outside else None
        if outside is None:
            from creatorflow.services.label_providers import ProviderSet

            outside = ProviderSet(providers={}, order=[])
        providers = _Providers(outside, tiktok, threading.Lock())
        run = _Run(
            services, providers, now, warn_before, summary, judged, lock, len(jobs), progress
        )
        if jobs:
            count = max(1, min(workers, len(jobs)))
            stop = threading.Event()
            queue = iter(jobs)
            with ThreadPoolExecutor(count, thread_name_prefix="creatorflow-track") as pool:
                futures = [pool.submit(_work, run, queue, stop) for _ in range(count)]
            for future in futures:
                future.result()  # re-raises the AuthError (or a bug) that stopped the run
    rest = [order_id for order_id in orders_in_scope(services, order_ids) if order_id not in judged]
    for start in range(0, len(rest), _JUDGE_BATCH):
        batch = rest[start : start + _JUDGE_BATCH]
        for judgement in judge_orders(services, batch, now=now(), warn_before=warn_before):
            judged[judgement.order_id] = judgement
    _count(summary, judged)
    return summary
