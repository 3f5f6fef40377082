"""Products and inventory: Search Products, Get Product, Inventory Search, Update Inventory.

Update Inventory reports per-SKU failures inside a ``code: 0`` answer (``data.errors``), as
TikTok does; a whole-request failure (unknown product, bad status) is a business error.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from creatorflow.sandbox.tiktok.errors import business, invalid_param
from creatorflow.sandbox.tiktok.model import Product, Sku

if TYPE_CHECKING:
    from creatorflow.sandbox.tiktok.model import Call
    from creatorflow.sandbox.tiktok.simulator import TikTokShopSimulator

STATUSES = frozenset(
    {
        "ALL",
        "DRAFT",
        "PENDING",
        "FAILED",
        "ACTIVATE",
        "SELLER_DEACTIVATED",
        "PLATFORM_DEACTIVATED",
        "FREEZE",
        "DELETED",
    }
)


def _price(sku: Sku) -> dict[str, str]:
    return {"currency": "USD", "sale_price": sku.price, "tax_exclusive_price": sku.price}


def _inventory(sku: Sku) -> list[dict[str, object]]:
    return [{"warehouse_id": w, "quantity": q} for w, q in sku.inventory.items()]


def _image(url: str) -> dict[str, object]:
    uri = url.rsplit("/", 1)[-1].split("~", 1)[0]
    return {
        "height": 800,
        "width": 800,
        "uri": f"tos-maliva-i-o3syd03w52-us/{uri}",
        "urls": [url],
        "thumb_urls": [url.replace("origin", "resize-300")],
    }


def search_entry(product: Product) -> dict[str, object]:
    """A product as Search Products lists it."""
    return {
        "id": product.id,
        "title": product.title,
        "status": product.status,
        "skus": [
            {"id": s.id, "seller_sku": s.seller_sku, "price": _price(s), "inventory": _inventory(s)}
            for s in product.skus
        ],
        "sales_regions": ["US"],
        "create_time": product.create_time,
        "update_time": product.update_time,
        "is_not_for_sale": False,
        "audit": {"status": "APPROVED"},
        "has_draft": False,
    }


def detail(product: Product) -> dict[str, object]:
    """A product as Get Product returns it."""
    skus = []
    for s in product.skus:
        sku: dict[str, object] = {
            "id": s.id,
            "seller_sku": s.seller_sku,
            "price": _price(s),
            "inventory": _inventory(s),
            "sales_attributes": [
                {
                    "id": "100000",
                    "name": name,
                    "value_id": str(zlib.crc32(value.encode()) % 10**8),
                    "value_name": value,
                    "sku_img": _image(s.image),
                }
                for name, value in s.attributes
            ],
        }
        if s.combined:
            sku["combined_skus"] = [
                {
                    "product_id": part.product_id,
                    "sku_id": part.id,
                    "sku_count": count,
                    "seller_sku": part.seller_sku,
                }
                for part, count in s.combined
            ]
        skus.append(sku)
    return {
        "id": product.id,
        "status": product.status,
        "product_status": product.status,
        "title": product.title,
        "description": product.description,
        "category_chains": [
            {"id": cid, "parent_id": parent, "local_name": name, "is_leaf": n == 1}
            for n, (cid, parent, name) in enumerate(product.category)
        ],
        "brand": {"id": product.brand[0], "name": product.brand[1]},
        "main_images": [_image(url) for url in product.images],
        "package_dimensions": {"length": "8", "width": "6", "height": "3", "unit": "INCH"},
        "package_weight": {"value": product.weight_lb, "unit": "POUND"},
        "skus": skus,
        "create_time": product.create_time,
        "update_time": product.update_time,
        "is_cod_allowed": False,
        "is_not_for_sale": False,
        "audit": {"status": "APPROVED"},
        "has_draft": False,
    }


def _time(body: dict[str, object], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        code = 12019118 if name.startswith("create") else 12019119
        raise business(code, f"search {name.split('_')[0]} time invalid")
    return value


def search(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /product/202309/products/search (newest first, keyset page tokens)."""
    try:
        page_size = int(call.query.get("page_size", ""))
    except ValueError:
        page_size = 0
    if not 1 <= page_size <= 100:
        raise business(12019109, "page size is invalid")
    body = call.body
    status = body.get("status") or "ALL"
    if status not in STATUSES:
        raise business(12052910, "Invalid input parameters. Refer to the API documentation.")
    skus = body.get("seller_skus") or []
    if not isinstance(skus, list):
        raise business(12052910, "Invalid input parameters. Refer to the API documentation.")
    if len(skus) > 10:
        raise business(12019027, "The maximum count of “seller_skus” in the search filter is 10.")
    bounds = {
        name: _time(body, name)
        for name in ("create_time_ge", "create_time_le", "update_time_ge", "update_time_le")
    }
    cursor: tuple[int, str] | None = None
    if call.query.get("page_token"):
        payload = sim.page_tokens.decode(call.query["page_token"])
        if len(payload) != 3 or payload[0] != "products":
            raise invalid_param("Invalid parameter. The `page_token` query parameter is invalid.")
        key, pid = payload[1], payload[2]
        if not isinstance(key, int) or not isinstance(pid, str):
            raise invalid_param("Invalid parameter. The `page_token` query parameter is invalid.")
        cursor = (key, pid)

    def keep(p: Product) -> bool:
        checks = (
            status == "ALL" or p.status == status,
            not skus or any(s.seller_sku in skus for s in p.skus),
            bounds["create_time_ge"] is None or p.create_time >= bounds["create_time_ge"],
            bounds["create_time_le"] is None or p.create_time <= bounds["create_time_le"],
            bounds["update_time_ge"] is None or p.update_time >= bounds["update_time_ge"],
            bounds["update_time_le"] is None or p.update_time <= bounds["update_time_le"],
        )
        return all(checks)

    matching = sorted(
        (p for p in sim.products_of(call.shop.id) if keep(p)),
        key=lambda p: (p.create_time, p.id),
        reverse=True,
    )
    rest = [p for p in matching if cursor is None or (p.create_time, p.id) < cursor]
    page, more = rest[:page_size], len(rest) > page_size
    token = ""
    if more:
        token = sim.page_tokens.encode(["products", page[-1].create_time, page[-1].id])
    return {
        "products": [search_entry(p) for p in page],
        "total_count": len(matching),
        "next_page_token": token,
    }


def get(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """GET /product/202309/products/{product_id}."""
    product = sim.product(call.shop.id, call.path_params["product_id"])
    if product.status in ("FREEZE", "DELETED"):
        raise business(
            12052901,
            "The product in its current status is not available for this "
            "operation. Change the product status and try again.",
        )
    return detail(product)


def inventory_search(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /product/202309/inventory/search with ``product_ids`` or ``sku_ids`` (SKUs win)."""
    product_ids, sku_ids = call.body.get("product_ids"), call.body.get("sku_ids")
    products = sim.products_of(call.shop.id)
    if isinstance(sku_ids, list) and sku_ids:
        if len(sku_ids) > 600:
            raise business(12019015, "The number of SKU exceed the limit")
        wanted = {str(s) for s in sku_ids}
        selected = [(p, [s for s in p.skus if s.id in wanted]) for p in products]
    elif isinstance(product_ids, list) and product_ids:
        if len(product_ids) > 100:
            raise business(12019120, "The number of provided product IDs exceeds the limit.")
        wanted = {str(p) for p in product_ids}
        selected = [(p, p.skus) for p in products if p.id in wanted]
    else:
        raise business(12019008, "Product id is invalid")
    inventory = []
    for product, skus in selected:
        if not skus:
            continue
        entries = []
        for s in skus:
            total = sum(s.inventory.values())
            entries.append(
                {
                    "id": s.id,
                    "seller_sku": s.seller_sku,
                    "total_available_quantity": total,
                    "total_committed_quantity": 0,
                    "warehouse_inventory": [
                        {"warehouse_id": w, "available_quantity": q, "committed_quantity": 0}
                        for w, q in s.inventory.items()
                    ],
                    "total_available_inventory_distribution": {
                        "in_shop_inventory": {"quantity": total},
                        "creator_inventory": [],
                        "campaign_inventory": [],
                    },
                }
            )
        inventory.append({"product_id": product.id, "skus": entries})
    return {"inventory": inventory}


def update_inventory(sim: TikTokShopSimulator, call: Call) -> dict[str, object]:
    """POST /product/202309/products/{product_id}/inventory/update."""
    product = sim.product(call.shop.id, call.path_params["product_id"])
    if product.status != "ACTIVATE":
        raise business(
            12052901,
            "The product in its current status is not available for this "
            "operation. Change the product status and try again.",
        )
    entries = call.body.get("skus")
    if not isinstance(entries, list) or not entries:
        raise business(
            12052902,
            "The SKU list is empty. Either omit the list entirely, or "
            "provide all required details.",
        )
    by_id = {s.id: s for s in product.skus}
    errors: list[dict[str, object]] = []
    changed = False
    for entry in entries:
        sku_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
        sku = by_id.get(sku_id)
        if sku is None:
            errors.append(
                {"code": 12052556, "message": "The SKU id not exist.", "detail": {"sku_id": sku_id}}
            )
            continue
        assert isinstance(entry, dict)
        problem = _inventory_problem(sku, entry.get("inventory"))
        if problem is not None:
            errors.append(problem)
            continue
        for row in entry["inventory"]:
            warehouse = str(row.get("warehouse_id") or next(iter(sku.inventory)))
            sku.inventory[warehouse] = int(row["quantity"])
        changed = True
    if changed:
        product.update_time = sim.clock_now()
    return {"errors": errors} if errors else {}


def _inventory_problem(sku: Sku, rows: object) -> dict[str, object] | None:
    def fail(
        code: int, message: str, extra: list[dict[str, object]] | None = None
    ) -> dict[str, object]:
        detail: dict[str, object] = {"sku_id": sku.id}
        if extra:
            detail["extra_errors"] = extra
        return {"code": code, "message": message, "detail": detail}

    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return fail(12019022, "SKU must contain a valid warehouse.")
    named = [str(r.get("warehouse_id") or "") for r in rows]
    if len(sku.inventory) > 1 and set(named) != set(sku.inventory):
        return fail(
            12019028,
            "Multiple warehouses detected. Include all warehouse IDs and the "
            "corresponding details and try again.",
        )
    for row, warehouse in zip(rows, named, strict=True):
        if warehouse and warehouse not in sku.inventory:
            extra = {
                "warehouse_id": warehouse,
                "code": 12052097,
                "message": "The warehouse does not exist",
            }
            return fail(12052990, "Check failed", [extra])
        quantity = row.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return fail(12019024, "stock count is invalid")
        if not 0 <= quantity <= 99999:
            return fail(
                12052055,
                "The SKU inventory quantity for the warehouse must be within allowed limits.",
            )
    return None
