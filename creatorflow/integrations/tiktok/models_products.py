"""Typed TikTok Shop product and inventory shapes (202309; reference tiktok-shop.md §7).

Only what CreatorFlow uses is modelled (ids, titles, statuses, SKUs, prices, stock, package
weight and size, images); everything else TikTok sends is ignored. Search pages are decoded
one product at a time, like orders, so one malformed product does not fail a page.
"""

from __future__ import annotations

import msgspec

from creatorflow.integrations.tiktok.models import Envelope
from creatorflow.integrations.tiktok.models_pages import RejectedItem, decode_items, decode_page

__all__ = [
    "Audit",
    "Brand",
    "CampaignInventory",
    "CategoryChain",
    "CreatorInventory",
    "DecodedProduct",
    "Image",
    "InShopInventory",
    "InventoryData",
    "InventoryDistribution",
    "InventoryProduct",
    "InventorySku",
    "InventoryUpdate",
    "InventoryUpdateData",
    "InventoryUpdateError",
    "InventoryUpdateErrorDetail",
    "ListPrice",
    "PackageDimensions",
    "PackageWeight",
    "ProductDetail",
    "ProductPage",
    "ProductSku",
    "ProductSummary",
    "RawProductPageData",
    "SalesAttribute",
    "SkuInventory",
    "SkuPrice",
    "SkuStatusInfo",
    "WarehouseError",
    "WarehouseInventory",
    "WarehouseQuantity",
    "decode_product_page",
]


class _Model(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    pass


class SkuPrice(_Model):
    """A SKU's price; decimal strings in ``currency`` (``unit_price`` in Get Product only)."""

    currency: str | None = None
    sale_price: str | None = None
    tax_exclusive_price: str | None = None
    unit_price: str | None = None


class ListPrice(_Model):
    """A reference ("was") price."""

    amount: str | None = None
    currency: str | None = None


class SkuInventory(_Model):
    """Stock of a SKU in one warehouse."""

    warehouse_id: str | None = None
    quantity: int | None = None
    backorder_quantity: int | None = None
    handling_time: int | None = None


class SkuStatusInfo(_Model):
    """Whether a SKU is live, and who deactivated it otherwise."""

    status: str | None = None
    deactivation_source: str | None = None


class Image(_Model):
    """An uploaded image; ``urls`` are the full-size links."""

    height: int | None = None
    width: int | None = None
    thumb_urls: list[str] = msgspec.field(default_factory=list)
    uri: str | None = None
    urls: list[str] = msgspec.field(default_factory=list)


class SalesAttribute(_Model):
    """A variant attribute of a SKU, e.g. ``Color`` = ``Red``."""

    id: str | None = None
    name: str | None = None
    value_id: str | None = None
    value_name: str | None = None
    sku_img: Image | None = None


class ProductSku(_Model):
    """A SKU of a product (the Get Product-only fields are empty in search results)."""

    id: str
    seller_sku: str | None = None
    price: SkuPrice | None = None
    inventory: list[SkuInventory] = msgspec.field(default_factory=list)
    list_price: ListPrice | None = None
    status_info: SkuStatusInfo | None = None
    external_sku_id: str | None = None
    sales_attributes: list[SalesAttribute] = msgspec.field(default_factory=list)
    sku_unit_count: str | None = None


class Audit(_Model):
    """Where a product is in TikTok's review."""

    status: str | None = None
    pre_approved_reasons: list[str] = msgspec.field(default_factory=list)


class ProductSummary(_Model):
    """A product as Search Products lists it; times are Unix seconds."""

    id: str
    title: str | None = None
    status: str | None = None
    skus: list[ProductSku] = msgspec.field(default_factory=list)
    sales_regions: list[str] = msgspec.field(default_factory=list)
    create_time: int | None = None
    update_time: int | None = None
    product_sync_fail_reasons: list[str] = msgspec.field(default_factory=list)
    is_not_for_sale: bool | None = None
    listing_quality_tier: str | None = None
    audit: Audit | None = None
    has_draft: bool | None = None


class RawProductPageData(_Model):
    """``data`` of Search Products with each product left undecoded."""

    products: list[msgspec.Raw] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
    total_count: int | None = None


class DecodedProduct(msgspec.Struct, frozen=True):
    """A product and the exact JSON bytes TikTok sent for it."""

    product: ProductSummary
    raw: bytes


class ProductPage(msgspec.Struct, frozen=True):
    """One page of products; ``next_page_token`` is ``None`` on the last page."""

    products: list[DecodedProduct]
    rejected: list[RejectedItem]
    next_page_token: str | None
    total_count: int | None


_RAW_PRODUCT_PAGE = msgspec.json.Decoder(RawProductPageData)
_PRODUCT = msgspec.json.Decoder(ProductSummary)


def decode_product_page(envelope: Envelope) -> ProductPage:
    """Decode the ``data`` of Search Products one product at a time.

    Raises:
        TikTokDecodeError: ``data`` is not a page at all.
    """
    page = (
        RawProductPageData() if envelope.data is None else decode_page(envelope, _RAW_PRODUCT_PAGE)
    )
    decoded, rejected = decode_items(page.products, _PRODUCT)
    return ProductPage(
        [DecodedProduct(product, raw) for product, raw in decoded],
        rejected,
        page.next_page_token or None,
        page.total_count,
    )


class CategoryChain(_Model):
    """One level of a product's category, root first."""

    id: str | None = None
    parent_id: str | None = None
    local_name: str | None = None
    is_leaf: bool | None = None


class Brand(_Model):
    """A product's brand."""

    id: str | None = None
    name: str | None = None


class PackageDimensions(_Model):
    """The shipping box of one unit (decimal strings; ``unit`` e.g. ``CENTIMETER``)."""

    length: str | None = None
    width: str | None = None
    height: str | None = None
    unit: str | None = None


class PackageWeight(_Model):
    """The shipping weight of one unit (decimal string; ``unit`` e.g. ``KILOGRAM``)."""

    value: str | None = None
    unit: str | None = None


class ProductDetail(_Model):
    """``data`` of Get Product (the parts CreatorFlow uses); times are Unix seconds."""

    id: str
    status: str | None = None
    product_status: str | None = None
    title: str | None = None
    description: str | None = None
    category_chains: list[CategoryChain] = msgspec.field(default_factory=list)
    brand: Brand | None = None
    main_images: list[Image] = msgspec.field(default_factory=list)
    package_dimensions: PackageDimensions | None = None
    package_weight: PackageWeight | None = None
    skus: list[ProductSku] = msgspec.field(default_factory=list)
    is_cod_allowed: bool | None = None
    update_time: int | None = None
    create_time: int | None = None
    external_product_id: str | None = None
    product_types: list[str] = msgspec.field(default_factory=list)
    is_not_for_sale: bool | None = None
    listing_quality_tier: str | None = None
    audit: Audit | None = None
    has_draft: bool | None = None


class WarehouseInventory(_Model):
    """Available and committed (ordered, not shipped) units of a SKU in one warehouse."""

    warehouse_id: str | None = None
    available_quantity: int | None = None
    committed_quantity: int | None = None


class InShopInventory(_Model):
    """Units free for any buyer of the shop."""

    quantity: int | None = None


class CreatorInventory(_Model):
    """Units reserved for a creator."""

    quantity: int | None = None
    creator_name: str | None = None


class CampaignInventory(_Model):
    """Units reserved for a campaign."""

    quantity: int | None = None
    campaign_name: str | None = None


class InventoryDistribution(_Model):
    """How a SKU's available units are split between the shop, creators and campaigns."""

    campaign_inventory: list[CampaignInventory] = msgspec.field(default_factory=list)
    creator_inventory: list[CreatorInventory] = msgspec.field(default_factory=list)
    in_shop_inventory: InShopInventory | None = None


class InventorySku(_Model):
    """Stock of one SKU across warehouses."""

    id: str
    seller_sku: str | None = None
    total_available_quantity: int | None = None
    total_committed_quantity: int | None = None
    warehouse_inventory: list[WarehouseInventory] = msgspec.field(default_factory=list)
    total_available_inventory_distribution: InventoryDistribution | None = None


class InventoryProduct(_Model):
    """Stock of a product's SKUs (Inventory Search)."""

    product_id: str | None = None
    skus: list[InventorySku] = msgspec.field(default_factory=list)


class InventoryData(_Model):
    """``data`` of Inventory Search."""

    inventory: list[InventoryProduct] = msgspec.field(default_factory=list)


class WarehouseQuantity(msgspec.Struct, kw_only=True, omit_defaults=True):
    """New stock of a SKU in one warehouse (``warehouse_id`` optional with a single one)."""

    quantity: int
    warehouse_id: str | None = None
    backorder_quantity: int | None = None
    handling_time: int | None = None


class InventoryUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    """New stock of one SKU: list **every** warehouse the SKU is assigned to."""

    id: str
    inventory: list[WarehouseQuantity]


class WarehouseError(_Model):
    """Why one warehouse of a SKU was not updated."""

    warehouse_id: str | None = None
    code: int | None = None
    message: str | None = None


class InventoryUpdateErrorDetail(_Model):
    """Which SKU (and warehouses) an inventory update error is about."""

    sku_id: str | None = None
    extra_errors: list[WarehouseError] = msgspec.field(default_factory=list)


class InventoryUpdateError(_Model):
    """A SKU whose stock was not updated, although the call as a whole succeeded."""

    code: int | None = None
    message: str | None = None
    detail: InventoryUpdateErrorDetail | None = None


class InventoryUpdateData(_Model):
    """``data`` of Update Inventory: the partial failures (empty when all went through)."""

    errors: list[InventoryUpdateError] = msgspec.field(default_factory=list)
