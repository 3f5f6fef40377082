"""Every answer has the keys and id prefixes of EasyPost's recorded answers (not the values)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from creatorflow.sandbox.easypost import EasyPostSimulator
from tests.sandbox.easypost.conftest import cassette, shipment_params


def keys(obj: Any) -> set[str]:
    assert isinstance(obj, dict), obj
    return set(obj)


def prefix(obj: dict[str, Any]) -> str:
    return str(obj["id"]).split("_", 1)[0]


def same_shape(ours: dict[str, Any], recorded: dict[str, Any], where: str) -> None:
    """Same keys, same id prefix, and the same for nested objects (first list element)."""
    assert keys(ours) == keys(recorded), (
        where,
        keys(ours) ^ keys(recorded),
    )
    if recorded.get("id"):
        assert prefix(ours) == prefix(recorded), where
    for key, value in recorded.items():
        if isinstance(value, dict) and isinstance(ours.get(key), dict):
            if key in ("options", "verifications", "customs_info"):
                continue  # the echo of what was sent / verification results / not modelled
            same_shape(ours[key], value, f"{where}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            mine = ours.get(key)
            assert isinstance(mine, list), f"{where}.{key} is not a list"
            assert mine, f"{where}.{key} is empty"
            same_shape(mine[0], value[0], f"{where}.{key}[0]")


def create(raw: httpx.Client, **extra: Any) -> dict[str, Any]:
    response = raw.post("/shipments", json={"shipment": shipment_params(**extra)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bought(raw: httpx.Client, **extra: Any) -> dict[str, Any]:
    shipment = create(raw, **extra)
    rate = min(shipment["rates"], key=lambda r: float(r["rate"]))
    response = raw.post(f"/shipments/{shipment['id']}/buy", json={"rate": {"id": rate["id"]}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_created_shipment(raw: httpx.Client) -> None:
    recorded = cassette("ep_buy")[0]
    assert recorded["response"]["status"] == 201
    ours = create(raw, reference="123", options={"label_format": "PNG"})
    same_shape(ours, recorded["response"]["body"], "shipment")
    for key in ("postage_label", "selected_rate", "tracker", "tracking_code", "refund_status"):
        assert ours[key] is None is recorded["response"]["body"][key]
    assert all(isinstance(r["rate"], str) for r in ours["rates"])
    assert ours["reference"] == "123"


def test_bought_shipment(raw: httpx.Client) -> None:
    recorded = cassette("l")[1]["response"]["body"]
    ours = bought(raw, reference="123", options={"label_format": "PNG"})
    same_shape(ours, recorded, "shipment")
    assert ours["postage_label"]["label_file_type"] == recorded["postage_label"]["label_file_type"]
    assert ours["tracker"]["tracking_code"] == ours["tracking_code"]
    assert ours["selected_rate"]["id"] in {r["id"] for r in ours["rates"]}
    assert [f["type"] for f in ours["fees"]] == [f["type"] for f in recorded["fees"]]


def test_bought_shipment_buy_request_matches_recording(raw: httpx.Client) -> None:
    request = cassette("ep_buy")[1]["request"]
    assert set(request["body"]) == {"rate"}
    assert set(request["body"]["rate"]) == {"id"}
    assert request["method"] == "POST"
    assert request["uri"].endswith("/buy")


def test_retrieved_shipment(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    recorded = cassette("test_refund_create")[1]["response"]["body"]
    shipment = bought(raw)
    ep_sim.advance(timedelta(minutes=10))  # the recording was made once details existed
    ours = raw.get(f"/shipments/{shipment['id']}").json()
    same_shape(ours, recorded, "shipment")


def test_refunded_shipment(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    recorded = cassette("test_shipment_refund")[1]
    assert recorded["request"]["body"] == {}
    shipment = bought(raw)
    ep_sim.advance(timedelta(minutes=10))
    response = raw.post(f"/shipments/{shipment['id']}/refund", json={})
    assert response.status_code == recorded["response"]["status"]
    ours = response.json()
    same_shape(ours, recorded["response"]["body"], "shipment")
    assert ours["refund_status"] == recorded["response"]["body"]["refund_status"] == "submitted"


def test_converted_label(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    recorded = cassette("l")[2]
    assert recorded["request"]["uri"].endswith("/label?file_format=ZPL")
    shipment = bought(raw, options={"label_format": "PNG"})
    ep_sim.advance(timedelta(minutes=10))
    response = raw.get(f"/shipments/{shipment['id']}/label", params={"file_format": "ZPL"})
    ours = response.json()
    same_shape(ours, recorded["response"]["body"], "shipment")
    assert ours["postage_label"]["label_zpl_url"].endswith(".zpl")
    assert ours["postage_label"]["label_url"].endswith(".png")


def test_tracker(raw: httpx.Client) -> None:
    recorded = cassette("test_tracker_create")[0]
    response = raw.post("/trackers", json=recorded["request"]["body"])
    assert response.status_code == recorded["response"]["status"] == 200
    ours = response.json()
    same_shape(ours, recorded["response"]["body"], "tracker")
    assert ours["status"] == recorded["response"]["body"]["status"] == "pre_transit"


def test_tracker_of_a_shipment_has_the_standalone_shape(
    raw: httpx.Client, ep_sim: EasyPostSimulator
) -> None:
    recorded = cassette("test_tracker_create")[0]["response"]["body"]
    shipment = bought(raw)
    ep_sim.advance(timedelta(hours=7))
    ours = raw.get(f"/trackers/{shipment['tracker']['id']}").json()
    same_shape(ours, recorded, "tracker")


def test_refunds_endpoint(raw: httpx.Client) -> None:
    recorded = cassette("test_refund_create")[2]
    shipment = bought(raw)
    body = {"refund": {"carrier": "USPS", "tracking_codes": [shipment["tracking_code"]]}}
    response = raw.post("/refunds", json=body)
    assert response.status_code == recorded["response"]["status"] == 201
    ours = response.json()
    assert isinstance(ours, list)
    assert len(ours) == 1
    same_shape(ours[0], recorded["response"]["body"][0], "refund")


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("e", lambda http: http.post("/shipments", json={"shipment": {}})),
        ("e2", lambda http: http.get("/shipments/shp_0000")),
    ],
)
def test_error_shapes(raw: httpx.Client, name: str, call: Any) -> None:
    recorded = cassette(name)[0]["response"]
    response = call(raw)
    assert response.status_code == recorded["status"]
    ours = response.json()
    assert keys(ours) == keys(recorded["body"]) == {"error"}
    assert keys(ours["error"]) == keys(recorded["body"]["error"])
    assert ours["error"]["code"] == recorded["body"]["error"]["code"]
    assert ours["error"]["message"] == recorded["body"]["error"]["message"]
    if name == "e":
        assert ours == recorded["body"]
