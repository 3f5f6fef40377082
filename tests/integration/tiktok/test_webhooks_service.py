"""Webhooks from the simulator: verified, then acted on (refresh, revoke, expiring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from creatorflow.errors import AuthError
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.doctor import check_tiktok
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.tiktok_connection import list_shops
from creatorflow.services.tiktok_webhooks import WebhookRejected, handle_webhook
from creatorflow.store.tables import Order


def _status(services: Services, order_id: str) -> str:
    with services.store.read() as session:
        return session.execute(select(Order.status).where(Order.id == order_id)).scalar_one()


def test_an_order_status_webhook_refreshes_that_order(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    [order_id] = sim.generate_orders(1)
    sync_orders(connected)
    assert _status(connected, order_id) == "UNPAID"
    sim.advance(timedelta(minutes=30))
    current = str(sim.order(order_id)["status"])
    assert current != "UNPAID"
    shop = sim.shops[0].id
    body, signature = sim.signed_webhook(
        1, shop, {"order_id": order_id, "order_status": current, "update_time": 1}
    )
    outcome = handle_webhook(connected, body, signature)
    assert (outcome.action, outcome.order_id) == ("order refreshed", order_id)
    assert _status(connected, order_id) == current


def test_a_webhook_with_a_bad_signature_changes_nothing(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    body, signature = sim.signed_webhook(6, sim.shops[0].id, {"message": "bye"})
    with pytest.raises(WebhookRejected):
        handle_webhook(connected, body, "0" * len(signature))
    with pytest.raises(WebhookRejected):
        handle_webhook(connected, body + b" ", signature)
    assert all(shop.active for shop in list_shops(connected))


def test_deauthorization_stops_syncs_until_reconnected(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    body, signature = sim.signed_webhook(6, sim.shops[0].id, {"message": "revoked"})
    assert handle_webhook(connected, body, signature).action == "deauthorized"
    assert not any(shop.active for shop in list_shops(connected))
    assert check_tiktok(connected, datetime.now(UTC)).status == "fail"
    with pytest.raises(AuthError):
        sync_orders(connected)


def test_an_expiring_authorization_is_shown_by_doctor(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    now = datetime.now(UTC)
    assert check_tiktok(connected, now).status == "ok"
    ends = int((now + timedelta(days=9)).timestamp())
    body, signature = sim.signed_webhook(
        7, sim.shops[0].id, {"message": "expiring", "expiration_time": str(ends)}
    )
    assert handle_webhook(connected, body, signature).action == "authorization expiring"
    check = check_tiktok(connected, now)
    assert check.status == "warn"
    assert "authorization ends" in check.summary
    assert list_shops(connected)[0].refresh_token_expires_at == datetime.fromtimestamp(ends, UTC)
