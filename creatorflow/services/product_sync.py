"""Syncing products, SKUs and stock from TikTok Shop, and listing them.

Same shape as the order sync: pages by ``update_time`` from the watermark minus the overlap,
one write transaction per page with its quarantined records and the watermark reached.
Weights, dimensions and parcel presets are ours and are never overwritten by a sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from creatorflow.domain.money import tidy
from creatorflow.services.context import Services
from creatorflow.services.order_mapping import UnusableRecord, parse_amount, parse_time
from creatorflow.services.shop_sync import for_each_shop, sync_start

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import DecodedProduct, ProductPage, TikTokClient
    from creatorflow.store.product_pages import ProductRecord
    from creatorflow.store.sync_state import Rejected
    from creatorflow.store.tables import Shop

__all__ = ["ProductSyncSummary", "SkuView", "list_products", "map_product", "sync_products"]

RESOURCE = "products"
_MAX_TEXT = 4096


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ProductSyncSummary:
    """What a product sync did, over all shops."""

    shops: int = 0
    pages: int = 0
    products: int = 0
    skus: int = 0
    quarantined: int = 0


@dataclass(frozen=True)
class SkuView:
    """One SKU row of ``products list``: TikTok's price and stock, our parcel data."""

    product_id: str
    title: str
    status: str
    sku_id: str
    seller_sku: str | None
    name: str | None
    price: Decimal | None
    currency: str | None
    stock: int | None
    weight: str | None
    dimensions: str | None
    preset: str | None


def _clean(value: str | None, what: str) -> str | None:
    if value is not None and ("\x00" in value or len(value) > _MAX_TEXT):
        raise UnusableRecord(f"{what} is malformed or too long")
    return value


def map_product(decoded: DecodedProduct, shop_id: str) -> ProductRecord:
    """Check and convert one TikTok product (search shape).

    Raises:
        UnusableRecord: an id, amount, stock figure or time is malformed.
    """
    import msgspec

    from creatorflow.store.product_pages import ProductRecord, SkuRecord

    product = decoded.product
    if not product.id or len(product.id) > 64 or "\x00" in product.id:
        raise UnusableRecord("the product id is empty or malformed")
    skus = []
    for sku in product.skus:
        if not sku.id or len(sku.id) > 64:
            raise UnusableRecord("a SKU id is empty or malformed")
        price = sku.price
        quantities = [entry.quantity for entry in sku.inventory if entry.quantity is not None]
        if any(quantity < 0 or quantity > 10_000_000 for quantity in quantities):
            raise UnusableRecord(f"SKU {sku.id} has an impossible stock figure")
        attributes = [a.value_name for a in sku.sales_attributes if a.value_name]
        skus.append(
            SkuRecord(
                id=sku.id,
                seller_sku=_clean(sku.seller_sku, "seller_sku"),
                name=_clean(", ".join(attributes), "SKU name") or None,
                price=parse_amount(
                    price.sale_price if price else None, f"SKU {sku.id} price", required=False
                ),
                currency=_clean(price.currency, "currency") if price else None,
                stock=sum(quantities) if quantities else None,
            )
        )
    return ProductRecord(
        id=product.id,
        shop_id=shop_id,
        title=_clean(product.title, "title") or "",
        status=_clean(product.status, "status") or "UNKNOWN",
        created_at=parse_time(product.create_time, "create_time"),
        updated_at=parse_time(product.update_time, "update_time"),
        skus=tuple(skus),
        raw=msgspec.json.decode(decoded.raw),
    )


def _map_page(page: ProductPage, shop_id: str) -> tuple[list[ProductRecord], list[Rejected]]:
    from creatorflow.store.sync_state import Rejected

    records: dict[str, ProductRecord] = {}
    rejected = [
        Rejected(item.raw.decode("utf-8", "replace"), item.reason, item.external_id)
        for item in page.rejected
    ]
    for decoded in page.products:
        try:
            record = map_product(decoded, shop_id)
        except UnusableRecord as exc:
            raw = decoded.raw.decode("utf-8", "replace")
            rejected.append(Rejected(raw, str(exc), decoded.product.id))
            continue
        records[record.id] = record
    return list(records.values()), rejected


def _sync_shop(
    services: Services,
    client: TikTokClient,
    shop: Shop,
    *,
    full: bool,
    now: Callable[[], datetime],
    summary: ProductSyncSummary,
    progress: Callable[[int, int | None], None] | None,
) -> None:
    from creatorflow.store.product_pages import store_product_page
    from creatorflow.store.sync_state import advance_watermark, quarantine

    start = sync_start(services, shop.id, RESOURCE, full=full)
    token: str | None = None
    seen = 0
    while True:
        page = client.search_products(
            shop.cipher,
            page_token=token,
            update_time_ge=int(start.timestamp()) if start is not None else None,
        )
        records, rejected = _map_page(page, shop.id)
        token = page.next_page_token or None
        reached = max((r.updated_at for r in records if r.updated_at), default=None)
        with services.store.write(durable=False) as session:
            quarantine(session, shop.id, RESOURCE, rejected, now=now())
            products, skus = store_product_page(session, records, now=now())
            advance_watermark(
                session, shop.id, RESOURCE, reached, now=now(), finished=token is None, full=full
            )
        summary.pages += 1
        summary.products += products
        summary.skus += skus
        summary.quarantined += len(rejected)
        seen += len(page.products) + len(page.rejected)
        if progress is not None:
            progress(seen, page.total_count)
        if token is None:
            return


def sync_products(
    services: Services,
    *,
    full: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    now: Callable[[], datetime] = _utcnow,
) -> ProductSyncSummary:
    """Bring every active shop's products, SKUs, prices and stock up to date.

    Raises:
        AuthError: not connected, or the authorisation was revoked (exit code 3).
        ProviderError: TikTok failed after retries; stored pages stay stored.
    """
    summary = ProductSyncSummary()

    def work(client: TikTokClient, shop: Shop) -> None:
        _sync_shop(services, client, shop, full=full, now=now, summary=summary, progress=progress)

    summary.shops = for_each_shop(services, RESOURCE, work, now=now)
    return summary


def _amount(value: Decimal | None, unit: object) -> str | None:
    if value is None or unit is None:
        return None
    return f"{value.normalize():f} {getattr(unit, 'value', unit)}"


def list_products(services: Services) -> list[SkuView]:
    """Every SKU with its product, price, stock and parcel data, by product title."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from creatorflow.store.tables import Product, Sku

    query = (
        select(Product)
        .options(selectinload(Product.skus).selectinload(Sku.preset))
        .order_by(Product.title, Product.id)
    )
    rows: list[SkuView] = []
    with services.store.read() as session:
        for product in session.scalars(query):
            for sku in product.skus:
                dims = None
                if sku.length is not None and sku.width is not None and sku.height is not None:
                    sides = "x".join(
                        f"{side.normalize():f}" for side in (sku.length, sku.width, sku.height)
                    )
                    dims = f"{sides} {getattr(sku.dimension_unit, 'value', '')}".strip()
                rows.append(
                    SkuView(
                        product_id=product.id,
                        title=product.title,
                        status=product.status,
                        sku_id=sku.id,
                        seller_sku=sku.seller_sku,
                        name=sku.name,
                        price=tidy(sku.price, sku.currency or "USD")
                        if sku.price is not None
                        else None,
                        currency=sku.currency,
                        stock=sku.stock,
                        weight=_amount(sku.weight_value, sku.weight_unit),
                        dimensions=dims,
                        preset=sku.preset.name if sku.preset is not None else None,
                    )
                )
    return rows
