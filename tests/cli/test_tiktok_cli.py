"""``connect tiktok``, ``shops``, ``orders`` and ``products`` against the TikTok Shop simulator.

The simulator serves on loopback; the real command runs in-process with the simulator's
address in ``CREATORFLOW_TIKTOK_API_BASE`` / ``CREATORFLOW_TIKTOK_AUTH_BASE``, as a user
pointing CreatorFlow at a staging host would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from tests.cli.conftest import Invoke, parse_json

APP_KEY = "cli-app-key"
APP_SECRET = "cli-app-secret"

LIST_KEYS = {
    "id",
    "shop_id",
    "status",
    "stage",
    "created_at",
    "updated_at",
    "shipping_due_at",
    "total_amount",
    "currency",
    "units",
    "hold_reason",
}


@pytest.fixture
def sim() -> TikTokShopSimulator:
    return TikTokShopSimulator(seed=3, app_key=APP_KEY, app_secret=APP_SECRET, product_count=6)


@pytest.fixture
def server(sim: TikTokShopSimulator) -> Iterator[RunningServer]:
    with serve(sim.app) as running:
        yield running


@pytest.fixture
def shop_env(server: RunningServer, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    """A CreatorFlow home wired to the simulator, with a file secret store allowed."""
    monkeypatch.setenv("CREATORFLOW_TIKTOK_API_BASE", server.base_url)
    monkeypatch.setenv("CREATORFLOW_TIKTOK_AUTH_BASE", server.base_url)
    monkeypatch.setenv("CREATORFLOW_TIKTOK_AUTHORIZE_BASE", server.base_url)
    monkeypatch.setenv("CREATORFLOW_TIKTOK_APP_KEY", APP_KEY)
    monkeypatch.setenv("CREATORFLOW_TIKTOK_SERVICE_ID", "sandbox-service")
    monkeypatch.setenv("CREATORFLOW_SECRET_TIKTOK_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("CREATORFLOW_SECRETS_ALLOW_FILE", "true")
    assert cli("init").exit_code == 0


@pytest.fixture
def connected(shop_env: None, sim: TikTokShopSimulator, cli: Invoke) -> None:
    result = cli("connect", "tiktok", "--auth-code", sim.issue_auth_code())
    assert result.exit_code == 0, result.stderr


def test_connect_stores_tokens_and_lists_the_shops(
    shop_env: None, sim: TikTokShopSimulator, cli: Invoke
) -> None:
    result = cli("connect", "tiktok", "--auth-code", sim.issue_auth_code())
    assert result.exit_code == 0, result.stderr
    assert "Connected" in result.stderr
    shops = parse_json(cli("shops", "list", "--json"))
    assert [shop["id"] for shop in shops] == [shop.id for shop in sim.shops]
    assert all(shop["active"] for shop in shops)
    assert shops[0]["access_token_expires_at"]
    secrets = parse_json(cli("secrets", "list", "--json"))
    stored = {entry["name"]: entry["set"] for entry in secrets}
    assert stored["tiktok_access_token"]
    assert stored["tiktok_refresh_token"]


def test_an_auth_code_works_once(shop_env: None, sim: TikTokShopSimulator, cli: Invoke) -> None:
    code = sim.issue_auth_code()
    assert cli("connect", "tiktok", "--auth-code", code).exit_code == 0
    again = cli("connect", "tiktok", "--auth-code", code)
    assert again.exit_code == 3, again.stderr


def test_interactive_connect_checks_the_pasted_state(
    shop_env: None, sim: TikTokShopSimulator, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("creatorflow.cli.state.stdin_is_terminal", lambda: True)
    forged = f"https://localhost/callback?code={sim.issue_auth_code()}&state=forged"
    result = cli("connect", "tiktok", "--no-browser", input=forged + "\n")
    assert result.exit_code == 3
    assert "/open/authorize?" not in result.stdout  # the link is a message, not data
    assert "/open/authorize?" in result.stderr


def test_interactive_connect_with_the_pasted_redirect(
    shop_env: None,
    server: RunningServer,
    cli: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx

    monkeypatch.setattr("creatorflow.cli.state.stdin_is_terminal", lambda: True)
    monkeypatch.setattr("creatorflow.integrations.tiktok.oauth.new_state", lambda: "st4te")
    # What the seller's browser shows after "Authorize" on the sandbox's page.
    page = httpx.get(f"{server.base_url}/open/authorize?service_id=sandbox-service&state=st4te")
    redirect = page.text.split("<pre id='redirect'>")[1].split("</pre>")[0].replace("&amp;", "&")
    result = cli("connect", "tiktok", "--no-browser", input=redirect + "\n")
    assert result.exit_code == 0, result.stderr
    assert f"{server.base_url}/open/authorize?" in result.stderr
    assert "state=st4te" in result.stderr
    assert parse_json(cli("shops", "list", "--json"))


def test_sync_list_and_show_orders(connected: None, sim: TikTokShopSimulator, cli: Invoke) -> None:
    sim.generate_orders(30, spread=timedelta(hours=5))
    sim.advance(timedelta(hours=3))
    summary = parse_json(cli("orders", "sync", "--json"))
    assert summary["new"] == 30
    assert summary["quarantined"] == 0

    orders = parse_json(cli("orders", "list", "--json", "--limit", "100"))
    assert len(orders) == 30
    assert set(orders[0]) >= LIST_KEYS
    assert {order["stage"] for order in orders} <= {"new", "cancelled"}
    for order in orders:
        assert order["units"] == len(sim.order(order["id"])["line_items"])  # type: ignore[arg-type]

    ready = [order for order in orders if order["status"] == "AWAITING_SHIPMENT"]
    assert ready
    detail = parse_json(cli("orders", "show", ready[0]["id"], "--json"))
    assert {"lines", "events", "shipments"} <= set(detail)
    assert sum(line["units"] for line in detail["lines"]) == ready[0]["units"]
    assert {"sku_id", "seller_sku", "product_name", "units", "unit_price"} <= set(
        detail["lines"][0]
    )
    assert detail["address"] is not None
    assert "*" not in (detail["address"]["name"] or "")
    statuses = [event["to_value"] for event in detail["events"] if event["kind"] == "status"]
    assert statuses[-1] == ready[0]["status"]

    again = parse_json(cli("orders", "sync", "--json"))
    assert (again["new"], again["updated"]) == (0, 0)


def test_status_changes_arrive_as_events_and_filters_work(
    connected: None, sim: TikTokShopSimulator, cli: Invoke
) -> None:
    sim.generate_orders(10)
    assert parse_json(cli("orders", "sync", "--json"))["new"] == 10
    sim.advance(timedelta(hours=2))
    summary = parse_json(cli("orders", "sync", "--json"))
    assert summary["updated"] >= 1
    assert summary["status_changes"] >= 1
    moved = parse_json(cli("orders", "list", "--status", "awaiting_shipment", "--json"))
    assert moved
    detail = parse_json(cli("orders", "show", moved[0]["id"], "--json"))
    statuses = [event["to_value"] for event in detail["events"] if event["kind"] == "status"]
    assert statuses[-1] == "AWAITING_SHIPMENT"
    assert len(statuses) >= 2


def test_revoked_authorization_stops_sync_with_exit_code_3(
    connected: None, sim: TikTokShopSimulator, cli: Invoke
) -> None:
    sim.revoke_authorization()
    sim.expire_access_tokens()
    result = cli("orders", "sync")
    assert result.exit_code == 3, result.stderr
    assert "connect tiktok" in result.stderr


def test_products_sync_and_list(connected: None, sim: TikTokShopSimulator, cli: Invoke) -> None:
    summary = parse_json(cli("products", "sync", "--json"))
    assert summary["products"] == 6
    skus = parse_json(cli("products", "list", "--json"))
    assert skus
    assert {"sku_id", "seller_sku", "price", "stock", "title"} <= set(skus[0])
    assert all(sku["price"] is None or float(sku["price"]) > 0 for sku in skus)


def test_show_an_unknown_order_is_a_clear_error(connected: None, cli: Invoke) -> None:
    result = cli("orders", "show", "123")
    assert result.exit_code == 1
    assert "not in the local store" in result.stderr


def test_list_rejects_an_unknown_stage(connected: None, cli: Invoke) -> None:
    result = cli("orders", "list", "--stage", "teleported")
    assert result.exit_code == 2
    assert "Stages:" in result.stderr
