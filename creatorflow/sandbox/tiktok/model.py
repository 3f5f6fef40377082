"""In-memory records the simulator keeps: shops, catalogue, orders, packages."""

from __future__ import annotations

from dataclasses import dataclass, field

UNPAID = "UNPAID"
ON_HOLD = "ON_HOLD"
AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
AWAITING_COLLECTION = "AWAITING_COLLECTION"
IN_TRANSIT = "IN_TRANSIT"
DELIVERED = "DELIVERED"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"

ORDER_STATUSES = (
    UNPAID,
    ON_HOLD,
    AWAITING_SHIPMENT,
    PARTIALLY_SHIPPING,
    AWAITING_COLLECTION,
    IN_TRANSIT,
    DELIVERED,
    COMPLETED,
    CANCELLED,
)
SHIPPED_STATUSES = frozenset({AWAITING_COLLECTION, IN_TRANSIT, DELIVERED, COMPLETED})


@dataclass
class Shop:
    """An authorized shop: what Get Authorized Shops lists, plus its warehouses."""

    id: str
    name: str
    region: str
    cipher: str
    code: str
    seller_type: str
    warehouse_ids: list[str]

    def __getitem__(self, key: str) -> object:
        """Read the shop like the API record too: ``shop["cipher"]``."""
        return self.public()[key]

    def public(self) -> dict[str, object]:
        """The Get Authorized Shops record."""
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "seller_type": self.seller_type,
            "cipher": self.cipher,
            "code": self.code,
        }


@dataclass
class Sku:
    """One sellable variant, with stock per warehouse."""

    id: str
    product_id: str
    seller_sku: str
    name: str
    price: str
    image: str
    attributes: list[tuple[str, str]]
    inventory: dict[str, int]
    combined: list[tuple[Sku, int]] = field(default_factory=list)


@dataclass
class Product:
    """A listed product."""

    id: str
    shop_id: str
    title: str
    status: str
    create_time: int
    update_time: int
    category: list[tuple[str, str, str]]
    brand: tuple[str, str]
    description: str
    images: list[str]
    weight_lb: str
    skus: list[Sku]


@dataclass
class Address:
    """A recipient address, always stored in the clear; masking happens when rendering."""

    first_name: str
    last_name: str
    name: str
    phone: str
    line1: str
    line2: str
    city: str
    county: str
    state: str
    state_code: str
    postal_code: str
    drop_off: str


@dataclass
class Line:
    """One unit of one SKU in an order (TikTok has no quantity field)."""

    id: str
    sku: Sku
    product_name: str
    original_price: str
    sale_price: str
    seller_discount: str
    platform_discount: str
    tax_amount: str
    tax_rate: str
    is_gift: bool
    gift_retail_price: str
    package_id: str = ""


@dataclass
class Package:
    """A shipped (or label-purchased) package."""

    id: str
    order_id: str
    shop_id: str
    line_ids: list[str]
    tracking_number: str
    provider_id: str
    provider_name: str
    create_time: int
    update_time: int
    tiktok_label: bool = False
    shipping_service: dict[str, object] | None = None
    weight: dict[str, str] | None = None
    dimension: dict[str, str] | None = None
    tracking_updates: int = 0


@dataclass
class Order:
    """An order and everything its lifecycle changes."""

    id: str
    seq: int
    shop_id: str
    create_time: int
    update_time: int
    status: str
    user_id: str
    buyer_email: str
    buyer_message: str
    address: Address
    lines: list[Line]
    payment: dict[str, str]
    payment_method: tuple[str, str, str, str]
    shipping_type: str
    delivery_option_id: str
    delivery_option_name: str
    warehouse_id: str
    tax_rate: str
    paid_time: int = 0
    will_cancel: bool = False
    is_on_hold_order: bool = False
    cancel_time: int = 0
    cancel_reason: str = ""
    cancellation_initiator: str = ""
    rts_time: int = 0
    collection_time: int = 0
    delivery_time: int = 0
    packages: list[Package] = field(default_factory=list)
    cached: dict[bool, bytes] = field(default_factory=dict)

    def touch(self, when: int) -> None:
        """Record a change: bump ``update_time`` and drop the rendered JSON."""
        self.update_time = max(self.update_time, when)
        self.cached.clear()


@dataclass
class Call:
    """What a handler gets: the calling shop, query, decoded JSON body and path parameters."""

    shop: Shop
    query: dict[str, str]
    body: dict[str, object]
    path_params: dict[str, str]
    base_url: str
