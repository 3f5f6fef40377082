"""The official ``easypost`` 10.7 SDK parses every answer and raises its own error classes."""

from __future__ import annotations

import time
from datetime import timedelta

import easypost
import pytest
from easypost.errors import (
    HttpError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UnauthorizedError,
)

from creatorflow.http_server import RunningServer
from creatorflow.sandbox.easypost import EasyPostSimulator
from tests.sandbox.easypost.conftest import shipment_params


def test_label_flow(client: easypost.EasyPostClient, ep_sim: EasyPostSimulator) -> None:
    shipment = client.shipment.create(
        **shipment_params(reference="order-1", options={"label_format": "ZPL"})
    )
    assert type(shipment).__name__ == "Shipment"
    assert {type(r).__name__ for r in shipment.rates} == {"Rate"}
    rate = shipment.lowest_rate(carriers=["USPS"], services=["GroundAdvantage"])
    bought = client.shipment.buy(shipment.id, rate=rate)
    assert type(bought.postage_label).__name__ == "PostageLabel"
    assert type(bought.tracker).__name__ == "Tracker"
    assert bought.selected_rate.id == rate.id
    assert bought.postage_label.label_zpl_url == bought.postage_label.label_url
    assert bought.postage_label.label_file_type == "application/zpl"
    again = client.shipment.retrieve(shipment.id)
    assert again.tracking_code == bought.tracking_code
    by_reference = client.shipment.retrieve("order-1")
    assert by_reference.id == shipment.id
    pdf = client.shipment.label(shipment.id, file_format="PDF")
    assert pdf.postage_label.label_pdf_url.endswith(".pdf")
    refunded = client.shipment.refund(shipment.id)
    assert refunded.refund_status == "submitted"
    ep_sim.advance(timedelta(days=1, seconds=1))
    assert client.shipment.retrieve(shipment.id).refund_status == "refunded"
    listed = client.shipment.all(page_size=5, purchased=True)
    assert [s.id for s in listed["shipments"]] == [shipment.id]
    assert listed["has_more"] is False


def test_trackers(client: easypost.EasyPostClient) -> None:
    tracker = client.tracker.create(tracking_code="EZ4000000004", carrier="USPS")
    assert type(tracker).__name__ == "Tracker"
    assert tracker.status == "delivered"
    assert client.tracker.retrieve(tracker.id).tracking_code == "EZ4000000004"
    listed = client.tracker.all(tracking_codes=["EZ4000000004"])
    assert [t.id for t in listed["trackers"]] == [tracker.id]


def test_refund_create_returns_refunds(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    refunds = client.refund.create(carrier="USPS", tracking_codes=[bought.tracking_code])
    assert [type(r).__name__ for r in refunds] == ["Refund"]
    assert refunds[0].status == "submitted"
    assert refunds[0].shipment_id == shipment.id


def test_errors_are_the_sdk_classes(client: easypost.EasyPostClient) -> None:
    with pytest.raises(InvalidRequestError) as missing:
        client.shipment.create()
    assert missing.value.code == "PARAMETER.REQUIRED"
    with pytest.raises(InvalidRequestError) as bad_address:
        client.shipment.create(**shipment_params(to_address={"street1": "x", "zip": "00000"}))
    assert bad_address.value.code == "ADDRESS.VERIFY.FAILURE"
    assert bad_address.value.message == "Address not found"
    with pytest.raises(NotFoundError):
        client.shipment.retrieve("shp_missing")
    shipment = client.shipment.create(**shipment_params())
    client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    with pytest.raises(InvalidRequestError) as twice:
        client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert twice.value.code == "SHIPMENT.POSTAGE.EXISTS"
    assert twice.value.http_status == 422


def test_bad_key(ep_server: RunningServer) -> None:
    client = easypost.EasyPostClient("EZTK_wrong", api_base=f"{ep_server.base_url}/v2")
    with pytest.raises(UnauthorizedError) as refused:
        client.shipment.all(page_size=1)
    assert refused.value.code == "APIKEY.INVALID"


@pytest.mark.parametrize(
    ("kind", "classes"),
    [
        ("5xx", (InternalServerError, ServiceUnavailableError)),
        ("429", (RateLimitError,)),
        ("drop", (HttpError,)),
    ],
)
def test_faults(
    client: easypost.EasyPostClient,
    ep_sim: EasyPostSimulator,
    kind: str,
    classes: tuple[type[Exception], ...],
) -> None:
    ep_sim.faults.fail_next(1, kind, path_prefix="/v2/shipments")
    with pytest.raises(classes):
        client.shipment.create(**shipment_params())
    assert ep_sim.stats()["shipments"] == 0
    client.shipment.create(**shipment_params())
    assert ep_sim.stats()["faults"] == {kind: 1}


def test_drop_after_carries_the_purchase_out(
    client: easypost.EasyPostClient, ep_sim: EasyPostSimulator
) -> None:
    shipment = client.shipment.create(**shipment_params(reference="r-1"))
    ep_sim.faults.fail_next(1, "drop_after", path_prefix="/v2/shipments/")
    with pytest.raises(HttpError):
        client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert client.shipment.retrieve(shipment.id).tracking_code
    assert ep_sim.stats()["purchases"] == {shipment.id: 1}


def test_slow_fault_times_the_sdk_out(ep_server: RunningServer, ep_sim: EasyPostSimulator) -> None:
    client = easypost.EasyPostClient("EZTK_test_key", api_base=f"{ep_server.base_url}/v2")
    client.timeout = 0.2  # type: ignore[assignment]
    ep_sim.faults.slow_seconds = 0.6
    ep_sim.faults.fail_next(1, "slow")
    with pytest.raises(easypost.errors.TimeoutError):
        client.shipment.create(**shipment_params())
    # A POST that timed out is not sent again (the SDK's adapter retries connections only),
    # and the simulator still carries it out once the delay is over.
    deadline = time.monotonic() + 5
    while ep_sim.stats()["shipments"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ep_sim.stats()["shipments"] == 1
    assert ep_sim.stats()["requests"] == {"POST /v2/shipments": 1}
