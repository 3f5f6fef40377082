"""The label flow through the official ``shippo`` 3.9.0 SDK: every endpoint parses, no warnings.

pytest runs with ``filterwarnings = error``, so any RuntimeWarning (a null required field) or
dataclasses-json UserWarning raised while the SDK parses an answer fails these tests.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from shippo.models import components, errors, operations

from creatorflow.sandbox.shippo import ShippoSimulator
from tests.sandbox.shippo.conftest import (
    KEY,
    Env,
    address,
    buy,
    make_env,
    parcel,
    sdk_for,
    shipment,
)

FIXTURES: dict[str, Any] = json.loads((Path(__file__).parent / "shippo_fixtures.json").read_text())


def assert_shape(ours: dict[str, Any], fixture: dict[str, Any]) -> None:
    """Every key of the reference fixture is present, with a value of a compatible JSON type."""
    missing = set(fixture) - set(ours)
    assert not missing, f"missing keys {missing}"
    for key, value in fixture.items():
        if value is None or ours[key] is None:
            continue
        assert type(ours[key]) is type(value), (key, ours[key], value)


def test_address_create_get_validate_and_list(env: Env) -> None:
    created = env.sdk.addresses.create(address(validate=True))
    assert created.validation_results is not None
    assert created.validation_results.is_valid is True
    assert env.sdk.addresses.get(created.object_id).street1 == "215 Clayton St."
    bad = env.sdk.addresses.create(address(street1="1 Invalid Rd", validate=True))
    assert bad.validation_results is not None
    assert bad.validation_results.is_valid is False
    assert bad.validation_results.messages
    again = env.sdk.addresses.validate(bad.object_id)
    assert again.validation_results is not None
    assert again.validation_results.is_valid is False
    listing = env.sdk.addresses.list(page=1, results=1)
    assert listing.results is not None
    assert listing.results[0].object_id == bad.object_id
    assert listing.next is not None
    raw = env.raw("GET", f"/addresses/{created.object_id}").json()
    assert_shape(raw, FIXTURES["address"])


def test_shipment_has_realistic_rates_inline(env: Env) -> None:
    shp = shipment(env.sdk)
    assert shp.status == components.ShipmentStatus.SUCCESS
    providers = {r.provider for r in shp.rates}
    assert providers == {"USPS", "UPS", "FedEx"}
    tokens = {r.servicelevel.token for r in shp.rates}
    assert {"usps_ground_advantage", "usps_priority", "ups_ground", "fedex_2_day"} <= tokens
    for rate in shp.rates:
        assert rate.amount == rate.amount_local
        assert rate.amount.count(".") == 1
        assert len(rate.amount.split(".")[1]) == 2
        assert rate.estimated_days is not None
        assert rate.estimated_days >= 1
        assert rate.shipment == shp.object_id
    attributes = [a for r in shp.rates for a in r.attributes]
    assert attributes.count(components.Attributes.CHEAPEST) == 1
    assert attributes.count(components.Attributes.FASTEST) == 1
    cheapest = next(r for r in shp.rates if components.Attributes.CHEAPEST in r.attributes)
    assert float(cheapest.amount) == min(float(r.amount) for r in shp.rates)
    raw = env.raw("GET", f"/shipments/{shp.object_id}").json()
    assert_shape(raw, FIXTURES["shipment"])
    assert_shape(raw["rates"][0], FIXTURES["rate"])
    assert_shape(raw["parcels"][0], FIXTURES["parcel"])
    assert env.sdk.shipments.get(shp.object_id).object_id == shp.object_id
    rates = env.sdk.rates.list_shipment_rates(shp.object_id, page=1, results=3)
    assert rates.results is not None
    assert len(rates.results) == 3
    assert rates.next
    usd = env.sdk.rates.list_shipment_rates_by_currency_code(
        operations.ListShipmentRatesByCurrencyCodeRequest(
            shipment_id=shp.object_id, currency_code="USD"
        )
    )
    assert usd.results is not None
    assert len(usd.results) == len(shp.rates)
    assert env.sdk.rates.get(cheapest.object_id).amount == cheapest.amount
    listing = env.sdk.shipments.list(operations.ListShipmentsRequest())
    assert listing.results is not None
    assert listing.results[0].object_id == shp.object_id


def test_async_shipment_rates_come_on_the_next_read(env: Env) -> None:
    request = components.ShipmentCreateRequest(
        address_from=address(), address_to=address(zip="10001"), parcels=[parcel()], async_=True
    )
    queued = env.sdk.shipments.create(request)
    assert queued.status == components.ShipmentStatus.QUEUED
    assert queued.rates == []
    done = env.sdk.shipments.get(queued.object_id)
    assert done.status == components.ShipmentStatus.SUCCESS
    assert done.rates


def test_too_heavy_parcel_has_no_rates_and_says_why(env: Env) -> None:
    shp = shipment(env.sdk, weight="3000")
    assert shp.rates == []
    assert {m.source for m in shp.messages} == {"USPS", "UPS", "FedEx"}


def test_transaction_queued_then_success_with_label_files(env: Env) -> None:
    shp = shipment(env.sdk)
    rate = shp.rates[0]
    txn = buy(env.sdk, rate.object_id)
    assert txn.status == components.TransactionStatusEnum.QUEUED
    assert txn.created_by is None
    assert txn.tracking_number == ""
    assert txn.label_url == ""
    assert_shape(env.sim.transaction(txn.object_id), FIXTURES["transaction_queued"])
    done = env.sdk.transactions.get(txn.object_id)
    assert done.status == components.TransactionStatusEnum.SUCCESS
    assert done.rate == rate.object_id
    assert done.metadata == "order:1001"
    assert done.tracking_number
    assert done.tracking_number.startswith("92055901755477")
    assert done.label_file_type == components.LabelFileTypeEnum.PDF_4X6
    assert done.tracking_status == components.TrackingStatusEnum.PRE_TRANSIT
    assert done.tracking_url_provider
    assert done.tracking_number in done.tracking_url_provider
    assert_shape(
        env.raw("GET", f"/transactions/{txn.object_id}").json(), FIXTURES["transaction_success"]
    )
    assert done.label_url is not None
    pdf = env.http.get(done.label_url, timeout=5)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 288 432]" in pdf.content  # 4x6 in
    assert done.tracking_number.encode() in pdf.content
    listing = env.sdk.transactions.list(operations.ListTransactionsRequest(rate=rate.object_id))
    assert [t.object_id for t in listing.results or []] == [txn.object_id]
    other = env.sdk.transactions.list(operations.ListTransactionsRequest(rate="nope"))
    assert other.results == []


def test_zpl_label(env: Env) -> None:
    shp = shipment(env.sdk)
    ups = next(r for r in shp.rates if r.provider == "UPS")
    txn = buy(env.sdk, ups.object_id, file_type="ZPLII")
    done = env.sdk.transactions.get(txn.object_id)
    assert done.label_file_type == components.LabelFileTypeEnum.ZPLII
    assert done.label_url is not None
    assert done.label_url.endswith(".zpl")
    assert done.tracking_number
    assert done.tracking_number.startswith("1Z")
    zpl = env.http.get(done.label_url, timeout=5).content
    assert zpl.startswith(b"^XA")
    assert zpl.rstrip().endswith(b"^XZ")
    assert done.tracking_number.encode() in zpl


def test_sync_purchase_is_success_at_once(env: Env) -> None:
    shp = shipment(env.sdk)
    request = components.TransactionCreateRequest(rate=shp.rates[0].object_id, async_=False)
    txn = env.sdk.transactions.create(request)
    assert txn.status == components.TransactionStatusEnum.SUCCESS
    assert txn.tracking_number


def test_bad_token_and_missing_token_are_401(env: Env) -> None:
    wrong = sdk_for(env.base_url, env.http, "shippo_test_wrong")
    with pytest.raises(errors.SDKError) as caught:
        wrong.addresses.list(page=1, results=1)
    assert caught.value.status_code == 401
    assert json.loads(caught.value.body) == {"detail": "Token does not exist"}
    bare = env.http.get(env.base_url + "/addresses", timeout=5)
    assert bare.status_code == 401
    assert bare.json()["detail"] == "Authentication credentials were not provided."


def test_trailing_slashes_unknown_paths_and_validation_errors(env: Env) -> None:
    assert env.raw("GET", "/addresses/").status_code == 200
    assert env.raw("GET", "/refunds/").status_code == 200
    missing = env.raw("GET", "/transactions/doesnotexist")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    assert env.raw("GET", "/nowhere").status_code == 404
    no_rate = env.raw("POST", "/transactions/", json={"metadata": "x"})
    assert no_rate.status_code == 400
    assert no_rate.json() == {"rate": ["This field is required."]}
    with pytest.raises(errors.SDKError) as caught:
        buy(env.sdk, "not-a-rate")
    assert caught.value.status_code == 400
    assert "rate" in json.loads(caught.value.body)


def test_tracks_follow_the_clock(env: Env) -> None:
    shp = shipment(env.sdk)
    usps = next(r for r in shp.rates if r.servicelevel.token == "usps_priority")
    txn = env.sdk.transactions.get(buy(env.sdk, usps.object_id).object_id)
    assert txn.tracking_number
    track = env.sdk.tracking_status.get(txn.tracking_number, "usps")
    assert track.tracking_status is not None
    assert track.tracking_status.status == components.TrackingStatusEnum.PRE_TRANSIT
    env.sim.advance(timedelta(hours=13))
    track = env.sdk.tracking_status.get(txn.tracking_number, "usps")
    assert track.tracking_status is not None
    assert track.tracking_status.status == components.TrackingStatusEnum.TRANSIT
    assert [s.status.value for s in track.tracking_history] == [
        "PRE_TRANSIT", "TRANSIT", "TRANSIT",
    ]  # fmt: skip
    assert track.transaction == txn.object_id
    env.sim.advance(timedelta(days=2))
    track = env.sdk.tracking_status.get(txn.tracking_number, "usps")
    assert track.tracking_status is not None
    assert track.tracking_status.status == components.TrackingStatusEnum.DELIVERED
    assert track.tracking_history[-2].substatus is not None
    assert track.tracking_history[-2].substatus.code == "out_for_delivery"
    assert env.sdk.transactions.get(txn.object_id).tracking_status == (
        components.TrackingStatusEnum.DELIVERED
    )
    raw = env.raw("GET", f"/tracks/usps/{txn.tracking_number}").json()
    assert_shape(raw, FIXTURES["track"])


@pytest.mark.parametrize(
    "status", ["PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"]
)
def test_shippo_test_tracking_numbers(env: Env, status: str) -> None:
    track = env.sdk.tracking_status.get(f"SHIPPO_{status}", "shippo")
    assert track.tracking_status is not None
    assert track.tracking_status.status.value == status
    registered = env.sdk.tracking_status.create("shippo", f"SHIPPO_{status}", metadata="order:9")
    assert registered.metadata == "order:9"


def test_unknown_tracking_number(env: Env) -> None:
    track = env.sdk.tracking_status.get("9400000000000000000000", "usps")
    assert track.tracking_status is not None
    assert track.tracking_status.status == components.TrackingStatusEnum.UNKNOWN
    assert track.tracking_history == []


def test_carrier_accounts_parse_without_warnings(env: Env) -> None:
    listing = env.sdk.carrier_accounts.list(operations.ListCarrierAccountsRequest())
    assert {a.carrier for a in listing.results or []} == {"usps", "ups", "fedex"}


def test_stats_endpoint_matches_stats(env: Env) -> None:
    shipment(env.sdk)
    served = env.http.get(env.base_url + "/sandbox/stats", timeout=5).json()
    assert served == json.loads(json.dumps(env.sim.stats()))
    assert served["requests"]["POST /shipments"] == 1


def test_same_seed_same_answers() -> None:
    def run() -> tuple[list[str], list[str]]:
        for env in make_env():
            shp = shipment(env.sdk)
            txn = env.sdk.transactions.get(buy(env.sdk, shp.rates[0].object_id).object_id)
            return [r.object_id + r.amount for r in shp.rates], [str(txn.tracking_number)]
        raise AssertionError("no env")

    assert run() == run()


def test_live_key_objects_are_not_test() -> None:
    sim = ShippoSimulator(api_key="shippo_live_abc")
    assert sim.test is False
    assert sim.limiter.limits["default:write"] == 500
    assert ShippoSimulator(api_key=KEY).limiter.limits["default:write"] == 50
