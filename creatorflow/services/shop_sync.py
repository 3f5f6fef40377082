"""What every TikTok sync shares: where to start reading, and the loop over active shops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from creatorflow.errors import AuthError, CreatorflowError
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import open_client

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.store.tables import Shop

__all__ = ["for_each_shop", "sync_start"]


def sync_start(
    services: Services, shop_id: str, resource: str, *, full: bool, since: datetime | None = None
) -> datetime | None:
    """The ``update_time`` to read from: ``since``, everything (``full``), or the watermark
    minus the overlap (``tiktok.sync_overlap_minutes``); None reads everything."""
    from creatorflow.store.sync_state import read_cursor

    if since is not None:
        return since
    if full:
        return None
    with services.store.read() as session:
        cursor = read_cursor(session, shop_id, resource)
        watermark = cursor.watermark if cursor is not None else None
    if watermark is None:
        return None
    overlap = timedelta(minutes=services.settings.integer("tiktok.sync_overlap_minutes"))
    return watermark - overlap


def for_each_shop(
    services: Services,
    resource: str,
    work: Callable[[TikTokClient, Shop], None],
    *,
    now: Callable[[], datetime],
) -> int:
    """Run ``work`` for every active shop with one client; returns how many shops it did.

    A shop whose work fails gets the reason on its sync cursor (shown by ``doctor``), and the
    error goes on up: the pages stored before it stay stored.

    Raises:
        AuthError: no shop is connected (or all were revoked).
    """
    from creatorflow.store.shops import active_shops
    from creatorflow.store.sync_state import record_sync_failure

    with services.store.read() as session:
        shops = active_shops(session)
    if not shops:
        raise AuthError(
            "No TikTok shop is connected.",
            hint="Run `creatorflow connect tiktok` to authorise CreatorFlow for your shop.",
        )
    with open_client(services, now=now) as client:
        for shop in shops:
            try:
                work(client, shop)
            except CreatorflowError as exc:
                with services.store.write() as session:
                    record_sync_failure(session, shop.id, resource, exc.message, now=now())
                raise
    return len(shops)
