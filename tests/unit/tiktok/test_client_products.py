"""Product and inventory calls: exact requests, reference answers, per-product quarantine."""

from __future__ import annotations

import pytest

from creatorflow.integrations.tiktok.client import InventoryUpdate, WarehouseQuantity
from tests.unit.tiktok.test_client_fakes import Harness, assert_signed, ok, spec_body

CIPHER = "ROW_cipher"


def test_search_products_request_and_answer() -> None:
    h = Harness([spec_body("products/search-products")])
    page = h.client.search_products(
        CIPHER, page_token="b2Zm/c2V0+PTAK", update_time_ge=1700000000, status="ACTIVATE"
    )
    request = h.api.last
    assert (request.method, request.url.path) == ("POST", "/product/202309/products/search")
    assert request.url.params["page_size"] == "100"
    assert request.url.params["page_token"] == "b2Zm/c2V0+PTAK"
    assert request.content == b'{"status":"ACTIVATE","update_time_ge":1700000000}'
    assert_signed(request)
    assert (page.total_count, page.next_page_token) == (200, "b2Zmc2V0PTAK")
    (decoded,) = page.products
    product = decoded.product
    assert (product.id, product.status, product.update_time) == (
        "1729592969712207008",
        "ACTIVATE",
        1234567800,
    )
    sku = product.skus[0]
    assert sku.seller_sku == "Color-Red-XM01"
    assert sku.price is not None
    assert sku.price.sale_price == "121.11"
    assert sku.inventory[0].quantity == 999
    assert page.rejected == []


def test_search_products_first_page_and_quarantine() -> None:
    body = (
        b'{"code":0,"message":"Success","data":{"products":[{"id":"1","title":"ok"},'
        b'{"id":"2","skus":"none"}],"next_page_token":""}}'
    )
    h = Harness([body])
    page = h.client.search_products(CIPHER, update_time_le=5)
    assert "page_token" not in h.api.last.url.params
    assert h.api.last.content == b'{"update_time_le":5}'
    assert [d.product.id for d in page.products] == ["1"]
    assert page.products[0].raw == b'{"id":"1","title":"ok"}'
    (rejected,) = page.rejected
    assert (rejected.external_id, rejected.raw) == ("2", b'{"id":"2","skus":"none"}')
    assert "skus" in rejected.reason
    assert page.next_page_token is None


def test_product_detail() -> None:
    h = Harness([spec_body("products/get-product")])
    product = h.client.product_detail(CIPHER, "1729592969712207008")
    assert h.api.last.url.path == "/product/202309/products/1729592969712207008"
    assert_signed(h.api.last)
    assert product.title == "Short Boat Invisible Socks"
    assert product.package_weight is not None
    assert product.package_weight.value == "1.32"
    assert product.package_dimensions is not None
    assert product.package_dimensions.unit == "CENTIMETER"
    sku = product.skus[0]
    assert sku.sales_attributes[0].value_name == "Red"
    assert sku.price is not None
    assert sku.price.unit_price == "1"
    assert sku.inventory[0].backorder_quantity == 888


def test_search_inventory_by_sku_in_batches() -> None:
    h = Harness([spec_body("products/inventory-search")])
    ids = [str(n) for n in range(601)]
    found = h.client.search_inventory(CIPHER, sku_ids=ids)
    assert len(h.api.requests) == 2
    assert h.api.requests[0].url.path == "/product/202309/inventory/search"
    assert h.api.requests[1].content == b'{"sku_ids":["600"]}'
    for request in h.api.requests:
        assert_signed(request)
    assert len(found) == 2
    sku = found[0].skus[0]
    assert (sku.total_available_quantity, sku.total_committed_quantity) == (100, 10)
    assert sku.warehouse_inventory[0].warehouse_id == "7054915283043174149"
    distribution = sku.total_available_inventory_distribution
    assert distribution is not None
    assert distribution.in_shop_inventory is not None
    assert distribution.in_shop_inventory.quantity == 50


def test_search_inventory_by_product() -> None:
    h = Harness([ok({"inventory": []})])
    assert h.client.search_inventory(CIPHER, product_ids=["9"]) == []
    assert h.api.last.content == b'{"product_ids":["9"]}'
    with pytest.raises(ValueError, match="either"):
        h.client.search_inventory(CIPHER, product_ids=["9"], sku_ids=["1"])
    with pytest.raises(ValueError, match="either"):
        h.client.search_inventory(CIPHER)


def test_update_inventory_returns_partial_failures() -> None:
    h = Harness([spec_body("products/update-inventory")])
    errors = h.client.update_inventory(
        CIPHER,
        "1729592969712207008",
        [
            InventoryUpdate(
                id="1729592969712207013",
                inventory=[
                    WarehouseQuantity(quantity=999, warehouse_id="7068517275539719942"),
                    WarehouseQuantity(quantity=5, warehouse_id="w2", backorder_quantity=1),
                ],
            )
        ],
    )
    request = h.api.last
    assert request.url.path == "/product/202309/products/1729592969712207008/inventory/update"
    assert request.content == (
        b'{"skus":[{"id":"1729592969712207013","inventory":['
        b'{"quantity":999,"warehouse_id":"7068517275539719942"},'
        b'{"quantity":5,"warehouse_id":"w2","backorder_quantity":1}]}]}'
    )
    assert_signed(request)
    (error,) = errors
    assert (error.code, error.message) == (12052990, "Check failed")
    assert error.detail is not None
    assert error.detail.sku_id == "1729592969712207013"
    assert error.detail.extra_errors[0].code == 12052097


def test_update_inventory_all_applied() -> None:
    h = Harness([ok({})])
    update = InventoryUpdate(id="1", inventory=[WarehouseQuantity(quantity=3)])
    assert h.client.update_inventory(CIPHER, "p", [update]) == []
    assert h.api.last.content == b'{"skus":[{"id":"1","inventory":[{"quantity":3}]}]}'
    with pytest.raises(ValueError, match="at least one"):
        h.client.update_inventory(CIPHER, "p", [])
