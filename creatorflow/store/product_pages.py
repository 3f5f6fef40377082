"""Storing a page of synced products and their SKUs, in bulk, never backwards.

Only TikTok's columns are written: a SKU's weight, dimensions and parcel preset are kept
locally (``products set-parcel``) and survive every sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creatorflow.store.tables import Product, Sku

__all__ = ["ProductRecord", "SkuRecord", "store_product_page"]

_PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
_SKUS: Table = Sku.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class SkuRecord:
    """A SKU as TikTok lists it: price and stock summed over warehouses."""

    id: str
    seller_sku: str | None
    name: str | None
    price: Decimal | None
    currency: str | None
    stock: int | None


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product as TikTok lists it."""

    id: str
    shop_id: str
    title: str
    status: str
    created_at: datetime | None
    updated_at: datetime | None
    skus: tuple[SkuRecord, ...]
    raw: dict[str, Any] | None = None


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _is_stale(record: ProductRecord, stored: datetime | None) -> bool:
    return stored is not None and record.updated_at is not None and record.updated_at < stored


def store_product_page(
    session: Session, records: Sequence[ProductRecord], *, now: datetime
) -> tuple[int, int]:
    """Upsert products and SKUs inside the caller's write transaction.

    A product whose incoming ``update_time`` is older than the stored one is left alone,
    SKUs included.

    Returns:
        How many product rows and SKU rows were written (inserts plus updates).
    """
    query = select(Product.id, Product.tiktok_updated_at).where(
        Product.id.in_([record.id for record in records])
    )
    stored = {row.id: row.tiktok_updated_at for row in session.execute(query)}
    records = [record for record in records if not _is_stale(record, stored.get(record.id))]
    if not records:
        return 0, 0
    products = [
        {
            "id": record.id,
            "shop_id": record.shop_id,
            "title": record.title,
            "status": record.status,
            "tiktok_created_at": record.created_at,
            "tiktok_updated_at": record.updated_at,
            "synced_at": now,
            "raw": record.raw,
        }
        for record in records
    ]
    statement = _insert(session, _PRODUCTS)
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[_PRODUCTS.c.id],
            set_={
                name: excluded[name]
                for name in ("title", "status", "tiktok_created_at", "tiktok_updated_at", "raw")
            }
            | {"synced_at": excluded.synced_at},
        ),
        products,
    )
    skus = [
        {
            "id": sku.id,
            "product_id": record.id,
            "seller_sku": sku.seller_sku,
            "name": sku.name,
            "price": sku.price,
            "currency": sku.currency,
            "stock": sku.stock,
            "updated_at": now,
        }
        for record in records
        for sku in record.skus
    ]
    if skus:
        statement = _insert(session, _SKUS)
        excluded = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[_SKUS.c.id],
                set_={
                    name: excluded[name]
                    for name in ("product_id", "seller_sku", "name", "price", "currency", "stock")
                }
                | {"updated_at": excluded.updated_at},
            ),
            skus,
        )
    return len(products), len(skus)
