"""Syncing orders from TikTok Shop into the local store.

Incremental by default: each shop's listing is read by ``update_time`` ascending from the
stored watermark minus a few minutes of overlap (TikTok's own note: update times may land
behind a running search), so nothing updated while we read is missed. ``full`` reads
everything; ``since`` starts at a given time. Each page is fetched outside any transaction,
then stored in one write transaction with its quarantined records and the watermark it
reached: a crash loses at most the page in flight, and the next run re-reads it.

Orders TikTok lists as ``AWAITING_SHIPMENT`` with a still-masked address are fetched again
with Get Order Detail before they are stored, so a label is never bought for ``J***n``
(except TikTok Shipping orders: TikTok prints their label and keeps the name masked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from creatorflow.domain.orders import OrderRecord
from creatorflow.services.context import Services
from creatorflow.services.shop_sync import for_each_shop, sync_start

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import OrderPage, TikTokClient
    from creatorflow.store.order_pages import PageOutcome, PreparedPage
    from creatorflow.store.sync_state import Rejected
    from creatorflow.store.tables import Shop

__all__ = [
    "OrderSyncSummary",
    "SyncProgress",
    "map_order_page",
    "store_fresh_orders",
    "sync_orders",
]

RESOURCE = "orders"
#: Statuses in which the address must be real before anything is bought.
_NEEDS_ADDRESS = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncProgress:
    """Reported after every stored page."""

    shop: str
    pages: int
    orders: int
    total: int | None


@dataclass
class OrderSyncSummary:
    """What a sync run did, over all shops."""

    shops: int = 0
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    quarantined: int = 0
    addresses_refreshed: int = 0
    status_changes: int = 0
    voids_queued: int = 0


def map_order_page(page: OrderPage, shop_id: str) -> tuple[list[OrderRecord], list[Rejected]]:
    """Check and convert a page of orders; refused ones come back with their reasons."""
    from creatorflow.services.order_mapping import UnusableRecord, map_order
    from creatorflow.store.sync_state import Rejected

    records: dict[str, OrderRecord] = {}
    rejected = [
        Rejected(item.raw.decode("utf-8", "replace"), item.reason, item.external_id)
        for item in page.rejected
    ]
    for decoded in page.orders:
        try:
            record = map_order(decoded.order, decoded.raw, shop_id)
        except UnusableRecord as exc:
            rejected.append(
                Rejected(decoded.raw.decode("utf-8", "replace"), str(exc), decoded.order.id)
            )
            continue
        # An order listed twice in one page keeps its newest version.
        kept = records.get(record.id)
        if kept is None or record.updated_at >= kept.updated_at:
            records[record.id] = record
    return list(records.values()), rejected


@dataclass(frozen=True)
class _Fetched:
    page: PreparedPage
    rejected: list[Rejected]
    next_token: str | None
    total: int | None
    refreshed: int


def _refresh_addresses(
    client: TikTokClient, shop: Shop, records: list[OrderRecord]
) -> tuple[list[OrderRecord], int]:
    """Replace masked AWAITING_SHIPMENT orders by their Get Order Detail version."""
    wanted = [
        r.id
        for r in records
        if r.status in _NEEDS_ADDRESS and r.address_masked and r.shipping_type != "TIKTOK"
    ]
    if not wanted:
        return records, 0
    fresh, _rejected = map_order_page(client.order_details(shop.cipher, wanted), shop.id)
    by_id = {record.id: record for record in fresh}
    refreshed = sum(1 for order_id in wanted if order_id in by_id)
    return [by_id.get(record.id, record) for record in records], refreshed


def _store_page(
    services: Services,
    shop: Shop,
    fetched: _Fetched,
    *,
    full: bool,
    now: datetime,
    summary: OrderSyncSummary,
) -> None:
    from creatorflow.store.order_pages import store_order_page
    from creatorflow.store.sync_state import advance_watermark, quarantine

    records = fetched.page.records
    reached = max((record.updated_at for record in records), default=None)
    with services.store.write(durable=False) as session:
        quarantine(session, shop.id, RESOURCE, fetched.rejected, now=now)
        outcome = store_order_page(session, fetched.page, now=now)
        advance_watermark(
            session,
            shop.id,
            RESOURCE,
            reached,
            now=now,
            finished=fetched.next_token is None,
            full=full,
        )
    summary.pages += 1
    summary.new += outcome.new
    summary.updated += outcome.updated
    summary.unchanged += outcome.unchanged
    summary.stale += outcome.stale
    summary.quarantined += len(fetched.rejected) + outcome.quarantined
    summary.status_changes += len(outcome.status_changes)
    summary.addresses_refreshed += fetched.refreshed


def _sync_shop(
    services: Services,
    client: TikTokClient,
    shop: Shop,
    *,
    full: bool,
    since: datetime | None,
    progress: Callable[[SyncProgress], None] | None,
    now: Callable[[], datetime],
    summary: OrderSyncSummary,
) -> None:
    from creatorflow.store.order_pages import prepare_order_page

    start = sync_start(services, shop.id, RESOURCE, full=full, since=since)
    since_ts = int(start.timestamp()) if start is not None else None
    dialect = services.store.engine.dialect

    def fetch(token: str | None) -> _Fetched:
        page = client.search_orders(shop.cipher, update_time_ge=since_ts, page_token=token)
        records, rejected = map_order_page(page, shop.id)
        records, refreshed = _refresh_addresses(client, shop, records)
        return _Fetched(
            prepare_order_page(dialect, records, now=now()),
            rejected,
            page.next_page_token or None,
            page.total_count,
            refreshed,
        )

    pages = seen = 0
    # The next page is fetched, checked and converted while this one is written: waiting on
    # TikTok and on the disk overlap. Pages are still stored strictly in order, each in its
    # own transaction.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="creatorflow-fetch") as pool:
        pending = pool.submit(fetch, None)
        while True:
            fetched = pending.result()
            if fetched.next_token is not None:
                pending = pool.submit(fetch, fetched.next_token)
            _store_page(
                services, shop, fetched, full=full and since is None, now=now(), summary=summary
            )
            pages += 1
            seen += len(fetched.page.records) + len(fetched.rejected)
            if progress is not None:
                progress(SyncProgress(shop.name, pages, seen, fetched.total))
            if fetched.next_token is None:
                return


def store_fresh_orders(
    services: Services,
    client: TikTokClient,
    shop: Shop,
    order_ids: Sequence[str],
    *,
    now: Callable[[], datetime] = _utcnow,
) -> tuple[PageOutcome, int]:
    """Fetch orders by id (Get Order Detail) and store them; returns the outcome and how many
    were quarantined. Used before a purchase and for webhooks."""
    from creatorflow.store.order_pages import store_order_page
    from creatorflow.store.sync_state import quarantine

    page = client.order_details(shop.cipher, list(order_ids))
    records, rejected = map_order_page(page, shop.id)
    with services.store.write() as session:
        quarantine(session, shop.id, RESOURCE, rejected, now=now())
        outcome = store_order_page(session, records, now=now())
    return outcome, len(rejected)


def sync_orders(
    services: Services,
    *,
    full: bool = False,
    since: datetime | None = None,
    progress: Callable[[SyncProgress], None] | None = None,
    now: Callable[[], datetime] = _utcnow,
) -> OrderSyncSummary:
    """Bring every active shop's orders up to date.

    Args:
        full: Read every order again, not only those updated since the last run.
        since: Read the orders updated since this time (overrides the watermark).
        progress: Called after every stored page.
        now: The clock (tests pass their own).

    Raises:
        AuthError: not connected, or TikTok revoked the authorisation (exit code 3).
        ProviderError: TikTok failed after retries; the pages stored so far stay stored.
    """
    summary = OrderSyncSummary()

    def work(client: TikTokClient, shop: Shop) -> None:
        _sync_shop(
            services,
            client,
            shop,
            full=full,
            since=since,
            progress=progress,
            now=now,
            summary=summary,
        )

    summary.shops = for_each_shop(services, RESOURCE, work, now=now)
    from creatorflow.services.voids import queue_voids

    # Orders TikTok cancelled after their label was bought get their void journaled now.
    summary.voids_queued = queue_voids(services, now=now)
    return summary
