"""Order sync against the simulator: faults, token refresh, restarts, incremental polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from creatorflow.errors import AuthError, ProviderError
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.tiktok_connection import ACCESS_TOKEN, REFRESH_TOKEN, list_shops
from creatorflow.store.sync_state import read_cursor
from creatorflow.store.tables import Order, OrderLine

SEARCH = "/order/202309/orders/search"


def _stored(services: Services) -> dict[str, str]:
    with services.store.read() as session:
        return {row.id: row.status for row in session.execute(select(Order.id, Order.status))}


def _units_match_lines(services: Services) -> bool:
    with services.store.read() as session:
        lines = dict(
            session.execute(
                select(OrderLine.order_id, func.count()).group_by(OrderLine.order_id)
            ).all()
        )
        units = dict(session.execute(select(Order.id, Order.units)).all())
    return all(lines.get(order_id, 0) == count for order_id, count in units.items())


def test_a_full_sync_stores_every_order_with_its_units(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    ids = sim.generate_orders(250, spread=timedelta(days=3))
    summary = sync_orders(connected)
    assert summary.new == 250
    assert summary.pages == 3
    stored = _stored(connected)
    assert set(stored) == set(ids)
    assert all(stored[i] == sim.order(i)["status"] for i in ids)
    assert _units_match_lines(connected)


def test_transient_faults_are_retried_and_nothing_is_lost(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    ids = sim.generate_orders(220, spread=timedelta(days=1))
    sim.faults.fail_next(1, "5xx", path_prefix=SEARCH)
    sim.faults.fail_next(1, "drop", path_prefix=SEARCH)
    sim.faults.fail_next(1, "429", path_prefix=SEARCH)
    summary = sync_orders(connected)
    assert summary.new == 220
    assert set(_stored(connected)) == set(ids)
    assert sum(sim.faults.injected.values()) == 3


def test_a_sync_that_fails_midway_keeps_its_pages_and_the_next_run_finishes(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    ids = sim.generate_orders(500, spread=timedelta(days=1))
    sim.faults.fail_next(1, "5xx", path_prefix=SEARCH)  # first page: retried, fine
    calls = {"n": 0}
    real = sim.faults.fail_next

    # After two pages TikTok stays down for longer than the client retries (one page may
    # already be fetched ahead, so at least two of the five are never fetched).
    def down_after_two_pages(progress: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            real(20, "5xx", path_prefix=SEARCH)

    with pytest.raises(ProviderError):
        sync_orders(connected, progress=down_after_two_pages)
    partial = _stored(connected)
    assert 200 <= len(partial) <= 300
    shop = list_shops(connected)[0]
    with connected.store.read() as session:
        cursor = read_cursor(session, shop.id, "orders")
        assert cursor is not None
        assert cursor.last_error is not None
        assert cursor.watermark is not None
    sim.faults.clear()
    summary = sync_orders(connected)
    assert set(_stored(connected)) == set(ids)
    assert summary.new == 500 - len(partial)
    assert _units_match_lines(connected)
    with connected.store.read() as session:
        cursor = read_cursor(session, shop.id, "orders")
        assert cursor is not None
        assert cursor.last_error is None


def test_an_incremental_poll_reads_only_what_changed(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    sim.generate_orders(150, spread=timedelta(days=5), status="AWAITING_SHIPMENT")
    sync_orders(connected)
    idle = sync_orders(connected)
    assert (idle.new, idle.updated) == (0, 0)
    assert idle.unchanged < 20  # only the few-minute overlap is read again
    fresh = sim.generate_orders(5)
    sim.advance(timedelta(hours=2))
    summary = sync_orders(connected)
    assert summary.new == 5
    assert set(fresh) <= set(_stored(connected))


def test_an_expired_access_token_is_refreshed_once_and_persisted(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    before = (connected.secrets.get(ACCESS_TOKEN), connected.secrets.get(REFRESH_TOKEN))
    sim.generate_orders(3)
    sim.expire_access_tokens()
    assert sync_orders(connected).new == 3
    after = (connected.secrets.get(ACCESS_TOKEN), connected.secrets.get(REFRESH_TOKEN))
    assert after[0] != before[0]
    assert after[1] != before[1]  # the simulator rotates refresh tokens: the new one is kept
    sim.generate_orders(2)
    assert sync_orders(connected).new == 2  # and it works


def test_a_revoked_authorization_asks_to_reconnect(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    sim.revoke_authorization()
    with pytest.raises(AuthError) as info:
        sync_orders(connected)
    assert info.value.exit_code == 3
    assert "connect tiktok" in (info.value.hint or "")


def test_sync_without_a_connection_says_how_to_connect(services: Services) -> None:
    with pytest.raises(AuthError, match="No TikTok shop is connected"):
        sync_orders(services)


def test_an_expired_refresh_token_asks_to_reconnect(
    connected: Services, sim: TikTokShopSimulator
) -> None:
    sim.expire_access_tokens()
    sim.expire_refresh_tokens()
    with pytest.raises(AuthError) as info:
        sync_orders(connected)
    assert info.value.exit_code == 3
    assert "connect tiktok" in (info.value.hint or "")
