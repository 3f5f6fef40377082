"""The daemon's webhook receiver over real HTTP on loopback, fed by the TikTok simulator."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from creatorflow.daemon import webhooks as receiver_module
from creatorflow.daemon.webhooks import MAX_BODY, WebhookAddressError, WebhookReceiver
from creatorflow.errors import ProviderError, SecretError
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.sandbox.tiktok.checks import webhook_signature
from creatorflow.services.context import Services
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.tiktok_connection import list_shops
from creatorflow.services.tiktok_webhooks import (
    AcceptedWebhook,
    RecentNotifications,
    WebhookOutcome,
    apply_webhook,
)
from creatorflow.store.tables import Order

DETAIL = "GET /order/202309/orders"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _status(services: Services, order_id: str) -> str:
    with services.store.read() as session:
        return session.execute(select(Order.status).where(Order.id == order_id)).scalar_one()


@pytest.fixture
def receiver(connected: Services) -> Iterator[WebhookReceiver]:
    running = WebhookReceiver(connected)
    running.start("127.0.0.1", 0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(receiver: WebhookReceiver) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=receiver.url.removesuffix("/webhooks/tiktok")) as client:
        yield client


def post(http: httpx.Client, body: bytes, signature: str, path: str = "/webhooks/tiktok") -> int:
    response = http.post(path, content=body, headers={"Authorization": signature})
    # TikTok reads nothing but the status; its docs ask for an empty body.
    assert response.content == b""
    return response.status_code


def _moved_order(connected: Services, sim: TikTokShopSimulator) -> tuple[str, str]:
    """An order stored as UNPAID that TikTok has since moved on; its id and new status."""
    [order_id] = sim.generate_orders(1)
    sync_orders(connected)
    assert _status(connected, order_id) == "UNPAID"
    sim.advance(timedelta(minutes=30))
    current = str(sim.order(order_id)["status"])
    assert current != "UNPAID"
    return order_id, current


def _marker(sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client) -> None:
    """Send a webhook that needs no API call and wait until the worker got to it: everything
    queued before it has then been handled (one worker, first in first out)."""
    before = receiver.handled
    body, signature = sim.signed_webhook(5, sim.shops[0].id, {"product_id": "1"})
    assert post(http, body, signature) == 200
    wait_for(lambda: receiver.handled > before, "the worker to reach the marker")


def test_a_signed_webhook_is_answered_and_its_order_refreshed(
    connected: Services,
    sim: TikTokShopSimulator,
    receiver: WebhookReceiver,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="creatorflow.daemon.webhooks")
    order_id, current = _moved_order(connected, sim)
    shop = sim.shops[0].id
    body, signature = sim.signed_webhook(
        1, shop, {"order_id": order_id, "order_status": current, "update_time": 1}
    )
    assert post(http, body, signature) == 200
    wait_for(lambda: _status(connected, order_id) == current, "the order to be refreshed")
    line = f"webhook type=1 shop={shop} order={order_id} action=order refreshed"
    wait_for(lambda: line in caplog.text, "the log line")
    assert signature not in caplog.text
    assert body.decode() not in caplog.text
    assert sim.app_secret not in caplog.text


def test_the_root_path_receives_too_and_healthz_answers(
    connected: Services, sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client
) -> None:
    order_id, current = _moved_order(connected, sim)
    body, signature = sim.signed_webhook(3, sim.shops[0].id, {"order_id": order_id})
    assert post(http, body, signature, path="/") == 200
    wait_for(lambda: _status(connected, order_id) == current, "the order to be refreshed")
    health = http.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok")
    assert http.get("/webhooks/tiktok").status_code == 405


def test_a_bad_signature_is_refused_and_changes_nothing(
    connected: Services, sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client
) -> None:
    body, signature = sim.signed_webhook(6, sim.shops[0].id, {"message": "revoked"})
    calls = sim.stats()["requests"]
    assert post(http, body, "0" * len(signature)) == 401
    assert post(http, body + b" ", signature) == 401
    assert http.post("/webhooks/tiktok", content=body).status_code == 401  # no header at all
    _marker(sim, receiver, http)
    assert receiver.handled == 1  # only the marker reached the worker
    assert all(shop.active for shop in list_shops(connected))
    assert sim.stats()["requests"] == calls
    # The rejected ones were not remembered: the genuine delivery still counts.
    assert post(http, body, signature) == 200
    wait_for(lambda: not any(s.active for s in list_shops(connected)), "the shop to be revoked")


def test_an_oversized_body_is_refused_with_413(
    sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client
) -> None:
    big = b'{"type":1,"pad":"' + b"x" * MAX_BODY + b'"}'
    signature = webhook_signature(sim.app_key, sim.app_secret, big)
    assert post(http, big, signature) == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap applies while reading
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"x" * 65536

    response = http.post("/webhooks/tiktok", content=chunks(), headers={"Authorization": "0"})
    assert response.status_code == 413
    assert receiver.queue.empty()
    assert receiver.handled == 0


def test_a_signed_body_that_is_not_an_event_is_refused_with_400(
    sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client
) -> None:
    for body in (b"not json", b"[1, 2]", b'{"type": 1}'):
        assert post(http, body, webhook_signature(sim.app_key, sim.app_secret, body)) == 400
    assert receiver.handled == 0


def test_a_repeated_notification_is_applied_once(
    connected: Services, sim: TikTokShopSimulator, receiver: WebhookReceiver, http: httpx.Client
) -> None:
    order_id, current = _moved_order(connected, sim)
    body, signature = sim.signed_webhook(1, sim.shops[0].id, {"order_id": order_id})
    before = sim.requests[DETAIL]
    assert post(http, body, signature) == 200
    assert post(http, body, signature) == 200  # TikTok must stop retrying it too
    _marker(sim, receiver, http)
    assert sim.requests[DETAIL] == before + 1
    assert _status(connected, order_id) == current
    # A new notification about the same order is not a repeat.
    again, again_signature = sim.signed_webhook(1, sim.shops[0].id, {"order_id": order_id})
    assert post(http, again, again_signature) == 200
    _marker(sim, receiver, http)
    assert sim.requests[DETAIL] == before + 2


def test_a_failing_webhook_is_logged_and_the_worker_goes_on(
    connected: Services,
    sim: TikTokShopSimulator,
    receiver: WebhookReceiver,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="creatorflow.daemon.webhooks")
    failures = {"111": ProviderError("TikTok is down"), "222": RuntimeError("a bug")}

    def flaky(services: Services, accepted: AcceptedWebhook) -> WebhookOutcome:
        if accepted.order_id in failures:
            raise failures[accepted.order_id]
        return apply_webhook(services, accepted)

    monkeypatch.setattr(receiver_module, "apply_webhook", flaky)
    shop = sim.shops[0].id
    for failing in failures:
        assert post(http, *sim.signed_webhook(1, shop, {"order_id": failing})) == 200
    order_id, current = _moved_order(connected, sim)
    assert post(http, *sim.signed_webhook(1, shop, {"order_id": order_id})) == 200
    wait_for(lambda: _status(connected, order_id) == current, "the third webhook applied")
    assert "order=111 action=failed error=TikTok is down" in caplog.text
    assert "order=222 action=failed unexpectedly" in caplog.text


def test_stop_ends_the_worker_and_the_listener(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    receiver = WebhookReceiver(connected)
    receiver.start("127.0.0.1", 0)
    url = receiver.url
    worker = receiver._worker
    assert worker is not None
    assert worker.is_alive()
    receiver.stop()
    receiver.stop()  # twice is fine
    assert not worker.is_alive()
    body, signature = sim.signed_webhook(5, sim.shops[0].id, {"product_id": "1"})
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, content=body, headers={"Authorization": signature})


def test_an_address_in_use_is_a_clear_error(connected: Services) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        receiver = WebhookReceiver(connected)
        with pytest.raises(WebhookAddressError) as caught:
            receiver.start("127.0.0.1", port)
    assert str(port) in caught.value.message
    assert caught.value.hint is not None
    assert "Another program" in caught.value.hint
    assert caught.value.exit_code == 2


def test_recent_notifications_forget_the_oldest_beyond_their_size() -> None:
    seen = RecentNotifications(size=3)
    assert [seen.first_time(key) for key in "abca"] == [True, True, True, False]
    assert seen.first_time("d")  # "b" is now the least recently seen and goes
    assert len(seen) == 3
    assert seen.first_time("b")
    assert not seen.first_time("a")
    seen.forget("a")
    assert seen.first_time("a")
    with pytest.raises(ValueError, match="at least 1"):
        RecentNotifications(size=0)


def test_a_receiver_that_cannot_check_a_signature_answers_500_so_tiktok_retries(
    sim: TikTokShopSimulator,
    receiver: WebhookReceiver,
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def locked(*_args: object, **_kwargs: object) -> AcceptedWebhook:
        raise SecretError("The keyring is locked.")

    monkeypatch.setattr(receiver_module, "accept_webhook", locked)
    body, signature = sim.signed_webhook(6, sim.shops[0].id, {"message": "revoked"})
    assert post(http, body, signature) == 500
    assert receiver.queue.empty()
    assert len(receiver.seen) == 0
