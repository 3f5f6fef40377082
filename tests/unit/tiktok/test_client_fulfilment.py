"""Fulfilment, logistics and TikTok Shipping calls: exact requests and reference answers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from creatorflow.integrations.http import NetworkError
from creatorflow.integrations.tiktok.client import Dimension, TrackingEvent, Weight
from tests.unit.tiktok.test_client_fakes import Harness, assert_signed, ok, spec_body

CIPHER = "ROW_RHkDDABBAAB8tKAVoAqsMTjsQZFLyNfY"


def test_shipping_providers() -> None:
    h = Harness([spec_body("logistics/get-shipping-providers")])
    providers = h.client.shipping_providers(CIPHER, "7091146663229654785")
    assert [(p.id, p.name) for p in providers] == [("7117858858072016686", "USPS")]
    request = h.api.last
    assert request.method == "GET"
    assert request.url.path == (
        "/logistics/202309/delivery_options/7091146663229654785/shipping_providers"
    )
    assert request.url.params["shop_cipher"] == CIPHER
    assert request.content == b""
    assert_signed(request)


def test_mark_package_shipped_request_and_warning() -> None:
    h = Harness([spec_body("fulfillment/mark-package-as-shipped")])
    result = h.client.mark_package_shipped(
        CIPHER,
        "576461413038785752",
        tracking_number="9400111899223456789012",
        shipping_provider_id="7117858858072016686",
        order_line_item_ids=["577", "578"],
    )
    request = h.api.last
    assert request.method == "POST"
    assert request.url.path == "/fulfillment/202309/orders/576461413038785752/packages"
    assert request.content == (
        b'{"tracking_number":"9400111899223456789012",'
        b'"shipping_provider_id":"7117858858072016686","order_line_item_ids":["577","578"]}'
    )
    assert_signed(request)
    assert result.package_id == "32141235124234"
    assert result.order_line_item_ids == ["31322412312312"]
    assert result.warning_message == "match more than one provider"


def test_mark_package_shipped_whole_order_without_warning() -> None:
    h = Harness([ok({"order_id": "1", "package_id": "p"})])
    result = h.client.mark_package_shipped(
        CIPHER, "1", tracking_number="T", shipping_provider_id="P"
    )
    assert h.api.last.content == b'{"tracking_number":"T","shipping_provider_id":"P"}'
    assert result.warning_message is None
    assert result.order_line_item_ids == []


def test_update_shipping_info() -> None:
    h = Harness([spec_body("fulfillment/update-shipping-info")])
    h.client.update_shipping_info(CIPHER, "576", tracking_number="T2", shipping_provider_id="P")
    request = h.api.last
    assert request.url.path == "/fulfillment/202309/orders/576/shipping_info/update"
    assert request.content == b'{"tracking_number":"T2","shipping_provider_id":"P"}'
    assert_signed(request)


def test_package_detail() -> None:
    h = Harness([spec_body("fulfillment/get-package-detail")])
    package = h.client.package_detail(CIPHER, "5433567853345")
    assert h.api.last.url.path == "/fulfillment/202309/packages/5433567853345"
    assert_signed(h.api.last)
    assert package.package_id == "5433567853345"
    assert package.package_status == "PROCESSING"
    assert package.tracking_number == "6617675021119438849"
    assert package.orders[0].skus[0].quantity == 5
    assert package.weight is not None
    assert package.weight.unit == "GRAM"
    assert package.insurance is not None
    assert package.insurance.claim_status == "CLAIM_PENDING"


def test_order_tracking_times_are_aware_utc() -> None:
    h = Harness([spec_body("fulfillment/get-tracking")])
    events = h.client.order_tracking(CIPHER, "576")
    assert h.api.last.url.path == "/fulfillment/202309/orders/576/tracking"
    assert_signed(h.api.last)
    assert events == [
        TrackingEvent("Your package was delivered!", datetime(2023, 9, 14, 9, 58, 59, tzinfo=UTC))
    ]
    h = Harness([ok({"tracking": [{"description": "x"}]})])
    assert h.client.order_tracking(CIPHER, "576") == [TrackingEvent("x", None)]


def test_eligible_shipping_services_request_and_answer() -> None:
    h = Harness([spec_body("fulfillment/get-eligible-shipping-service")])
    services = h.client.eligible_shipping_services(
        CIPHER,
        "28823355942588",
        order_line_item_ids=["32132124331234"],
        weight=Weight(value="1.2", unit="POUND"),
        dimension=Dimension(length="10", width="8", height="4", unit="INCH"),
    )
    request = h.api.last
    assert request.method == "POST"
    assert request.url.path == "/fulfillment/202309/orders/28823355942588/shipping_services/query"
    assert request.content == (
        b'{"order_line_item_ids":["32132124331234"],"weight":{"value":"1.2","unit":"POUND"},'
        b'"dimension":{"length":"10","width":"8","height":"4","unit":"INCH"}}'
    )
    assert_signed(request)
    (service,) = services
    assert (service.id, service.price, service.currency, service.is_default) == (
        "288233559123860015",
        "5",
        "USD",
        False,
    )
    assert service.shipping_provider_name == "UPS"


def test_eligible_shipping_services_for_the_whole_order() -> None:
    h = Harness([ok({"shipping_services": []})])
    assert h.client.eligible_shipping_services(CIPHER, "1") == []
    assert h.api.last.content == b"{}"
    assert_signed(h.api.last)


def test_create_packages_request_and_answer() -> None:
    h = Harness([spec_body("fulfillment/create-packages")])
    package = h.client.create_packages(
        CIPHER,
        "2882335594258860015",
        shipping_service_id="288233559123860015",
        weight=Weight(value="12", unit="GRAM"),
    )
    request = h.api.last
    assert (request.method, request.url.path) == ("POST", "/fulfillment/202309/packages")
    assert request.content == (
        b'{"order_id":"2882335594258860015","shipping_service_id":"288233559123860015",'
        b'"weight":{"value":"12","unit":"GRAM"}}'
    )
    assert_signed(request)
    assert package.package_id == "2882335594258860015"
    assert package.shipping_service_info is not None
    assert package.shipping_service_info.shipping_provider_name == "UPS"
    assert package.create_time == 1623812664


def test_create_packages_timeout_may_have_bought_a_label() -> None:
    h = Harness([httpx.ReadTimeout])
    with pytest.raises(NetworkError) as caught:
        h.client.create_packages(CIPHER, "1", shipping_service_id="s")
    assert caught.value.may_have_reached_provider
    assert len(h.api.requests) == 1


def test_package_shipping_document() -> None:
    h = Harness([spec_body("fulfillment/get-package-shipping-document")])
    document = h.client.package_shipping_document(CIPHER, "p1", document_format="ZPL")
    request = h.api.last
    assert request.url.path == "/fulfillment/202309/packages/p1/shipping_documents"
    params = dict(request.url.params)
    assert {k: params[k] for k in ("document_type", "document_format", "document_size")} == {
        "document_type": "SHIPPING_LABEL",
        "document_format": "ZPL",
        "document_size": "A6",
    }
    assert_signed(request)
    assert document.doc_url.startswith("https://")
    assert document.tracking_number == "752455325694"


def test_ids_cannot_change_the_path() -> None:
    h = Harness([ok({"package_id": "x"})])
    h.client.package_detail(CIPHER, "../orders")
    assert h.api.last.url.raw_path.startswith(b"/fulfillment/202309/packages/..%2Forders")
    with pytest.raises(ValueError, match="empty"):
        h.client.package_detail(CIPHER, "")
