"""Product and inventory endpoints of the TikTok Shop client (reference tiktok-shop.md §7)."""

from __future__ import annotations

from collections.abc import Sequence

from creatorflow.integrations.tiktok.client_core import TikTokCore, path_segment
from creatorflow.integrations.tiktok.models import decode_data
from creatorflow.integrations.tiktok.models_products import (
    InventoryData,
    InventoryProduct,
    InventoryUpdate,
    InventoryUpdateData,
    InventoryUpdateError,
    ProductDetail,
    ProductPage,
    decode_product_page,
)

__all__ = ["INVENTORY_PRODUCT_BATCH", "INVENTORY_SKU_BATCH", "ProductsMixin"]

INVENTORY_PRODUCT_BATCH = 100
INVENTORY_SKU_BATCH = 600
"""Most product ids / SKU ids Inventory Search takes in one call."""


class ProductsMixin(TikTokCore):
    """Search Products, Get Product, Inventory Search, Update Inventory."""

    def search_products(
        self,
        cipher: str,
        *,
        page_token: str | None = None,
        page_size: int = 100,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
        status: str | None = None,
        seller_skus: Sequence[str] = (),
    ) -> ProductPage:
        """One page of a shop's products (``POST /product/202309/products/search``).

        Note products filter on ``update_time_ge``/``update_time_le`` (inclusive both ends),
        unlike orders. ``status`` defaults to TikTok's ``ALL`` (deleted products excluded).
        """
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        body: dict[str, object] = {}
        if status:
            body["status"] = status
        if seller_skus:
            body["seller_skus"] = list(seller_skus)
        if update_time_ge is not None:
            body["update_time_ge"] = update_time_ge
        if update_time_le is not None:
            body["update_time_le"] = update_time_le
        envelope = self._call(
            "POST",
            "/product/202309/products/search",
            cipher=cipher,
            query={"page_size": page_size, "page_token": page_token},
            body=body,
            idempotent=True,
        )
        return decode_product_page(envelope)

    def product_detail(self, cipher: str, product_id: str) -> ProductDetail:
        """A product with its SKUs, images, package weight and size (Get Product)."""
        envelope = self._call(
            "GET",
            f"/product/202309/products/{path_segment(product_id)}",
            cipher=cipher,
            idempotent=True,
        )
        return decode_data(envelope, ProductDetail)

    def search_inventory(
        self, cipher: str, *, sku_ids: Sequence[str] = (), product_ids: Sequence[str] = ()
    ) -> list[InventoryProduct]:
        """Stock per SKU and warehouse, by SKU ids or by product ids (one kind per call).

        Long lists are split into TikTok's batch limits (600 SKUs, 100 products).
        """
        if isinstance(sku_ids, str) or isinstance(product_ids, str):
            raise TypeError("pass sequences of ids, not one string")
        if bool(sku_ids) == bool(product_ids):
            raise ValueError("pass either sku_ids or product_ids")
        key, ids, size = (
            ("sku_ids", list(sku_ids), INVENTORY_SKU_BATCH)
            if sku_ids
            else ("product_ids", list(product_ids), INVENTORY_PRODUCT_BATCH)
        )
        found: list[InventoryProduct] = []
        for start in range(0, len(ids), size):
            envelope = self._call(
                "POST",
                "/product/202309/inventory/search",
                cipher=cipher,
                body={key: ids[start : start + size]},
                idempotent=True,
            )
            if envelope.data is not None:
                found.extend(decode_data(envelope, InventoryData).inventory)
        return found

    def update_inventory(
        self, cipher: str, product_id: str, skus: Sequence[InventoryUpdate]
    ) -> list[InventoryUpdateError]:
        """Set the stock of some SKUs of one product (Update Inventory).

        Returns the SKUs TikTok did not update: partial failures come back inside a
        successful answer. Quantities are absolute, so sending them twice is harmless and
        transient failures are retried.
        """
        if not skus:
            raise ValueError("update_inventory needs at least one SKU")
        envelope = self._call(
            "POST",
            f"/product/202309/products/{path_segment(product_id)}/inventory/update",
            cipher=cipher,
            body={"skus": list(skus)},
            idempotent=True,
        )
        if envelope.data is None:
            return []
        return decode_data(envelope, InventoryUpdateData).errors
