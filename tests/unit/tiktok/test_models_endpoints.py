"""Fulfilment, logistics, product and inventory models against TikTok's reference data."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from creatorflow.integrations.tiktok import models_fulfilment as mf
from creatorflow.integrations.tiktok import models_products as mp
from creatorflow.integrations.tiktok.models import decode_data, decode_envelope
from tests.unit.tiktok.test_client_fakes import REFERENCE, spec_body

# Each endpoint's ``data`` model (search pages go through decode_product_page instead).
ENDPOINTS: dict[str, type[msgspec.Struct]] = {
    "logistics/get-shipping-providers": mf.ShippingProvidersData,
    "fulfillment/mark-package-as-shipped": mf.MarkShippedResult,
    "fulfillment/update-shipping-info": mf.ShippingWarning,  # data is {}: anything optional
    "fulfillment/get-package-detail": mf.PackageDetail,
    "fulfillment/get-tracking": mf.TrackingData,
    "fulfillment/get-package-shipping-document": mf.ShippingDocument,
    "fulfillment/get-eligible-shipping-service": mf.EligibleShippingServicesData,
    "fulfillment/create-packages": mf.CreatedPackage,
    "products/get-product": mp.ProductDetail,
    "products/inventory-search": mp.InventoryData,
    "products/update-inventory": mp.InventoryUpdateData,
}

PD = "fulfillment/get-package-detail"
ES = "fulfillment/get-eligible-shipping-service"
CP = "fulfillment/create-packages"
GP = "products/get-product"
SP = "products/search-products"
IS = "products/inventory-search"
UI = "products/update-inventory"
Where = tuple[str, str]

# (model, where its fields are documented, whether every documented field is modelled)
MODELS: list[tuple[type[msgspec.Struct], tuple[Where, ...], bool]] = [
    (mf.ShippingProvidersData, (("logistics/get-shipping-providers", "data"),), True),
    (mf.ShippingProvider, (("logistics/get-shipping-providers", "data.shipping_providers"),), True),
    (mf.MarkShippedResult, (("fulfillment/mark-package-as-shipped", "data"),), True),
    (mf.ShippingWarning, (("fulfillment/mark-package-as-shipped", "data.warning"),), True),
    (mf.PackageDetail, ((PD, "data"),), True),
    (mf.PackageOrder, ((PD, "data.orders"),), True),
    (mf.PackageSku, ((PD, "data.orders.skus"),), True),
    (mf.PickupSlot, ((PD, "data.pickup_slot"),), True),
    (mf.PackageAddress, ((PD, "data.recipient_address"), (PD, "data.sender_address")), True),
    (mf.PackageInsurance, ((PD, "data.insurance"),), True),
    (mf.WeightInfo, ((PD, "data.weight"), (ES, "data.weight"), (CP, "data.weight")), True),
    (mf.DimensionInfo, ((PD, "data.dimension"), (ES, "data.dimension")), True),
    (mf.TrackingData, (("fulfillment/get-tracking", "data"),), True),
    (mf.TrackingRecord, (("fulfillment/get-tracking", "data.tracking"),), True),
    (mf.ShippingDocument, (("fulfillment/get-package-shipping-document", "data"),), True),
    (mf.EligibleShippingServicesData, ((ES, "data"),), True),
    (mf.ShippingService, ((ES, "data.shipping_services"),), True),
    (mf.CreatedPackage, ((CP, "data"),), True),
    (mf.ShippingServiceInfo, ((CP, "data.shipping_service_info"),), True),
    (mp.ProductSummary, ((SP, "data.products"),), False),
    (mp.ProductSku, ((SP, "data.products.skus"), (GP, "data.skus")), False),
    (mp.SkuPrice, ((SP, "data.products.skus.price"), (GP, "data.skus.price")), True),
    (mp.SkuInventory, ((SP, "data.products.skus.inventory"), (GP, "data.skus.inventory")), True),
    (mp.ListPrice, ((SP, "data.products.skus.list_price"), (GP, "data.skus.list_price")), True),
    (mp.SkuStatusInfo, ((SP, "data.products.skus.status_info"),), True),
    (mp.Audit, ((SP, "data.products.audit"), (GP, "data.audit")), True),
    (mp.ProductDetail, ((GP, "data"),), False),
    (mp.CategoryChain, ((GP, "data.category_chains"),), True),
    (mp.Brand, ((GP, "data.brand"),), True),
    (mp.Image, ((GP, "data.main_images"), (GP, "data.skus.sales_attributes.sku_img")), True),
    (mp.SalesAttribute, ((GP, "data.skus.sales_attributes"),), False),
    (mp.PackageDimensions, ((GP, "data.package_dimensions"),), True),
    (mp.PackageWeight, ((GP, "data.package_weight"),), True),
    (mp.InventoryData, ((IS, "data"),), True),
    (mp.InventoryProduct, ((IS, "data.inventory"),), True),
    (mp.InventorySku, ((IS, "data.inventory.skus"),), True),
    (mp.WarehouseInventory, ((IS, "data.inventory.skus.warehouse_inventory"),), True),
    (
        mp.InventoryDistribution,
        ((IS, "data.inventory.skus.total_available_inventory_distribution"),),
        True,
    ),
    (mp.InventoryUpdateData, ((UI, "data"),), True),
    (mp.InventoryUpdateError, ((UI, "data.errors"),), True),
    (mp.InventoryUpdateErrorDetail, ((UI, "data.errors.detail"),), True),
    (mp.WarehouseError, ((UI, "data.errors.detail.extra_errors"),), True),
]

# Request shapes against the documented request bodies.
REQUESTS: list[tuple[type[msgspec.Struct], tuple[Where, ...]]] = [
    (mf.Weight, ((CP, "weight"), (ES, "weight"))),
    (mf.Dimension, ((CP, "dimension"), (ES, "dimension"))),
    (mp.InventoryUpdate, ((UI, "skus"),)),
    (mp.WarehouseQuantity, ((UI, "skus.inventory"),)),
]

_DOC_TYPES: dict[str, type[msgspec.inspect.Type]] = {
    "string": msgspec.inspect.StrType,
    "int": msgspec.inspect.IntType,
    "bool": msgspec.inspect.BoolType,
    "object": msgspec.inspect.StructType,
    "[]object": msgspec.inspect.ListType,
    "[]string": msgspec.inspect.ListType,
}


def _meta(endpoint: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((REFERENCE / f"{endpoint}.spec.json").read_text())
    meta: dict[str, Any] = spec["document_api_meta"]
    return meta


def _documented(endpoint: str, kind: str = "response_param") -> dict[str, str]:
    """``{"data.orders.id": "string", …}`` from a field list nested with ``^`` prefixes."""
    fields: dict[str, str] = {}
    stack: list[str] = []
    for param in _meta(endpoint)[kind] or []:
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


def _check(
    model: type[msgspec.Struct], wheres: tuple[Where, ...], kind: str, complete: bool
) -> None:
    ours = _field_types(model)
    documented: dict[str, str] = {}
    for endpoint, prefix in wheres:
        docs = _documented(endpoint, kind)
        documented |= {
            path.removeprefix(f"{prefix}."): t
            for path, t in docs.items()
            if path.startswith(f"{prefix}.")
        }
    invented = sorted(f for f in ours if f not in documented)
    assert not invented, f"{model.__name__} declares undocumented fields {invented}"
    mistyped = sorted(f for f, t in ours.items() if not isinstance(t, _DOC_TYPES[documented[f]]))
    assert not mistyped, f"{model.__name__} types differ from the documented ones: {mistyped}"
    if complete:
        missing = sorted(c for c in documented if "." not in c and c not in ours)
        assert not missing, f"{model.__name__} leaves out documented fields {missing}"


@pytest.mark.parametrize(("model", "wheres", "complete"), MODELS)
def test_models_match_documented_fields(
    model: type[msgspec.Struct], wheres: tuple[Where, ...], complete: bool
) -> None:
    _check(model, wheres, "response_param", complete)


@pytest.mark.parametrize(("model", "wheres"), REQUESTS)
def test_request_shapes_match_documented_bodies(
    model: type[msgspec.Struct], wheres: tuple[Where, ...]
) -> None:
    _check(model, wheres, "request_body_param", complete=True)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_reference_example_decodes(endpoint: str) -> None:
    envelope = decode_envelope(spec_body(endpoint))
    assert (envelope.code, envelope.request_id) == (0, "202203070749000101890810281E8C70B7")
    assert isinstance(decode_data(envelope, ENDPOINTS[endpoint]), ENDPOINTS[endpoint])


def test_search_products_example_decodes_per_product() -> None:
    page = mp.decode_product_page(decode_envelope(spec_body(SP)))
    assert [p.product.id for p in page.products] == ["1729592969712207008"]
    product = page.products[0].product
    assert product.audit == mp.Audit(status="AUDITING", pre_approved_reasons=["KYC_PENDING"])
    assert product.skus[0].status_info == mp.SkuStatusInfo(
        status="DEACTIVATED", deactivation_source="PLATFORM"
    )
    assert product.sales_regions == ["US"]
    assert json.loads(page.products[0].raw)["id"] == product.id


def test_reference_values() -> None:
    package = decode_data(decode_envelope(spec_body(PD)), mf.PackageDetail)
    assert package.pickup_slot == mf.PickupSlot(start_time=1635338186, end_time=1635338186)
    assert package.recipient_address is not None
    assert package.recipient_address.region_code == "US"
    assert package.order_line_item_ids == ["1729382476852921560"]
    assert package.dimension == mf.DimensionInfo(
        length="1.2", width="0.2", height="0.03", unit="CM"
    )
    eligible = decode_data(decode_envelope(spec_body(ES)), mf.EligibleShippingServicesData)
    assert eligible.order_line_id == ["32132124331234"]
    assert eligible.shipping_services[0].earliest_delivery_days == 3
    detail = decode_data(decode_envelope(spec_body(GP)), mp.ProductDetail)
    assert detail.category_chains[0].local_name == "Botol & Stoples Penyimpanan"
    assert detail.brand == mp.Brand(id="7082427311584347905", name="brand xxx aaa")
    assert detail.main_images[0].height == 600
    assert detail.product_status == "SELLER_DEACTIVATED"
    assert detail.skus[0].external_sku_id == "1729592969712207234"


def test_unknown_values_and_fields_are_tolerated() -> None:
    body = (
        b'{"code":0,"message":"Success","data":{"package_id":"1","package_status":"TELEPORTED",'
        b'"brand_new":{"x":1},"orders":[{"id":"2","future":[1]}],"weight":{"unit":"STONE"}}}'
    )
    package = decode_data(decode_envelope(body), mf.PackageDetail)
    assert package.package_status == "TELEPORTED"
    assert package.orders == [mf.PackageOrder(id="2")]
    assert package.weight == mf.WeightInfo(unit="STONE")


def test_weight_and_dimension_encode_exactly() -> None:
    weight = msgspec.json.encode(mf.Weight(value="1.5", unit="POUND"))
    assert weight == b'{"value":"1.5","unit":"POUND"}'
    dimension = mf.Dimension(length="1", width="2", height="3", unit="CM")
    assert msgspec.json.encode(dimension) == b'{"length":"1","width":"2","height":"3","unit":"CM"}'
