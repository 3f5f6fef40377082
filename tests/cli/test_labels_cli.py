"""The label commands against the simulators: connect, parcels, approve, buy, list, rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from creatorflow.http_server import serve
from creatorflow.sandbox.shippo import ShippoSimulator
from creatorflow.sandbox.shippo.limits import LIVE_LIMITS
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.demo import SHIP_FROM
from tests.cli.conftest import Invoke, parse_json

SHIPPO_KEY = "shippo_live_cli"


@pytest.fixture
def tiktok() -> TikTokShopSimulator:
    sim = TikTokShopSimulator(seed=8, product_count=3)
    sim.generate_orders(6, spread=timedelta(hours=6), status="AWAITING_SHIPMENT")
    return sim


@pytest.fixture
def shop(
    tiktok: TikTokShopSimulator, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ShippoSimulator]:
    """An install connected to the TikTok simulator and Shippo, products and orders synced."""
    shippo = ShippoSimulator(
        1, api_key=SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    with serve(tiktok.app) as t, serve(shippo.app) as s:
        for name, value in {
            "CREATORFLOW_TIKTOK_API_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
            "CREATORFLOW_SECRET_TIKTOK_APP_SECRET": tiktok.app_secret,
            "CREATORFLOW_SHIPPO_API_BASE": s.base_url,
            "CREATORFLOW_SECRETS_ALLOW_FILE": "true",
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }.items():
            monkeypatch.setenv(name, value)
        assert cli("init").exit_code == 0
        assert cli("connect", "tiktok", "--auth-code", tiktok.issue_auth_code()).exit_code == 0
        connected = cli("connect", "shippo", "--stdin", input=SHIPPO_KEY + "\n")
        assert connected.exit_code == 0, connected.stderr
        assert cli("products", "sync").exit_code == 0
        assert cli("orders", "sync").exit_code == 0
        yield shippo


def _skus(cli: Invoke) -> list[dict[str, object]]:
    skus: list[dict[str, object]] = parse_json(cli("products", "list", "--json"))
    return skus


def test_a_bad_provider_key_is_refused_and_not_stored(shop: ShippoSimulator, cli: Invoke) -> None:
    result = cli("connect", "shippo", "--stdin", input="shippo_live_wrong\n")
    assert result.exit_code == 3
    secrets = {s["name"]: s for s in parse_json(cli("secrets", "list", "--json"))}
    assert secrets["shippo_api_key"]["set"]  # the good key from before is still there


def test_missing_weights_are_refused_with_exit_5_and_held(
    shop: ShippoSimulator, cli: Invoke
) -> None:
    result = cli("orders", "approve", "--all-ready", "--json")
    assert result.exit_code == 5
    report = parse_json(result, exit_code=5)
    assert report["approved"] == 0
    assert report["refusal_counts"] == {"missing_weight": report["refused"]}
    held = parse_json(cli("orders", "list", "--stage", "held", "--json"))
    assert held
    assert "weight" in held[0]["hold_reason"]


def test_parcels_then_approve_buy_and_list(
    shop: ShippoSimulator, cli: Invoke, tiktok: TikTokShopSimulator
) -> None:
    added = cli("presets", "add", "mailer", "--weight", "2oz", "--dims", "10x8x3in", "--json")
    assert parse_json(added)["dimensions"] == "10x8x3in"
    assert [p["name"] for p in parse_json(cli("presets", "list", "--json"))] == ["mailer"]
    for sku in _skus(cli):
        done = cli(
            "products", "set-parcel", str(sku["sku_id"]), "--weight", "7oz", "--dims", "6x4x2in",
            "--preset", "mailer", "--json",
        )  # fmt: skip
        assert parse_json(done)["weight"] == "7oz"
    dry = parse_json(cli("orders", "approve", "--all-ready", "--dry-run", "--json"))
    assert dry["approved"] == 6
    assert parse_json(cli("orders", "list", "--stage", "approved", "--json")) == []
    approved = parse_json(cli("orders", "approve", "--all-ready", "--json"))
    assert approved["approved"] == 6
    bought = parse_json(cli("labels", "buy", "--json"))
    assert bought["labels"]["bought"] == 6
    labels = parse_json(cli("labels", "list", "--json"))
    assert len(labels) == 6
    assert {label["state"] for label in labels} == {"purchased"}
    assert all(label["tracking_number"] for label in labels)
    assert shop.stats()["duplicate_purchases"] == 0
    order = parse_json(cli("orders", "show", labels[0]["order_id"], "--json"))
    assert order["stage"] in {"shipped", "labelled"}
    assert {"provider", "carrier", "service", "tracking_number", "cost", "state"} <= set(
        order["shipments"][0]
    )
    again = parse_json(cli("labels", "buy", "--json"))
    assert again["labels"]["bought"] == 0


def test_rules_list_and_test_explain_the_choice(shop: ShippoSimulator, cli: Invoke) -> None:
    rules = {r["rule"]: r for r in parse_json(cli("rules", "list", "--json"))}
    assert rules["providers"]["value"] == "shippo"
    assert rules["usps_via_tiktok"]["value"] == "on"
    for sku in _skus(cli):
        cli("products", "set-parcel", str(sku["sku_id"]), "--weight", "9oz", "--dims", "6x4x2in")
    order_id = parse_json(cli("orders", "list", "--status", "AWAITING_SHIPMENT", "--json"))[0]["id"]
    report = parse_json(cli("rules", "test", order_id, "--json"))
    assert report["allowed"] is True
    assert report["choice"]["carrier"] != "USPS"  # US TikTok orders: USPS only via TikTok
    assert any("USPS" in line for line in report["explanation"])
    assert report["parcel"]["weight_oz"]


def test_hold_and_release(shop: ShippoSimulator, cli: Invoke) -> None:
    order_id = parse_json(cli("orders", "list", "--json"))[0]["id"]
    assert cli("orders", "hold", order_id, "--reason", "gift wrap first").exit_code == 0
    held = parse_json(cli("orders", "show", order_id, "--json"))
    assert (held["stage"], held["hold_reason"]) == ("held", "gift wrap first")
    refused = cli("orders", "approve", order_id)
    assert refused.exit_code == 5
    assert cli("orders", "release", order_id).exit_code == 0
    assert parse_json(cli("orders", "show", order_id, "--json"))["stage"] == "new"


def test_demo_json_has_the_promised_keys(cli: Invoke, tmp_path: object) -> None:
    result = cli("demo", "--orders", "8", "--json")
    summary = parse_json(result)
    assert {
        "orders",
        "approved",
        "held",
        "labelled",
        "shipped",
        "duplicate_purchases",
        "label_spend",
        "label_pdf",
        "voided",
        "refunded",
        "delivered",
        "late",
    } <= set(summary)
    assert summary["duplicate_purchases"] == 0
    assert summary["labelled"] == summary["approved"] > 0
    assert summary["label_pdf"].endswith(".pdf")
    assert summary["voided"] == summary["refunded"] == 2
    assert summary["delivered"] > 0
    # Signed in, paid for the growth plan, and the service counted every labelled order.
    assert (summary["billing_plan"], summary["billing_status"]) == ("growth", "active")
    assert summary["billing_limit"] == 1000
    assert summary["billing_used"] == summary["labelled"]
    # Signed out at the end: the home left behind has no plan it can no longer check.
    status = cli("billing", "status", "--offline")
    assert status.exit_code != 0
    assert "not signed in" in status.stderr


def test_the_demo_subscribes_to_a_plan_its_orders_fit_in() -> None:
    from creatorflow.services.demo import _plan_for

    assert _plan_for(30) == _plan_for(900) == "growth"
    assert _plan_for(2000) == "scale"  # no order held for the plan limit


def test_demo_prints_a_billing_line(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    from creatorflow.services import demo

    def fake(**_kwargs: object) -> demo.DemoSummary:
        return demo.DemoSummary(
            home="/tmp/demo",
            labelled=27,
            billing_plan="growth",
            billing_status="active",
            billing_used=27,
            billing_limit=1000,
        )

    monkeypatch.setattr(demo, "run_demo", fake)
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    assert "Billing:              growth plan (active), 27 of 1,000 orders used" in result.stdout


def test_print_labels_slips_and_pick_list_to_a_folder(
    shop: ShippoSimulator, cli: Invoke, tmp_path: Path
) -> None:
    import pypdf

    for sku in _skus(cli):
        cli("products", "set-parcel", str(sku["sku_id"]), "--weight", "7oz", "--dims", "6x4x2in")
    cli("orders", "approve", "--all-ready")
    assert cli("labels", "buy").exit_code == 0
    folder = tmp_path / "printed"
    printed = parse_json(cli("labels", "print", "--printer", f"folder:{folder}", "--json"))
    assert len(printed["orders"]) == 6
    reader = pypdf.PdfReader(printed["where"])
    assert len(reader.pages) == 6
    assert [float(x) for x in reader.pages[0].mediabox[2:]] == [288.0, 432.0]
    purchases = shop.stats()["purchases"]
    again = parse_json(cli("labels", "print", "--printer", f"folder:{folder}", "--json"))
    assert again["where"] != printed["where"]  # a reprint is a new file, never a new label
    assert shop.stats()["purchases"] == purchases
    slips = parse_json(cli("documents", "packing-slips", "--printer", f"folder:{folder}", "--json"))
    assert len(pypdf.PdfReader(slips["where"]).pages) >= 6
    picks = parse_json(cli("documents", "pick-list", "--printer", f"folder:{folder}", "--json"))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(picks["where"]).pages)
    orders = parse_json(cli("orders", "list", "--json"))
    units = sum(order["units"] for order in orders if order["id"] in printed["orders"])
    assert f"Total: {units} units" in text
    unprinted = cli("labels", "print", "--batch", "unprinted", "--printer", f"folder:{folder}")
    assert unprinted.exit_code == 1  # everything was printed already


def test_tracking_sync_and_the_late_flag(shop: ShippoSimulator, cli: Invoke) -> None:
    for sku in _skus(cli):
        cli("products", "set-parcel", str(sku["sku_id"]), "--weight", "7oz", "--dims", "6x4x2in")
    cli("orders", "approve", "--all-ready")
    cli("labels", "buy")
    report = parse_json(cli("tracking", "sync", "--json"))
    assert report["checked"] == 6
    late = parse_json(cli("orders", "list", "--stage", "late", "--json"))
    assert all(order["dispatch_state"] in {"at_risk", "overdue", "late"} for order in late)


def test_a_sku_override_decides_the_service(
    shop: ShippoSimulator, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    skus = _skus(cli)
    for sku in skus:
        cli("products", "set-parcel", str(sku["sku_id"]), "--weight", "9oz", "--dims", "6x4x2in")
    overrides = ",".join(f"{sku['seller_sku']}=shippo:fedex_2_day" for sku in skus)
    monkeypatch.setenv("CREATORFLOW_RULES_SKU_OVERRIDES", overrides)
    rules = {r["rule"]: r for r in parse_json(cli("rules", "list", "--json"))}
    assert "fedex_2_day" in rules["sku_overrides"]["value"]
    order_id = parse_json(cli("orders", "list", "--status", "AWAITING_SHIPMENT", "--json"))[0]["id"]
    report = parse_json(cli("rules", "test", order_id, "--json"))
    assert report["choice"]["service_token"] == "fedex_2_day"
    monkeypatch.setenv("CREATORFLOW_RULES_SKU_OVERRIDES", "no-equals-sign")
    assert cli("rules", "list").exit_code == 2
