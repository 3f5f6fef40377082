"""The TikTok Shop Open API client (202309 paths; reference tiktok-shop.md).

:class:`TikTokClient` gathers every endpoint CreatorFlow calls. The request mechanics
(signing each attempt, the envelope, retries, the one token refresh on 105002) live in
:mod:`~creatorflow.integrations.tiktok.client_core`; the endpoints in ``client_orders``,
``client_fulfilment`` and ``client_products``. Every shop-scoped call takes the shop's
``cipher`` (from :meth:`TikTokClient.authorized_shops`) as its first argument.

Errors: see :func:`~creatorflow.integrations.tiktok.errors.error_for`. Reads are retried on
transient failures; label purchases and tracking uploads never are.
"""

from __future__ import annotations

from creatorflow.integrations.tiktok.client_core import DEFAULT_API_BASE, TikTokCore
from creatorflow.integrations.tiktok.client_fulfilment import FulfilmentMixin
from creatorflow.integrations.tiktok.client_orders import OrdersMixin
from creatorflow.integrations.tiktok.client_products import ProductsMixin
from creatorflow.integrations.tiktok.models import AuthorizedShopsData, Shop, decode_data
from creatorflow.integrations.tiktok.models_fulfilment import (
    CreatedPackage,
    Dimension,
    MarkShippedResult,
    PackageDetail,
    ShippingDocument,
    ShippingProvider,
    ShippingService,
    TrackingEvent,
    Weight,
)
from creatorflow.integrations.tiktok.models_pages import DecodedOrder, OrderPage, RejectedItem
from creatorflow.integrations.tiktok.models_products import (
    DecodedProduct,
    InventoryProduct,
    InventoryUpdate,
    InventoryUpdateError,
    ProductDetail,
    ProductPage,
    WarehouseQuantity,
)

__all__ = [
    "DEFAULT_API_BASE",
    "CreatedPackage",
    "DecodedOrder",
    "DecodedProduct",
    "Dimension",
    "InventoryProduct",
    "InventoryUpdate",
    "InventoryUpdateError",
    "MarkShippedResult",
    "OrderPage",
    "PackageDetail",
    "ProductDetail",
    "ProductPage",
    "RejectedItem",
    "ShippingDocument",
    "ShippingProvider",
    "ShippingService",
    "TikTokClient",
    "TrackingEvent",
    "WarehouseQuantity",
    "Weight",
]


class TikTokClient(OrdersMixin, FulfilmentMixin, ProductsMixin, TikTokCore):
    """A seller's TikTok Shop: shops, orders, fulfilment, products and inventory.

    Construct with ``api_base``, ``app_key``, ``app_secret`` and a
    :class:`~creatorflow.integrations.tiktok.oauth.TokenKeeper`; ``transport``, ``now`` and
    ``sleep`` are for tests and the sandbox. Use it as a context manager or call
    :meth:`close`.
    """

    def authorized_shops(self) -> list[Shop]:
        """The shops the seller authorised, each with its ``cipher`` (Get Authorized Shops)."""
        envelope = self._call("GET", "/authorization/202309/shops", cipher=None, idempotent=True)
        if envelope.data is None:
            return []
        return decode_data(envelope, AuthorizedShopsData).shops
