"""Fulfilment and logistics endpoints of the TikTok Shop client (reference tiktok-shop.md §6).

Seller-shipped orders report their tracking with :meth:`FulfilmentMixin.mark_package_shipped`;
TikTok Shipping orders buy a label with :meth:`FulfilmentMixin.create_packages`. Both are
writes with effects (a label costs money), so neither is ever retried after a timeout or a
5xx: the caller reconciles first (package detail, order detail) and only then tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from creatorflow.integrations.tiktok.client_core import TikTokCore, path_segment
from creatorflow.integrations.tiktok.models import decode_data
from creatorflow.integrations.tiktok.models_fulfilment import (
    CreatedPackage,
    Dimension,
    EligibleShippingServicesData,
    MarkShippedResult,
    PackageDetail,
    ShippingDocument,
    ShippingProvider,
    ShippingProvidersData,
    ShippingService,
    TrackingData,
    TrackingEvent,
    Weight,
)

__all__ = ["FulfilmentMixin"]


def _parcel_body(
    order_line_item_ids: Sequence[str] | None, weight: Weight | None, dimension: Dimension | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if order_line_item_ids:
        body["order_line_item_ids"] = list(order_line_item_ids)
    if weight is not None:
        body["weight"] = weight
    if dimension is not None:
        body["dimension"] = dimension
    return body


class FulfilmentMixin(TikTokCore):
    """Shipping providers, tracking upload and correction, packages, TikTok Shipping labels."""

    def shipping_providers(self, cipher: str, delivery_option_id: str) -> list[ShippingProvider]:
        """Carriers accepted for an order's ``delivery_option_id`` (Get Shipping Providers)."""
        option = path_segment(delivery_option_id)
        path = f"/logistics/202309/delivery_options/{option}/shipping_providers"
        envelope = self._call("GET", path, cipher=cipher, idempotent=True)
        return decode_data(envelope, ShippingProvidersData).shipping_providers

    def mark_package_shipped(
        self,
        cipher: str,
        order_id: str,
        *,
        tracking_number: str,
        shipping_provider_id: str,
        order_line_item_ids: Sequence[str] | None = None,
    ) -> MarkShippedResult:
        """Report a seller-bought label's tracking number (Mark Package As Shipped).

        Omit ``order_line_item_ids`` to ship the whole order. **Never retried**: after a
        timeout, read the order again before calling twice. Show ``warning_message`` of
        the result to the seller (tracking number and carrier may not match).
        """
        body: dict[str, Any] = {
            "tracking_number": tracking_number,
            "shipping_provider_id": shipping_provider_id,
        }
        if order_line_item_ids:
            body["order_line_item_ids"] = list(order_line_item_ids)
        envelope = self._call(
            "POST",
            f"/fulfillment/202309/orders/{path_segment(order_id)}/packages",
            cipher=cipher,
            body=body,
            idempotent=False,
        )
        if envelope.data is None:
            return MarkShippedResult(order_id=order_id)
        return decode_data(envelope, MarkShippedResult)

    def update_shipping_info(
        self, cipher: str, order_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> None:
        """Correct the tracking number or carrier of a shipped order (within 72 h, rarely).

        **Never retried**: TikTok limits how often tracking may be changed.
        """
        self._call(
            "POST",
            f"/fulfillment/202309/orders/{path_segment(order_id)}/shipping_info/update",
            cipher=cipher,
            body={"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id},
            idempotent=False,
        )

    def package_detail(self, cipher: str, package_id: str) -> PackageDetail:
        """A package's status, tracking, carrier and contents (Get Package Detail)."""
        envelope = self._call(
            "GET",
            f"/fulfillment/202309/packages/{path_segment(package_id)}",
            cipher=cipher,
            idempotent=True,
        )
        return decode_data(envelope, PackageDetail)

    def order_tracking(self, cipher: str, order_id: str) -> list[TrackingEvent]:
        """The carrier events of an order as TikTok knows them (Get Tracking)."""
        envelope = self._call(
            "GET",
            f"/fulfillment/202309/orders/{path_segment(order_id)}/tracking",
            cipher=cipher,
            idempotent=True,
        )
        if envelope.data is None:
            return []
        records = decode_data(envelope, TrackingData).tracking
        return [TrackingEvent.from_record(record) for record in records]

    def eligible_shipping_services(
        self,
        cipher: str,
        order_id: str,
        *,
        order_line_item_ids: Sequence[str] | None = None,
        weight: Weight | None = None,
        dimension: Dimension | None = None,
    ) -> list[ShippingService]:
        """TikTok Shipping services (with estimated prices) for an order or some of its lines.

        Prices depend on ``weight`` and ``dimension``; without them TikTok uses the product
        data it has.
        """
        envelope = self._call(
            "POST",
            f"/fulfillment/202309/orders/{path_segment(order_id)}/shipping_services/query",
            cipher=cipher,
            body=_parcel_body(order_line_item_ids, weight, dimension),
            idempotent=True,
        )
        if envelope.data is None:
            return []
        return decode_data(envelope, EligibleShippingServicesData).shipping_services

    def create_packages(
        self,
        cipher: str,
        order_id: str,
        *,
        shipping_service_id: str,
        order_line_item_ids: Sequence[str] | None = None,
        weight: Weight | None = None,
        dimension: Dimension | None = None,
    ) -> CreatedPackage:
        """Buy a TikTok Shipping label for an order (Create Packages).

        **A purchase: never retried.** After a timeout or 5xx, look for the package (order
        detail, package detail) before buying again.
        """
        body: dict[str, Any] = {"order_id": order_id, "shipping_service_id": shipping_service_id}
        body.update(_parcel_body(order_line_item_ids, weight, dimension))
        envelope = self._call(
            "POST", "/fulfillment/202309/packages", cipher=cipher, body=body, idempotent=False
        )
        return decode_data(envelope, CreatedPackage)

    def package_shipping_document(
        self,
        cipher: str,
        package_id: str,
        *,
        document_type: str = "SHIPPING_LABEL",
        document_format: str = "PDF",
        document_size: str = "A6",
    ) -> ShippingDocument:
        """Where to download a TikTok Shipping label or packing slip of a package.

        ``document_type``: ``SHIPPING_LABEL``, ``PACKING_SLIP``,
        ``SHIPPING_LABEL_AND_PACKING_SLIP``, …; ``document_format``: ``PDF`` or ``ZPL``;
        ``document_size``: ``A6`` or ``A5``. Fetching a document buys nothing.
        """
        envelope = self._call(
            "GET",
            f"/fulfillment/202309/packages/{path_segment(package_id)}/shipping_documents",
            cipher=cipher,
            query={
                "document_type": document_type,
                "document_format": document_format,
                "document_size": document_size,
            },
            idempotent=True,
        )
        return decode_data(envelope, ShippingDocument)
