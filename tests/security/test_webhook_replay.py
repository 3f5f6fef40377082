"""Replayed TikTok webhooks: the signature covers no time, so the timestamp and the shop's
authorization decide what an old, validly signed event may still do.

- An event older than ``MAX_EVENT_AGE`` (24 h) is acknowledged and ignored, whatever its type;
  TikTok's own last retry (about 15½ h after the event) is still applied.
- A deauthorization or expiry notice older than the shop's current authorization is ignored:
  captured before a reconnect, it cannot revoke the new authorization.
- The same delivery twice to a running receiver is applied once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest

from creatorflow.daemon.webhooks import WebhookReceiver
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import list_shops
from creatorflow.services.tiktok_webhooks import (
    MAX_EVENT_AGE,
    accept_webhook,
    apply_webhook,
    handle_webhook,
)
from tests.security.conftest import APP_KEY, APP_SECRET, wait_for

DETAIL = "GET /order/202309/orders"
#: TikTok retries after 2 min, 30 min, 3 h and 12 h (reference §8.1).
LAST_RETRY = timedelta(minutes=2 + 30 + 180 + 720)


def signed(type_: int, shop_id: str, data: dict[str, object], at: datetime) -> tuple[bytes, str]:
    """A TikTok webhook (reference §8.2) stamped ``at`` and its signature (§8.4)."""
    body = msgspec.json.encode(
        {
            "type": type_,
            "tts_notification_id": f"73{time.time_ns()}",
            "shop_id": shop_id,
            "timestamp": int(at.timestamp()),
            "data": data,
        }
    )
    mac = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()
    return body, mac


def _authorized_at(connected: Services) -> datetime:
    [shop] = list_shops(connected)
    return shop.authorized_at


def _active(connected: Services) -> bool:
    return all(shop.active for shop in list_shops(connected))


def test_tiktoks_last_retry_of_a_deauthorization_still_revokes(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    sent = datetime.now(UTC)
    body, signature = signed(6, sim.shops[0].id, {"message": "revoked"}, sent)
    outcome = handle_webhook(connected, body, signature, now=lambda: sent + LAST_RETRY)
    assert outcome.action == "deauthorized"
    assert not _active(connected)


def test_a_deauthorization_older_than_a_day_is_ignored(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    sent = datetime.now(UTC)
    body, signature = signed(6, sim.shops[0].id, {"message": "revoked"}, sent)
    later = sent + MAX_EVENT_AGE + timedelta(seconds=2)
    outcome = handle_webhook(connected, body, signature, now=lambda: later)
    assert outcome.action.startswith("ignored: event older than 24 h")
    assert _active(connected)


def test_a_deauthorization_captured_before_a_reconnect_cannot_revoke_it(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    # The seller revoked the app an hour before connecting again; someone kept that push.
    before = _authorized_at(connected) - timedelta(hours=1)
    body, signature = signed(6, sim.shops[0].id, {"message": "revoked"}, before)
    outcome = handle_webhook(connected, body, signature)
    assert outcome.action == "ignored: event older than the shop's authorization (a replay)"
    assert _active(connected)
    # A deauthorization sent after this authorization is applied.
    body, signature = signed(6, sim.shops[0].id, {"message": "revoked"}, datetime.now(UTC))
    assert handle_webhook(connected, body, signature).action == "deauthorized"
    assert not _active(connected)


def test_an_old_expiry_notice_does_not_rewrite_the_authorizations_end(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    [shop] = list_shops(connected)
    ends_before = shop.refresh_token_expires_at
    soon = int((datetime.now(UTC) + timedelta(days=2)).timestamp())
    for at in (
        _authorized_at(connected) - timedelta(hours=2),
        datetime.now(UTC) - timedelta(days=3),
    ):
        body, signature = signed(
            7, sim.shops[0].id, {"message": "expiring", "expiration_time": str(soon)}, at
        )
        assert handle_webhook(connected, body, signature).action.startswith("ignored:")
    [shop] = list_shops(connected)
    assert shop.refresh_token_expires_at == ends_before


def test_an_old_order_event_costs_no_tiktok_call(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    [order_id] = sim.generate_orders(1)
    body, signature = signed(
        1, sim.shops[0].id, {"order_id": order_id}, datetime.now(UTC) - timedelta(days=2)
    )
    calls = sim.requests[DETAIL]
    outcome = handle_webhook(connected, body, signature)
    assert outcome.action.startswith("ignored: event older")
    assert outcome.order_id == order_id
    assert sim.requests[DETAIL] == calls


@pytest.mark.parametrize("timestamp", [-(2**70), -1, 0, 2**70, 10**4000])
def test_absurd_timestamps_are_handled_without_an_error(
    connected: Services, sim: TikTokShopSimulator, timestamp: int
) -> None:
    body = msgspec.json.encode(
        {"type": 6, "shop_id": sim.shops[0].id, "timestamp": timestamp, "data": {}}
    )
    mac = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()
    outcome = apply_webhook(connected, accept_webhook(connected, body, mac))
    # Far past: a replay. Far future: only TikTok can sign one; its clock may be ahead.
    if timestamp > 0:
        assert outcome.action == "deauthorized"
    else:
        assert outcome.action.startswith("ignored: event older than 24 h")
    assert _active(connected) == (timestamp <= 0)


def test_replays_over_http_are_answered_200_and_change_nothing(
    connected: Services,
    sim: TikTokShopSimulator,
    receiver: WebhookReceiver,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="creatorflow.daemon.webhooks")
    shop = sim.shops[0].id
    old = signed(6, shop, {"message": "revoked"}, _authorized_at(connected) - timedelta(hours=3))
    stale = signed(6, shop, {"message": "revoked"}, datetime.now(UTC) - timedelta(days=2))
    [order_id] = sim.generate_orders(1)
    fresh = signed(1, shop, {"order_id": order_id}, datetime.now(UTC))
    calls = sim.requests[DETAIL]
    for body, signature in (old, stale, fresh, fresh, old):
        response = http.post("/webhooks/tiktok", content=body, headers={"Authorization": signature})
        # 200 and an empty body: TikTok stops retrying (a 4xx would make it send the same
        # stale bytes four more times).
        assert (response.status_code, response.content) == (200, b"")
    wait_for(lambda: receiver.handled == 3, "the three distinct webhooks to be handled")
    assert _active(connected)
    assert sim.requests[DETAIL] == calls + 1  # the repeated order event was applied once
    assert "action=ignored: event older than the shop's authorization" in caplog.text
    assert "action=ignored: event older than 24 h" in caplog.text
    assert "action=duplicate dropped" in caplog.text
