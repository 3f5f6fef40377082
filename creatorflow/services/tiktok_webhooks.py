"""Handling TikTok Shop webhooks: verified first, then treated as hints, never as truth.

A webhook is checked against the raw body (HMAC of app key + body, reference §8.4) before it
is parsed. Order events (status change, cancellation, address update) make CreatorFlow fetch
the order again with Get Order Detail and store it through the same path as a sync, so the
stored order only ever moves forward. A deauthorization (type 6) marks the shop revoked, and
syncs then stop with "reconnect TikTok"; an expiring authorization (type 7) records the end
date that ``shops list`` and ``doctor`` show.

The HTTP receiver (the daemon's) answers 200 to anything this returns and 401 to
:class:`WebhookRejected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from creatorflow.errors import CreatorflowError
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import APP_SECRET, open_client

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.webhooks import WebhookEvent

__all__ = ["WebhookOutcome", "WebhookRejected", "handle_webhook"]

_ORDER_EVENTS = frozenset({1, 3, 11})


class WebhookRejected(CreatorflowError):
    """The webhook's signature is missing or wrong: it did not come from TikTok."""

    title = "Webhook rejected"


@dataclass(frozen=True)
class WebhookOutcome:
    """What a webhook made CreatorFlow do (``action`` is a short word for logs)."""

    type: int
    shop_id: str
    action: str
    order_id: str | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _refresh_order(services: Services, event: WebhookEvent, order_id: str, now: datetime) -> str:
    from creatorflow.services.order_sync import store_fresh_orders
    from creatorflow.store.tables import Shop

    with services.store.read() as session:
        shop = session.get(Shop, event.shop_id)
    if shop is None or shop.deauthorized_at is not None:
        return "ignored: unknown or revoked shop"
    with open_client(services) as client:
        outcome, quarantined = store_fresh_orders(
            services, client, shop, [order_id], now=lambda: now
        )
    if quarantined:
        return "quarantined"
    if outcome.new or outcome.updated:
        return "order refreshed"
    return "order unchanged"


def handle_webhook(
    services: Services,
    raw_body: bytes,
    authorization: str,
    *,
    now: Callable[[], datetime] = _utcnow,
) -> WebhookOutcome:
    """Verify and act on one webhook delivery.

    Raises:
        WebhookRejected: the signature does not match (answer 401, do nothing).
        WebhookPayloadError: signed, but not a TikTok Shop event.
    """
    from creatorflow.integrations.tiktok.webhooks import parse_event, verify
    from creatorflow.store.shops import mark_deauthorized
    from creatorflow.store.tables import Shop

    app_key = services.settings.text("tiktok.app_key")
    secret = services.secrets.get(APP_SECRET) or ""
    if not app_key or not secret or not verify(app_key, secret, raw_body, authorization):
        raise WebhookRejected(
            "A webhook arrived with a signature that does not match this app.",
            hint="Check that tiktok.app_key and the tiktok_app_secret secret are this app's.",
        )
    event = parse_event(raw_body)
    data = event.data
    moment = now()
    if event.type == 6:
        with services.store.write() as session:
            mark_deauthorized(session, event.shop_id, now=moment)
        return WebhookOutcome(event.type, event.shop_id, "deauthorized")
    if event.type == 7:
        from creatorflow.services.order_mapping import UnusableRecord, parse_time

        try:
            ends = parse_time(int(str(data.get("expiration_time", "0"))), "expiration_time")
        except (UnusableRecord, ValueError):
            ends = None
        with services.store.write() as session:
            shop = session.get(Shop, event.shop_id)
            if shop is not None and ends is not None:
                shop.refresh_token_expires_at = ends
        return WebhookOutcome(event.type, event.shop_id, "authorization expiring")
    order_id = str(data.get("order_id") or "")
    if event.type in _ORDER_EVENTS and order_id:
        action = _refresh_order(services, event, order_id, moment)
        return WebhookOutcome(event.type, event.shop_id, action, order_id)
    return WebhookOutcome(event.type, event.shop_id, "noted")
