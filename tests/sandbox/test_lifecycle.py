"""Order lifecycle on the simulated clock, masking by status, determinism and data realism."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.sandbox.conftest import START, FakeWall, Seller


def _sim(**knobs: object) -> TikTokShopSimulator:
    return TikTokShopSimulator(seed=11, clock=SimClock(START, speed=0), **knobs)  # type: ignore[arg-type]


def test_unpaid_on_hold_awaiting_shipment_with_masking() -> None:
    sim = _sim(cancel_rate=0.0)
    ids = sim.generate_orders(5)
    first = sim.order(ids[0])
    assert first["status"] == "UNPAID"
    address = first["recipient_address"]
    assert "***" in address["name"]
    assert "*****" in address["phone_number"]
    assert address["postal_code"].endswith("**")
    assert [d["address_level"] for d in address["district_info"]] == ["L0", "L1", "L2", "L3"]
    assert "***" in address["district_info"][3]["address_name"]

    sim.advance(timedelta(minutes=11))
    held = sim.order(ids[0])
    assert held["status"] == "ON_HOLD"
    assert held["is_on_hold_order"] is True
    assert held["paid_time"] > held["create_time"]
    assert held["update_time"] == held["paid_time"]
    assert held["recipient_address"]["full_address"] == ""
    assert held["recipient_address"]["name"] == ""
    assert held["recipient_address"]["district_info"] == []

    sim.advance(timedelta(hours=1))
    ready = sim.order(ids[0])
    assert ready["status"] == "AWAITING_SHIPMENT"
    assert ready["update_time"] == held["paid_time"] + 3600
    clear = ready["recipient_address"]
    assert "*" not in clear["name"] + clear["phone_number"] + clear["full_address"]
    assert clear["district_info"][0]["address_name"] == "United States"
    assert clear["address_line1"] in clear["full_address"]
    assert all(sim.order(i)["status"] == "AWAITING_SHIPMENT" for i in ids)


def test_buyers_cancel_while_unpaid_or_on_hold() -> None:
    sim = _sim(cancel_rate=1.0)
    ids = sim.generate_orders(20)
    sim.advance(timedelta(hours=2))
    orders = [sim.order(i) for i in ids]
    assert {o["status"] for o in orders} == {"CANCELLED"}
    assert {o["cancellation_initiator"] for o in orders} == {"BUYER"}
    assert any("paid_time" in o for o in orders)  # some cancelled during the hold
    assert any("paid_time" not in o for o in orders)  # some before paying
    assert all(
        "***" in o["recipient_address"]["name"] or len(o["recipient_address"]["name"]) < 4
        for o in orders
    )
    assert all(o["update_time"] == o["cancel_time"] for o in orders)


def test_shipped_order_is_collected_then_delivered(
    sim: TikTokShopSimulator, seller: Seller
) -> None:
    ids = sim.generate_orders(30, status="AWAITING_SHIPMENT")
    order_id = next(i for i in ids if sim.order(i)["delivery_option_id"] == "7091146663229654785")
    before = sim.order(order_id)
    shipped = seller.ok(
        "POST",
        f"/fulfillment/202309/orders/{order_id}/packages",
        None,
        {
            "tracking_number": "9400111899223100012345",
            "shipping_provider_id": "7117858858072016686",
        },
    )
    assert "warning" not in shipped
    order = sim.order(order_id)
    assert order["status"] == "AWAITING_COLLECTION"
    assert order["tracking_number"] == "9400111899223100012345"
    assert order["update_time"] >= before["update_time"]
    assert {line["package_id"] for line in order["line_items"]} == {shipped["package_id"]}
    assert {line["package_status"] for line in order["line_items"]} == {"PROCESSING"}

    sim.advance(timedelta(hours=9))
    in_transit = sim.order(order_id)
    assert in_transit["status"] == "IN_TRANSIT"
    assert in_transit["update_time"] == in_transit["collection_time"]
    sim.advance(timedelta(days=4))
    delivered = sim.order(order_id)
    assert delivered["status"] == "DELIVERED"
    assert delivered["delivery_time"] > delivered["collection_time"]
    tracking = seller.ok("GET", f"/fulfillment/202309/orders/{order_id}/tracking")["tracking"]
    assert tracking[0]["description"].startswith("Delivered")
    assert tracking[0]["update_time_millis"] == delivered["delivery_time"] * 1000


def test_orders_per_hour_arrive_as_the_clock_runs() -> None:
    sim = _sim(orders_per_hour=6.0)
    sim.advance(timedelta(hours=2))
    assert sim.stats()["orders"] == 12


def test_set_order_status_bumps_update_time() -> None:
    sim = _sim()
    (order_id,) = sim.generate_orders(1, status="AWAITING_SHIPMENT")
    before = sim.order(order_id)["update_time"]
    sim.set_order_status(order_id, "IN_TRANSIT")
    after = sim.order(order_id)
    assert after["status"] == "IN_TRANSIT"
    assert after["update_time"] > before
    assert after["tracking_number"]


def test_same_seed_same_orders() -> None:
    def build() -> list[dict[str, object]]:
        sim = TikTokShopSimulator(seed=3, clock=SimClock(START, speed=0), wall=FakeWall())
        ids = sim.generate_orders(40, spread=timedelta(days=1))
        return [sim.order(i) for i in ids]

    assert build() == build()
    other = TikTokShopSimulator(seed=4, clock=SimClock(START, speed=0))
    assert other.order(other.generate_orders(1)[0]) != build()[-1]


def test_realistic_orders_add_up() -> None:
    sim = _sim()
    orders = [sim.order(i) for i in sim.generate_orders(300, status="AWAITING_SHIPMENT")]
    names = "".join(str(o["recipient_address"]["name"]) for o in orders)  # type: ignore[index]
    assert any(ord(c) > 0x3000 for c in names)  # CJK
    assert any("\u0590" <= c <= "\u06ff" for c in names)  # Hebrew or Arabic
    assert any(c in "éüñçøš" for c in names)
    shipping = {o["shipping_type"] for o in orders}
    assert shipping == {"SELLER", "TIKTOK"}
    for order in orders:
        pay = {k: Decimal(v) for k, v in order["payment"].items() if k != "currency"}  # type: ignore[attr-defined]
        lines = order["line_items"]
        assert isinstance(lines, list)
        assert pay["original_total_product_price"] == sum(
            Decimal(x["original_price"]) for x in lines
        )
        assert pay["sub_total"] == (
            pay["original_total_product_price"] - pay["seller_discount"] - pay["platform_discount"]
        )
        assert pay["shipping_fee"] == (
            pay["original_shipping_fee"]
            - pay["shipping_fee_seller_discount"]
            - pay["shipping_fee_platform_discount"]
        )
        assert pay["total_amount"] == (
            pay["sub_total"] + pay["shipping_fee"] + pay["tax"] + pay["retail_delivery_fee"]
        )
        assert len({x["id"] for x in lines}) == len(lines)
        assert "quantity" not in lines[0]
        assert order["rts_sla_time"] > order["create_time"]  # type: ignore[operator]
    assert any(
        len({x["sku_id"] for x in o["line_items"]}) < len(o["line_items"])  # type: ignore[attr-defined]
        for o in orders
    )  # multi-unit SKUs arrive as several line items
    assert sim.shops[0]["cipher"] == sim.shops[0].cipher
    assert any(x["is_gift"] for o in orders for x in o["line_items"])  # type: ignore[attr-defined]
