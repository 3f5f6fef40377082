"""Handling TikTok Shop webhooks: verified first, then treated as hints, never as truth.

Two steps, so that a receiver answers TikTok within its 3 s:

- :func:`accept_webhook` is cheap and touches neither TikTok nor the database: it checks the
  raw body against its signature (HMAC of app key + body, reference §8.4), parses the
  envelope and, given a :class:`RecentNotifications`, flags a repeated notification.
- :func:`apply_webhook` does the work, later and off the request: order events (status
  change, address update, package split/combine, cancellation) fetch those orders again with
  Get Order Detail and store them through the same path as a sync, so the stored order only
  ever moves forward. A deauthorization (type 6) marks the shop revoked, and syncs then stop
  with "reconnect TikTok"; an expiring authorization (type 7) records the end date that
  ``shops list`` and ``doctor`` show.

:func:`handle_webhook` does both at once. A receiver answers 401 to :class:`WebhookRejected`,
400 to :class:`WebhookMalformed` and 200 to anything accepted.

Replays. TikTok's signature covers the body only, no time (reference §8.4), so whoever
captured one signed delivery can send it again, after a restart emptied the in-memory
:class:`RecentNotifications`. Re-reading an order is harmless; a deauthorization (type 6) or
an expiry notice (type 7) is not. :func:`apply_webhook` therefore ignores:

- any event whose ``timestamp`` is more than :data:`MAX_EVENT_AGE` (24 h) old. TikTok retries
  a push it got no 200 for after 2 min, 30 min, 3 h and 12 h (reference §8.1) and then gives
  up, so its last try carries a timestamp about 15½ h old; 24 h leaves room for a slow first
  push and for clock skew. Newer-than-now timestamps are accepted (our clock may be behind);
- a type 6 or 7 event older than the shop's current authorization (``authorized_at``, less
  :data:`AUTHORIZATION_SKEW`): it speaks of an authorization the seller has since replaced.

Both are answered like any accepted webhook, 200 and nothing done (the outcome's action says
why, for the log): the body is validly signed, so a 4xx would only make TikTok retry the same
stale bytes four more times and flag the push as failing in its Webhook Log, and a genuinely
late deauthorization still shows on the next sync, whose token calls TikTok then refuses.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from creatorflow.errors import CreatorflowError
from creatorflow.integrations.tiktok.webhooks import WebhookPayloadError
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import APP_SECRET, open_client

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.webhooks import WebhookEvent
    from creatorflow.store.tables import Shop

__all__ = [
    "AUTHORIZATION_SKEW",
    "MAX_EVENT_AGE",
    "AcceptedWebhook",
    "RecentNotifications",
    "WebhookMalformed",
    "WebhookOutcome",
    "WebhookRejected",
    "accept_webhook",
    "apply_webhook",
    "handle_webhook",
]

#: Status change, address update, cancellation: ``data.order_id`` names the order.
_ORDER_EVENTS = frozenset({1, 3, 11})
_PACKAGE_UPDATE = 4
_DEAUTHORIZATION = 6
_EXPIRING = 7
#: Older events are replays, not TikTok: its last retry comes ~15.5 h after the event.
MAX_EVENT_AGE = timedelta(hours=24)
#: How far TikTok's clock may lag ours when comparing an event with a fresh authorization.
AUTHORIZATION_SKEW = timedelta(minutes=5)


class WebhookRejected(CreatorflowError):
    """The webhook's signature is missing or wrong: it did not come from TikTok."""

    title = "Webhook rejected"


class WebhookMalformed(WebhookPayloadError):
    """A correctly signed webhook whose body is not a TikTok Shop event (answer 400)."""


@dataclass(frozen=True)
class WebhookOutcome:
    """What a webhook made CreatorFlow do (``action`` is a short word for logs)."""

    type: int
    shop_id: str
    action: str
    order_id: str | None = None


@dataclass(frozen=True)
class AcceptedWebhook:
    """A verified, parsed webhook waiting for :func:`apply_webhook`.

    ``key`` identifies the notification (``tts_notification_id``, or the body's digest when
    TikTok sent none); ``duplicate`` is set when a :class:`RecentNotifications` saw it before.
    """

    event: WebhookEvent
    key: str
    order_ids: tuple[str, ...]
    duplicate: bool = False

    @property
    def type(self) -> int:
        """The topic code."""
        return self.event.type

    @property
    def shop_id(self) -> str:
        """The shop the event is about."""
        return self.event.shop_id

    @property
    def order_id(self) -> str | None:
        """The first order the event names (for logs), if any."""
        return self.order_ids[0] if self.order_ids else None


class RecentNotifications:
    """The notification keys this process saw last: a bounded, thread-safe LRU.

    TikTok delivers at least once, so the same ``tts_notification_id`` can arrive twice.
    Applying it twice would be harmless (every handler re-reads the order and stores only
    what is newer), but it costs a Get Order Detail call against the shop's rate limit. Memory
    is enough here: a repeat after a restart costs exactly that one extra call, whereas a
    table would add a database write to every delivery on the path that must answer within
    3 s, and would need pruning. 10,000 keys (about 1 MB) cover far more than the bursts in
    which TikTok repeats a push.
    """

    def __init__(self, size: int = 10_000) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """Record ``key``; ``True`` unless it is among the last ``size`` keys recorded."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return True

    def forget(self, key: str) -> None:
        """Drop ``key``, so that its next delivery counts as new (it was not handled)."""
        with self._lock:
            self._keys.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _order_id(value: Any) -> str | None:
    """``value`` as an order id, or None when it cannot be one (it then never reaches TikTok:
    a hostile id of control characters or 70,000 digits would not even make a valid URL)."""
    from creatorflow.services.order_mapping import is_order_id

    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if is_order_id(text) else None


def _order_ids(event: WebhookEvent) -> tuple[str, ...]:
    data: dict[str, Any] = event.data
    if event.type in _ORDER_EVENTS:
        order_id = _order_id(data.get("order_id"))
        return (order_id,) if order_id else ()
    if event.type == _PACKAGE_UPDATE:
        found: dict[str, None] = {}
        packages = data.get("package_list")
        for package in packages if isinstance(packages, list) else []:
            listed = package.get("order_id_list") if isinstance(package, dict) else None
            for value in listed if isinstance(listed, list) else []:
                order_id = _order_id(value)
                if order_id:
                    found[order_id] = None
        return tuple(found)
    return ()


def accept_webhook(
    services: Services,
    raw_body: bytes,
    authorization: str,
    *,
    seen: RecentNotifications | None = None,
) -> AcceptedWebhook:
    """Verify and parse one delivery, without calling TikTok or touching the database.

    Args:
        raw_body: The request body exactly as received.
        authorization: The ``Authorization`` header value.
        seen: The notifications this receiver saw; the result's ``duplicate`` tells whether
            this one was among them (it is recorded either way).

    Raises:
        WebhookRejected: the signature does not match (answer 401, do nothing).
        WebhookMalformed: signed, but not a TikTok Shop event (answer 400).
    """
    from creatorflow.integrations.tiktok.webhooks import parse_event, verify

    app_key = services.settings.text("tiktok.app_key")
    secret = services.secrets.get(APP_SECRET) or ""
    if not app_key or not secret or not verify(app_key, secret, raw_body, authorization):
        raise WebhookRejected(
            "A webhook arrived with a signature that does not match this app.",
            hint="Check that tiktok.app_key and the tiktok_app_secret secret are this app's.",
        )
    try:
        event = parse_event(raw_body)
    except WebhookPayloadError as exc:
        raise WebhookMalformed(exc.message, hint=exc.hint) from exc
    if event.tts_notification_id:
        key = f"{event.shop_id}:{event.type}:{event.tts_notification_id}"
    else:  # older pushes carry no id; the same bytes (timestamp included) are the same push
        key = "sha256:" + hashlib.sha256(raw_body).hexdigest()
    duplicate = seen is not None and not seen.first_time(key)
    return AcceptedWebhook(event, key, _order_ids(event), duplicate)


def _refresh_orders(
    services: Services, event: WebhookEvent, order_ids: tuple[str, ...], now: datetime
) -> str:
    from creatorflow.services.order_sync import store_fresh_orders
    from creatorflow.store.tables import Shop

    with services.store.read() as session:
        shop = session.get(Shop, event.shop_id)
    if shop is None or shop.deauthorized_at is not None:
        return "ignored: unknown or revoked shop"
    with open_client(services) as client:
        outcome, quarantined = store_fresh_orders(
            services, client, shop, list(order_ids), now=lambda: now
        )
    if quarantined:
        return "quarantined"
    if outcome.new or outcome.updated:
        return "order refreshed"
    return "order unchanged"


_STALE = f"ignored: event older than {MAX_EVENT_AGE.total_seconds() / 3600:g} h (a replay)"
_SUPERSEDED = "ignored: event older than the shop's authorization (a replay)"


def _too_old(event: WebhookEvent, moment: datetime) -> bool:
    # Whole seconds, integers only: ``timestamp`` is any JSON integer, however large.
    age = int(moment.timestamp()) - event.timestamp
    return age > int(MAX_EVENT_AGE.total_seconds())


def _before_authorization(event: WebhookEvent, shop: Shop) -> bool:
    authorized = int(shop.authorized_at.timestamp())
    return event.timestamp < authorized - int(AUTHORIZATION_SKEW.total_seconds())


def apply_webhook(
    services: Services,
    accepted: AcceptedWebhook,
    *,
    now: Callable[[], datetime] = _utcnow,
) -> WebhookOutcome:
    """Act on an accepted webhook: re-read its orders, or record a revoked/expiring shop.

    Events older than :data:`MAX_EVENT_AGE`, and deauthorization or expiry events older than
    the shop's current authorization, are replays: ignored (the outcome's action says so).
    Safe to call twice for the same webhook. Raises what the TikTok client and the store
    raise (``AuthError``, ``ProviderError``, ``StoreError``): polling covers what is missed.
    """
    from creatorflow.store.shops import mark_deauthorized
    from creatorflow.store.tables import Shop

    event = accepted.event
    moment = now()
    if _too_old(event, moment):
        return WebhookOutcome(event.type, event.shop_id, _STALE, accepted.order_id)
    if event.type == _DEAUTHORIZATION:
        with services.store.write() as session:
            shop = session.get(Shop, event.shop_id)
            if shop is not None and _before_authorization(event, shop):
                return WebhookOutcome(event.type, event.shop_id, _SUPERSEDED)
            mark_deauthorized(session, event.shop_id, now=moment)
        return WebhookOutcome(event.type, event.shop_id, "deauthorized")
    if event.type == _EXPIRING:
        from creatorflow.services.order_mapping import UnusableRecord, parse_time

        try:
            raw = int(str(event.data.get("expiration_time", "0")))
            ends = parse_time(raw, "expiration_time")
        except (UnusableRecord, ValueError):
            ends = None
        with services.store.write() as session:
            shop = session.get(Shop, event.shop_id)
            if shop is not None and _before_authorization(event, shop):
                return WebhookOutcome(event.type, event.shop_id, _SUPERSEDED)
            if shop is not None and ends is not None:
                shop.refresh_token_expires_at = ends
        return WebhookOutcome(event.type, event.shop_id, "authorization expiring")
    if accepted.order_ids:
        action = _refresh_orders(services, event, accepted.order_ids, moment)
        return WebhookOutcome(event.type, event.shop_id, action, accepted.order_id)
    return WebhookOutcome(event.type, event.shop_id, "noted")


def handle_webhook(
    services: Services,
    raw_body: bytes,
    authorization: str,
    *,
    now: Callable[[], datetime] = _utcnow,
) -> WebhookOutcome:
    """Verify and act on one delivery at once (:func:`accept_webhook`, then
    :func:`apply_webhook`); no deduplication.

    Raises:
        WebhookRejected: the signature does not match (do nothing).
        WebhookMalformed: signed, but not a TikTok Shop event.
    """
    return apply_webhook(services, accept_webhook(services, raw_body, authorization), now=now)
