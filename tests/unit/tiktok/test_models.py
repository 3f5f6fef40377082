"""TikTok Shop response models against TikTok's own reference data (tiktok-shop.md §4, §5, §9)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from creatorflow.errors import ProviderError
from creatorflow.integrations.tiktok.models import (
    AuthorizedShopsData,
    CombinedListingSku,
    DeliveryPreferences,
    DistrictInfo,
    HandlingDuration,
    ItemTax,
    LineItem,
    Order,
    OrderDetailData,
    OrderSearchData,
    OrderStatus,
    Package,
    Payment,
    RecipientAddress,
    Shop,
    TikTokDecodeError,
    decode_data,
    decode_envelope,
    order_status,
)

# Copies of ../shared/reference/tiktok-api for these endpoints, so every machine runs the checks.
REFERENCE = Path(__file__).parents[2] / "fixtures" / "tiktok-api"
ENDPOINTS: dict[str, type[msgspec.Struct]] = {
    "orders/get-order-list": OrderSearchData,
    "orders/get-order-detail": OrderDetailData,
    "authorization/get-authorized-shops": AuthorizedShopsData,
}
ORDER_ENDPOINTS = ("orders/get-order-list", "orders/get-order-detail")

# Each model and where its fields sit in the documented response of its endpoints.
MODEL_PATHS: list[tuple[type[msgspec.Struct], str, tuple[str, ...]]] = [
    (OrderSearchData, "data", ("orders/get-order-list",)),
    (OrderDetailData, "data", ("orders/get-order-detail",)),
    (Order, "data.orders", ORDER_ENDPOINTS),
    (Package, "data.orders.packages", ORDER_ENDPOINTS),
    (Payment, "data.orders.payment", ORDER_ENDPOINTS),
    (RecipientAddress, "data.orders.recipient_address", ORDER_ENDPOINTS),
    (DistrictInfo, "data.orders.recipient_address.district_info", ORDER_ENDPOINTS),
    (DeliveryPreferences, "data.orders.recipient_address.delivery_preferences", ORDER_ENDPOINTS),
    (LineItem, "data.orders.line_items", ORDER_ENDPOINTS),
    (CombinedListingSku, "data.orders.line_items.combined_listing_skus", ORDER_ENDPOINTS),
    (ItemTax, "data.orders.line_items.item_tax", ORDER_ENDPOINTS),
    (HandlingDuration, "data.orders.handling_duration", ORDER_ENDPOINTS),
    (AuthorizedShopsData, "data", ("authorization/get-authorized-shops",)),
    (Shop, "data.shops", ("authorization/get-authorized-shops",)),
]

_DOC_TYPES: dict[str, type[msgspec.inspect.Type]] = {
    "string": msgspec.inspect.StrType,
    "int": msgspec.inspect.IntType,
    "bool": msgspec.inspect.BoolType,
    "object": msgspec.inspect.StructType,
    "[]object": msgspec.inspect.ListType,
}


@pytest.fixture(scope="module")
def reference() -> Path:
    assert REFERENCE.is_dir(), f"TikTok reference data missing at {REFERENCE}"
    return REFERENCE


def _load(reference: Path, endpoint: str, kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((reference / f"{endpoint}.{kind}.json").read_text())
    return loaded


def _examples(reference: Path, endpoint: str) -> list[bytes]:
    """Every example response of an endpoint: the spec's and each one in the doc page."""
    spec = _load(reference, endpoint, "spec")["document_api_meta"]
    bodies = [spec["response_body"].encode()]
    content = _load(reference, endpoint, "doc")["content"]
    decoder = json.JSONDecoder()
    for match in re.finditer(r'\{\s*"code"', content):
        sample, _ = decoder.raw_decode(content, match.start())
        bodies.append(json.dumps(sample).encode())
    return bodies


def _documented(reference: Path, endpoint: str) -> dict[str, str]:
    """Documented response fields as ``{"data.orders.id": "string", …}``.

    The field lists nest by prefixing names with one ``^`` per level.
    """
    fields: dict[str, str] = {}
    stack: list[str] = []
    for param in _load(reference, endpoint, "spec")["document_api_meta"]["response_param"]:
        name: str = param["name"]
        bare = name.lstrip("^")
        stack = [*stack[: len(name) - len(bare)], bare]
        fields[".".join(stack)] = param["type"]
    return fields


def _field_types(model: type[msgspec.Struct]) -> dict[str, msgspec.inspect.Type]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    types: dict[str, msgspec.inspect.Type] = {}
    for field in info.fields:
        kind = field.type
        if isinstance(kind, msgspec.inspect.UnionType):
            (kind,) = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        types[field.encode_name] = kind
    return types


def _decode(body: bytes, type_: type[msgspec.Struct]) -> Any:
    envelope = decode_envelope(body)
    assert envelope.code == 0
    return decode_data(envelope, type_)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_reference_example_decodes(reference: Path, endpoint: str) -> None:
    examples = _examples(reference, endpoint)
    assert len(examples) >= 2
    for body in examples:
        envelope = decode_envelope(body)
        assert (envelope.code, envelope.message) == (0, "Success")
        assert envelope.request_id == "202203070749000101890810281E8C70B7"
        assert isinstance(decode_data(envelope, ENDPOINTS[endpoint]), ENDPOINTS[endpoint])


def test_order_list_example_values(reference: Path) -> None:
    data = _decode(_examples(reference, "orders/get-order-list")[0], OrderSearchData)
    assert (
        data.next_page_token
        == "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT"
    )
    assert data.total_count == 22113
    (order,) = data.orders
    assert order.id == "576461413038785752"
    assert order.status == "UNPAID"
    assert order_status(order.status) is OrderStatus.UNPAID
    assert order.buyer_message == "Please ship asap!"
    assert order.cancellation_initiator == "SELLER"
    assert order.create_time == 1619611561
    assert order.shipping_type == "TIKTOK"
    assert order.delivery_option_name == "Standard Shipping"
    assert order.is_on_hold_order is False
    assert order.handling_duration == HandlingDuration(days="7", type="BUSINESS_DAY")
    (item,) = order.line_items
    assert item.sku_id == "2729382476852921560"
    assert item.sale_price == "0.01"
    assert item.currency == "IDR"
    assert item.package_status == "TO_FULFILL"
    assert item.item_tax == [ItemTax(tax_type="SALES_TAX", tax_amount="21.2", tax_rate="0.35")]
    assert item.combined_listing_skus[0].sku_count == 1
    assert order.payment is not None
    assert order.payment.currency == "IDR"
    assert order.payment.total_amount == "5000"
    assert order.recipient_address is not None
    assert order.recipient_address.full_address == "1199 Coleman Ave San Jose, CA 95110"


def test_order_detail_example_values(reference: Path) -> None:
    data = _decode(_examples(reference, "orders/get-order-detail")[0], OrderDetailData)
    (order,) = data.orders
    assert order.id == "576461413038785752"
    assert order.status == "UNPAID"
    assert [i.sku_id for i in order.line_items] == ["2729382476852921560"]
    assert order.line_items[0].sale_price == "0.01"
    assert order.packages == [Package(id="1152321127278713123")]


def test_authorized_shops_example_values(reference: Path) -> None:
    data = _decode(
        _examples(reference, "authorization/get-authorized-shops")[0], AuthorizedShopsData
    )
    assert data.shops == [
        Shop(
            id="7000714532876273420",
            name="Maomao beauty shop",
            region="GB",
            seller_type="CROSS_BORDER",
            cipher="GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3",
            code="CNGBCBA4LLU8",
        )
    ]


@pytest.mark.parametrize(("model", "prefix", "endpoints"), MODEL_PATHS)
def test_models_match_documented_fields(
    reference: Path, model: type[msgspec.Struct], prefix: str, endpoints: tuple[str, ...]
) -> None:
    documented: dict[str, str] = {}
    for endpoint in endpoints:
        documented |= _documented(reference, endpoint)
    ours = _field_types(model)
    invented = sorted(f for f in ours if f"{prefix}.{f}" not in documented)
    assert not invented, f"{model.__name__} declares undocumented fields {invented}"
    mistyped = sorted(
        f for f, t in ours.items() if not isinstance(t, _DOC_TYPES[documented[f"{prefix}.{f}"]])
    )
    assert not mistyped, f"{model.__name__} types differ from the documented ones: {mistyped}"
    children = {p.removeprefix(f"{prefix}.") for p in documented if p.startswith(f"{prefix}.")}
    missing = sorted(c for c in children if "." not in c and c not in ours)
    assert not missing, f"{model.__name__} leaves out documented fields {missing}"


def test_envelope_without_data() -> None:
    body = b'{"code":106001,"data":null,"message":"Invalid credentials.","request_id":"r1"}'
    envelope = decode_envelope(body)
    assert (envelope.code, envelope.message, envelope.request_id) == (
        106001,
        "Invalid credentials.",
        "r1",
    )
    assert envelope.data is None
    assert decode_envelope(b'{"code":0}').data is None
    with pytest.raises(TikTokDecodeError, match="no data"):
        decode_data(envelope, OrderSearchData)


@pytest.mark.parametrize("body", [b"<html>502</html>", b"[]", b'{"message":"x"}', b'{"code":"0"}'])
def test_envelope_rejects_non_api_bodies(body: bytes) -> None:
    with pytest.raises(TikTokDecodeError) as caught:
        decode_envelope(body)
    assert isinstance(caught.value, ProviderError)
    assert caught.value.title == "Unexpected TikTok response"


def test_unknown_fields_and_status_are_tolerated() -> None:
    body = (
        b'{"code":0,"message":"Success","new_top_level":1,"data":{"orders":[{"id":"1",'
        b'"status":"AWAITING_TELEPORT","brand_new_field":{"x":[1]},'
        b'"line_items":[{"id":"2","sku_id":"3","future":true}]}],"extra":"x"}}'
    )
    data = decode_data(decode_envelope(body), OrderDetailData)
    (order,) = data.orders
    assert order.status == "AWAITING_TELEPORT"
    assert order_status(order.status) is None
    assert order.line_items == [LineItem(id="2", sku_id="3")]
    assert order.payment is None
    assert order.packages == []


def test_order_status_known_values() -> None:
    assert order_status("AWAITING_SHIPMENT") is OrderStatus.AWAITING_SHIPMENT
    assert order_status("ON_HOLD") == "ON_HOLD"
    assert order_status("CANCEL") is None
    assert len(OrderStatus) == 9


def test_wrong_type_names_the_field() -> None:
    body = b'{"code":0,"message":"Success","data":{"orders":[{"id":"1","create_time":{"s":1}}]}}'
    with pytest.raises(TikTokDecodeError, match=r"\$\.data\.orders\[0\]\.create_time") as caught:
        decode_data(decode_envelope(body), OrderSearchData)
    assert "OrderSearchData" in caught.value.message
    assert caught.value.hint


def test_missing_order_id_is_a_decode_error() -> None:
    body = b'{"code":0,"message":"Success","data":{"orders":[{"status":"UNPAID"}]}}'
    with pytest.raises(TikTokDecodeError, match="id"):
        decode_data(decode_envelope(body), OrderDetailData)
