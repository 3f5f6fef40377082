"""Plans, `POST /v1/checkout`, `POST /v1/portal`, and the service without Stripe."""

from __future__ import annotations

from pathlib import Path

from tests.billing_service.conftest import Harness, make_harness


def test_plans_need_no_auth_and_carry_the_stripe_price(harness: Harness) -> None:
    response = harness.client.get("/v1/plans")
    assert response.status_code == 200
    assert response.json() == {
        "plans": [
            {
                "name": "starter",
                "order_limit": 300,
                "price_lookup_key": "starter_monthly",
                "amount": 1900,
                "currency": "usd",
                "interval": "month",
            },
            {
                "name": "growth",
                "order_limit": 2000,
                "price_lookup_key": "growth_monthly",
                "amount": 4900,
                "currency": "usd",
                "interval": "month",
            },
        ]
    }
    lookups = harness.stripe.price_lookups
    harness.client.get("/v1/plans")
    assert harness.stripe.price_lookups == lookups  # cached in the plans table


def test_plans_list_survives_a_stripe_outage(harness: Harness) -> None:
    harness.stripe.down = True
    plans = harness.client.get("/v1/plans").json()["plans"]
    assert [p["amount"] for p in plans] == [None, None]


def test_checkout_creates_a_subscription_session_for_the_account(harness: Harness) -> None:
    login = harness.login(email="buyer@example.com")
    response = harness.client.post("/v1/checkout", headers=login.headers, json={"plan": "growth"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "url": "https://checkout.test/c/cs_test_1",
        "session_id": "cs_test_1",
    }
    (call,) = harness.stripe.checkouts
    assert call["price_id"] == "price_growth"
    assert call["account_id"] == login.account_id
    assert call["plan"] == "growth"
    assert call["customer_id"] is None
    assert call["customer_email"] == "buyer@example.com"
    assert call["success_url"] == (
        "https://billing.test/checkout/done?session_id={CHECKOUT_SESSION_ID}"
    )
    assert call["cancel_url"] == "https://billing.test/checkout/cancel"
    assert call["idempotency_key"].startswith(f"checkout:{login.account_id}:")


def test_checkout_refusals(harness: Harness) -> None:
    login = harness.login()
    unknown = harness.client.post("/v1/checkout", headers=login.headers, json={"plan": "mega"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_plan")
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    harness.webhook("evt_1", "customer.subscription.created", {"id": "sub_1"})
    again = harness.client.post("/v1/checkout", headers=login.headers, json={"plan": "starter"})
    assert (again.status_code, again.json()["error"]) == (409, "already_subscribed")


def test_checkout_when_stripe_fails_is_502(harness: Harness) -> None:
    login = harness.login()
    harness.client.get("/v1/plans")  # price cached
    harness.stripe.down = True
    response = harness.client.post("/v1/checkout", headers=login.headers, json={"plan": "growth"})
    assert (response.status_code, response.json()["error"]) == (502, "stripe_error")


def test_portal_needs_a_customer(harness: Harness) -> None:
    login = harness.login()
    before = harness.client.post("/v1/portal", headers=login.headers, json={})
    assert (before.status_code, before.json()["error"]) == (409, "no_customer")
    harness.stripe.put_subscription("sub_1", account_id=login.account_id, customer="cus_7")
    harness.webhook("evt_1", "checkout.session.completed", {"id": "cs_1", "subscription": "sub_1"})
    after = harness.client.post("/v1/portal", headers=login.headers)  # no body: fine too
    assert after.status_code == 200
    assert after.json() == {"url": "https://portal.test/p/bps_1"}
    (call,) = harness.stripe.portals
    assert call["customer_id"] == "cus_7"
    assert call["return_url"] == "https://billing.test/portal/done"
    # A later checkout reuses the customer instead of making a second one.
    harness.stripe.set_status("sub_1", "canceled")
    harness.webhook("evt_2", "customer.subscription.deleted", {"id": "sub_1"}, created=10**10)
    harness.client.post("/v1/checkout", headers=login.headers, json={"plan": "growth"})
    assert harness.stripe.checkouts[-1]["customer_id"] == "cus_7"


def test_return_pages(harness: Harness) -> None:
    for path in ["/checkout/done?session_id=cs_1", "/checkout/cancel", "/portal/done"]:
        response = harness.client.get(path)
        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]


def test_without_stripe_the_stripe_endpoints_are_503(tmp_path: Path) -> None:
    h = make_harness(tmp_path, with_gateway=False)
    try:
        login = h.login()
        checkout = h.client.post("/v1/checkout", headers=login.headers, json={"plan": "growth"})
        assert (checkout.status_code, checkout.json()["error"]) == (503, "stripe_not_configured")
        plans = h.client.get("/v1/plans").json()["plans"]
        assert [p["name"] for p in plans] == ["starter", "growth"]
        assert h.client.get("/v1/entitlement", headers=login.headers).status_code == 200
    finally:
        h.close()


def test_errors_have_the_contract_shape(harness: Harness) -> None:
    for response in [
        harness.client.get("/nowhere"),
        harness.client.put("/v1/plans"),
        harness.client.post(
            "/v1/device/code", content=b"{not json", headers={"content-type": "application/json"}
        ),
        harness.client.post("/v1/device/token", json={"device_code": ""}),
    ]:
        assert 400 <= response.status_code < 500
        body = response.json()
        assert set(body) == {"error", "message"}, body
