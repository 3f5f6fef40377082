"""Search Orders pages: keyset cursors that survive updates, tokens with ``/`` and ``+``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import Seller

SEARCH = "/order/202309/orders/search"


def _walk(
    seller: Seller, params: dict[str, str], body: dict[str, Any], between: Any = None
) -> tuple[list[str], list[str], int]:
    ids: list[str] = []
    tokens: list[str] = []
    token = ""
    total = -1
    while True:
        query = params | ({"page_token": token} if token else {})
        data = seller.ok("POST", SEARCH, query, body)
        ids += [o["id"] for o in data["orders"]]
        total = data["total_count"]
        token = data["next_page_token"]
        if not token:
            return ids, tokens, total
        tokens.append(token)
        if between is not None:
            between(len(tokens))


def test_every_order_exactly_once(sim: TikTokShopSimulator, seller: Seller) -> None:
    expected = set(sim.generate_orders(237, spread=timedelta(days=5), status="AWAITING_SHIPMENT"))
    for sort in ("create_time", "update_time"):
        for order in ("ASC", "DESC"):
            params = {"page_size": "20", "sort_field": sort, "sort_order": order}
            ids, tokens, total = _walk(seller, params, {})
            assert len(ids) == len(set(ids)) == total == 237
            assert set(ids) == expected
            assert len(tokens) == 11
            assert all("/" in t and "+" in t for t in tokens)
            times = [sim.order(i)[sort] for i in ids]
            assert times == sorted(times, reverse=order == "DESC")


def test_default_sort_is_create_time_desc(sim: TikTokShopSimulator, seller: Seller) -> None:
    sim.generate_orders(30, spread=timedelta(hours=5), status="AWAITING_SHIPMENT")
    data = seller.ok("POST", SEARCH, {"page_size": "100"}, {})
    times = [o["create_time"] for o in data["orders"]]
    assert times == sorted(times, reverse=True)
    assert data["next_page_token"] == ""


def test_filters(sim: TikTokShopSimulator, seller: Seller) -> None:
    created = sim.generate_orders(50, spread=timedelta(hours=10), status="AWAITING_SHIPMENT")
    sim.generate_orders(5, status="CANCELLED")
    middle = sim.order(created[25])["create_time"]
    body = {"order_status": "AWAITING_SHIPMENT", "create_time_ge": middle}
    ids, _, total = _walk(seller, {"page_size": "7"}, body)
    assert set(ids) == set(created[25:])
    assert total == 25
    tiktok, _, _ = _walk(seller, {"page_size": "50"}, {"shipping_type": "TIKTOK"})
    assert all(sim.order(i)["shipping_type"] == "TIKTOK" for i in tiktok)
    cancelled, _, _ = _walk(seller, {"page_size": "50"}, {"order_status": "CANCELLED"})
    assert len(cancelled) == 5


def test_cursor_survives_updates_between_pages(sim: TikTokShopSimulator, seller: Seller) -> None:
    all_ids = sim.generate_orders(100, spread=timedelta(days=2), status="AWAITING_SHIPMENT")
    updated: list[str] = []

    def update(page: int) -> None:
        if page == 1:
            sim.advance(timedelta(minutes=5))
            # One order already seen on page 1 (oldest update_time) and one not seen yet.
            for order_id in (all_ids[0], all_ids[60]):
                sim.set_order_status(order_id, "IN_TRANSIT")
                updated.append(order_id)

    params = {"page_size": "25", "sort_field": "update_time", "sort_order": "ASC"}
    ids, _, _ = _walk(seller, params, {}, between=update)
    # Like TikTok: an order updated mid-walk moves to its new update_time, so under update_time
    # ASC it shows up again at the end; nothing is lost and the cursor stays valid.
    assert set(ids) == set(all_ids)
    assert ids.count(all_ids[0]) == 2
    assert ids.count(all_ids[60]) == 1
    assert ids[-2:] == updated
    assert len(ids) == 101

    by_create, _, _ = _walk(
        seller,
        {"page_size": "25", "sort_field": "create_time"},
        {},
        between=lambda page: sim.set_order_status(all_ids[-page - 1], "DELIVERED"),
    )
    assert sorted(by_create) == sorted(all_ids)


def test_bad_requests(seller: Seller) -> None:
    for params in (
        {},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "10", "sort_field": "id"},
    ):
        response = seller.call("POST", SEARCH, params, {})
        assert response.json()["code"] == 36009004, params
    forged = seller.call("POST", SEARCH, {"page_size": "10", "page_token": "++++////AAAA"}, {})
    assert forged.json()["code"] == 36009004
    detail = seller.call("GET", "/order/202309/orders", {"ids": ",".join(["1"] * 51)})
    assert detail.json()["code"] == 36009004
    unknown = seller.call("GET", "/order/202309/orders", {"ids": "576000000000000000"})
    assert unknown.json()["code"] == 21008111
    garbage = seller.call("POST", SEARCH, {"page_size": "10"}, raw_body=b"{not json")
    assert garbage.json()["code"] == 36009022
