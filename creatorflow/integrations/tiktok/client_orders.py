"""Order endpoints of the TikTok Shop client (reference tiktok-shop.md §5)."""

from __future__ import annotations

from collections.abc import Sequence

from creatorflow.integrations.tiktok.client_core import TikTokCore
from creatorflow.integrations.tiktok.models_pages import OrderPage, decode_order_page

__all__ = ["DETAIL_BATCH", "OrdersMixin"]

DETAIL_BATCH = 50
"""Most order ids Get Order Detail takes in one call."""


class OrdersMixin(TikTokCore):
    """Search Orders and Get Order Detail."""

    def search_orders(
        self,
        cipher: str,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        order_status: str | None = None,
        shipping_type: str | None = None,
        page_token: str | None = None,
        page_size: int = 100,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> OrderPage:
        """One page of a shop's orders (``POST /order/202309/orders/search``).

        Times are Unix seconds (``_ge`` inclusive, ``_lt`` exclusive). Pass the page's
        ``next_page_token`` back as ``page_token`` until it is ``None``. An order that does not
        fit :class:`~creatorflow.integrations.tiktok.models.Order` comes back in
        ``rejected`` with its raw JSON instead of failing the page.
        """
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")
        body = {
            key: value
            for key, value in (
                ("order_status", order_status),
                ("create_time_ge", create_time_ge),
                ("create_time_lt", create_time_lt),
                ("update_time_ge", update_time_ge),
                ("update_time_lt", update_time_lt),
                ("shipping_type", shipping_type),
            )
            if value is not None and value != ""
        }
        envelope = self._call(
            "POST",
            "/order/202309/orders/search",
            cipher=cipher,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "sort_field": sort_field,
                "sort_order": sort_order,
            },
            body=body,
            idempotent=True,
        )
        return decode_order_page(envelope)

    def order_details(self, cipher: str, ids: Sequence[str]) -> OrderPage:
        """Full details of orders (``GET /order/202309/orders``), 50 ids per call, merged.

        Duplicate ids are asked for once. Ids TikTok does not know are simply absent.
        """
        if isinstance(ids, str):
            raise TypeError("ids must be a sequence of order ids, not one string")
        wanted = list(dict.fromkeys(i for i in ids if i))
        merged = OrderPage([], [], None, None)
        for start in range(0, len(wanted), DETAIL_BATCH):
            envelope = self._call(
                "GET",
                "/order/202309/orders",
                cipher=cipher,
                query={"ids": wanted[start : start + DETAIL_BATCH]},
                idempotent=True,
            )
            page = decode_order_page(envelope)
            merged.orders.extend(page.orders)
            merged.rejected.extend(page.rejected)
        return merged
