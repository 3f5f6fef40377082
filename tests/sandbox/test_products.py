"""Products and inventory behaviour: search pages and filters, inventory updates."""

from __future__ import annotations

from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import Seller

SEARCH = "/product/202309/products/search"


def test_search_pages_and_filters(sim: TikTokShopSimulator, seller: Seller) -> None:
    seen: list[str] = []
    token = ""
    while True:
        params = {"page_size": "5"} | ({"page_token": token} if token else {})
        data = seller.ok("POST", SEARCH, params, {"status": "ACTIVATE"})
        seen += [p["id"] for p in data["products"]]
        token = data["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == 12
    first = sim.products_of(sim.shops[0].id)[0]
    by_sku = seller.ok(
        "POST", SEARCH, {"page_size": "10"}, {"seller_skus": [first.skus[0].seller_sku]}
    )
    assert [p["id"] for p in by_sku["products"]] == [first.id]
    window = seller.ok(
        "POST",
        SEARCH,
        {"page_size": "10"},
        {"update_time_ge": first.update_time, "update_time_le": first.update_time},
    )
    assert first.id in [p["id"] for p in window["products"]]
    assert seller.call("POST", SEARCH, {"page_size": "0"}, {}).json()["code"] == 12019109
    too_many = seller.call("POST", SEARCH, {"page_size": "10"}, {"seller_skus": ["x"] * 11})
    assert too_many.json()["code"] == 12019027


def test_inventory_update_and_search(sim: TikTokShopSimulator, seller: Seller) -> None:
    products = sim.products_of(sim.shops[0].id)
    single, multi = products[0], products[2]
    sku = single.skus[0]
    warehouse = next(iter(sku.inventory))
    path = f"/product/202309/products/{single.id}/inventory/update"
    ok = seller.ok(
        "POST",
        path,
        None,
        {"skus": [{"id": sku.id, "inventory": [{"warehouse_id": warehouse, "quantity": 42}]}]},
    )
    assert ok == {}
    found = seller.ok("POST", "/product/202309/inventory/search", None, {"sku_ids": [sku.id]})
    assert found["inventory"][0]["skus"][0]["total_available_quantity"] == 42

    multi_sku = multi.skus[0]
    one_warehouse = [{"warehouse_id": next(iter(multi_sku.inventory)), "quantity": 5}]
    partial = seller.ok(
        "POST",
        f"/product/202309/products/{multi.id}/inventory/update",
        None,
        {"skus": [{"id": multi_sku.id, "inventory": one_warehouse}]},
    )
    assert [e["code"] for e in partial["errors"]] == [12019028]
    bad_warehouse = seller.ok(
        "POST",
        path,
        None,
        {"skus": [{"id": sku.id, "inventory": [{"warehouse_id": "9", "quantity": 1}]}]},
    )
    error = bad_warehouse["errors"][0]
    assert error["code"] == 12052990
    assert error["detail"]["extra_errors"][0]["code"] == 12052097
    unknown = seller.call(
        "POST",
        "/product/202309/products/1/inventory/update",
        None,
        {"skus": [{"id": sku.id, "inventory": []}]},
    )
    assert unknown.json()["code"] == 12052032
