"""Tracking, refunds, duplicate purchases, rate limits, label files and determinism."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest

from creatorflow.http_server import serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import EasyPostSimulator
from tests.sandbox.easypost.conftest import KEY, START, shipment_params


class Wall:
    """A movable wall clock for the rate limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def create(raw: httpx.Client, **extra: Any) -> dict[str, Any]:
    response = raw.post("/shipments", json={"shipment": shipment_params(**extra)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def buy(raw: httpx.Client, shipment: dict[str, Any], carrier: str = "USPS") -> dict[str, Any]:
    rate = next(r for r in shipment["rates"] if r["carrier"] == carrier)
    response = raw.post(f"/shipments/{shipment['id']}/buy", json={"rate": {"id": rate["id"]}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_tracking_moves_with_the_clock(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    shipment = buy(raw, create(raw))
    days = shipment["selected_rate"]["delivery_days"]
    seen = [shipment["tracker"]["status"]]
    for hours in (1, 6, 12, 24 * days - 3, 24 * days):
        ep_sim.advance(timedelta(hours=hours) - (ep_sim.now() - START))
        seen.append(raw.get(f"/shipments/{shipment['id']}").json()["tracker"]["status"])
    assert seen == [
        "unknown",
        "pre_transit",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    tracker = raw.get(f"/trackers/{shipment['tracker']['id']}").json()
    statuses = [d["status"] for d in tracker["tracking_details"]]
    assert statuses[0] == "pre_transit"
    assert statuses[-1] == "delivered"
    assert tracker["finalized"] is True


def test_refund_before_the_scan_lands_and_stops_the_parcel(
    raw: httpx.Client, ep_sim: EasyPostSimulator
) -> None:
    shipment = buy(raw, create(raw))
    ep_sim.advance(timedelta(hours=1))
    assert raw.post(f"/shipments/{shipment['id']}/refund", json={}).json()["refund_status"] == (
        "submitted"
    )
    again = raw.post(f"/shipments/{shipment['id']}/refund", json={}).json()
    assert again["refund_status"] == "submitted"
    ep_sim.advance(timedelta(days=5))
    later = raw.get(f"/shipments/{shipment['id']}").json()
    assert later["refund_status"] == "refunded"
    assert later["tracker"]["status"] == "pre_transit"
    assert later["fees"][1]["refunded"] is True
    assert ep_sim.stats()["refunds"] == {
        "requested": {"submitted": 1},
        "by_status": {"refunded": 1},
    }


def test_refund_after_the_scan_is_rejected(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    shipment = buy(raw, create(raw))
    ep_sim.advance(timedelta(hours=7))
    refused = raw.post(f"/shipments/{shipment['id']}/refund", json={}).json()
    assert refused["refund_status"] == "rejected"


def test_bill_on_scan_carriers_answer_not_applicable() -> None:
    sim = EasyPostSimulator(api_key=KEY, clock=SimClock(START, speed=0), bill_on_scan={"UPS"})
    with (
        serve(sim.app) as server,
        httpx.Client(
            base_url=f"{server.base_url}/v2", headers={"Authorization": f"Bearer {KEY}"}
        ) as http,
    ):
        shipment = buy(http, create(http), carrier="UPS")
        answer = http.post(f"/shipments/{shipment['id']}/refund", json={}).json()
    assert answer["refund_status"] == "not_applicable"


def test_refund_needs_a_label(raw: httpx.Client) -> None:
    shipment = create(raw)
    response = raw.post(f"/shipments/{shipment['id']}/refund", json={})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "SHIPMENT.POSTAGE.REQUIRED"


def test_duplicate_purchases_count_labels_per_reference(
    raw: httpx.Client, ep_sim: EasyPostSimulator
) -> None:
    first = create(raw, reference="label:s:o:p:1")
    buy(raw, first)
    rebuy = raw.post(
        f"/shipments/{first['id']}/buy", json={"rate": {"id": first["rates"][0]["id"]}}
    )
    assert rebuy.status_code == 422
    assert ep_sim.stats()["duplicate_purchases"] == 0
    assert ep_sim.stats()["rejected_rebuys"] == 1
    second = create(raw, reference="label:s:o:p:1")
    buy(raw, second)
    buy(raw, create(raw, reference="label:s:o:p:2"))
    stats = ep_sim.stats()
    assert stats["duplicate_purchases"] == 1
    assert stats["purchases_by_reference"] == {"label:s:o:p:1": 2, "label:s:o:p:2": 1}
    assert stats["labels_bought"] == 3
    assert httpx.get(f"{raw.base_url.copy_with(path='/sandbox/stats')}").json() == stats


def test_buy_errors(raw: httpx.Client) -> None:
    shipment = create(raw)
    missing = raw.post(f"/shipments/{shipment['id']}/buy", json={})
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "PARAMETER.REQUIRED"
    foreign = raw.post(f"/shipments/{shipment['id']}/buy", json={"rate": {"id": "rate_nope"}})
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "SHIPMENT.POSTAGE.FAILURE"


def test_invalid_parcel_and_too_heavy(raw: httpx.Client) -> None:
    response = raw.post("/shipments", json={"shipment": shipment_params(parcel={"weight": 0})})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PARAMETER.INVALID"
    heavy = create(raw, parcel={"weight": 16 * 100})
    assert {r["carrier"] for r in heavy["rates"]} == {"UPS", "FedEx"}
    assert heavy["messages"][0]["type"] == "rate_error"


def test_auth_accepts_basic_and_bearer_only_with_the_key(ep_server: Any) -> None:
    base = f"{ep_server.base_url}/v2/shipments"
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    assert httpx.get(base, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    missing = httpx.get(base)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "APIKEY.REQUIRED"
    wrong = httpx.get(base, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_rate_limits_answer_429_with_retry_after() -> None:
    wall = Wall()
    sim = EasyPostSimulator(api_key=KEY, rate_limit=2, index_rate_limit=None, wall=wall)
    with (
        serve(sim.app) as server,
        httpx.Client(
            base_url=f"{server.base_url}/v2", headers={"Authorization": f"Bearer {KEY}"}
        ) as http,
    ):
        codes = [http.get("/shipments/shp_x").status_code for _ in range(3)]
        assert codes == [404, 404, 429]
        limited = http.get("/shipments/shp_x")
        assert limited.headers["Retry-After"] == "1"
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        wall.now += 1.0
        assert http.get("/shipments/shp_x").status_code == 404
    assert sim.stats()["rate_limited"] == 2


def test_index_endpoints_are_limited_to_five_per_second() -> None:
    sim = EasyPostSimulator(api_key=KEY, wall=Wall())
    with (
        serve(sim.app) as server,
        httpx.Client(
            base_url=f"{server.base_url}/v2", headers={"Authorization": f"Bearer {KEY}"}
        ) as http,
    ):
        codes = [http.get("/shipments").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_injected_429_carries_retry_after(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    ep_sim.faults.retry_after = 3
    ep_sim.faults.fail_next(1, "429")
    response = raw.get("/shipments")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_5xx_after_carries_the_purchase_out(raw: httpx.Client, ep_sim: EasyPostSimulator) -> None:
    shipment = create(raw)
    ep_sim.faults.fail_next(1, "5xx_after", path_prefix=f"/v2/shipments/{shipment['id']}/buy")
    rate = shipment["rates"][0]["id"]
    response = raw.post(f"/shipments/{shipment['id']}/buy", json={"rate": {"id": rate}})
    assert response.status_code in (502, 504)
    assert ep_sim.stats()["labels_bought"] == 1


def test_unknown_fault_kind_is_refused(ep_sim: EasyPostSimulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        ep_sim.faults.fail_next(1, "explode")


def test_label_files(raw: httpx.Client) -> None:
    shipment = buy(raw, create(raw, options={"label_format": "PDF", "label_size": "4x6"}))
    pdf = httpx.get(shipment["postage_label"]["label_url"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 288 432]" in pdf.content
    assert pdf.content.rstrip().endswith(b"%%EOF")
    zpl_url = shipment["postage_label"]["label_url"].replace(".pdf", ".zpl")
    assert httpx.get(zpl_url).status_code == 404  # not converted yet
    converted = raw.get(f"/shipments/{shipment['id']}/label", params={"file_format": "ZPL"})
    zpl = httpx.get(converted.json()["postage_label"]["label_zpl_url"])
    assert zpl.content.startswith(b"^XA")
    assert shipment["tracking_code"].encode() in zpl.content
    png = buy(raw, create(raw))["postage_label"]["label_url"]
    assert httpx.get(png).content.startswith(b"\x89PNG")


def test_latency_is_awaited() -> None:
    sim = EasyPostSimulator(api_key=KEY, latency=0.2)
    with serve(sim.app) as server:
        response = httpx.get(
            f"{server.base_url}/v2/shipments", headers={"Authorization": f"Bearer {KEY}"}
        )
    assert response.status_code == 200
    assert response.elapsed >= timedelta(seconds=0.2)


def test_same_seed_same_answers() -> None:
    def run() -> list[str]:
        sim = EasyPostSimulator(seed=9, api_key=KEY, clock=SimClock(START, speed=0))
        with (
            serve(sim.app) as server,
            httpx.Client(
                base_url=f"{server.base_url}/v2", headers={"Authorization": f"Bearer {KEY}"}
            ) as http,
        ):
            shipment = buy(http, create(http))
        return [shipment["id"], shipment["tracking_code"], shipment["selected_rate"]["rate"]]

    assert run() == run()


def test_list_pages_newest_first(raw: httpx.Client) -> None:
    ids = [create(raw)["id"] for _ in range(3)]
    first = raw.get("/shipments", params={"page_size": 2}).json()
    assert [s["id"] for s in first["shipments"]] == ids[::-1][:2]
    assert first["has_more"] is True
    rest = raw.get("/shipments", params={"page_size": 2, "before_id": ids[1]}).json()
    assert [s["id"] for s in rest["shipments"]] == [ids[0]]
    assert rest["has_more"] is False


def test_unknown_route_has_the_error_shape(raw: httpx.Client) -> None:
    response = raw.get("/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
