"""`POST /stripe/webhook`: signatures, dedup, order, re-fetch (docs/billing-api.md)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from tests.billing_service.conftest import (
    DAY,
    START,
    WEBHOOK_SECRET,
    Harness,
    event_body,
    make_harness,
    sign_webhook,
)


def _sub_event_obj(sub_id: str) -> dict[str, object]:
    # Deliberately stale contents: the service must re-fetch, not trust the payload.
    return {"id": sub_id, "object": "subscription", "status": "incomplete"}


def _post(h: Harness, body: str, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return h.client.post("/stripe/webhook", content=body, headers=headers)


def test_valid_signature_stores_the_refetched_subscription(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    response = harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    assert response.status_code == 200
    assert response.json() == {"received": True, "handled": True, "duplicate": False}
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert (sub.status, sub.plan, sub.subscription_id) == ("active", "growth", "sub_1")
    assert (sub.period_start, sub.period_end) == (START, START + 30 * DAY)
    assert sub.stripe_customer_id == "cus_test_1"


def test_bad_signatures_get_400_and_change_nothing(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    body = event_body("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    now = int(time.time())
    tampered = body.replace("incomplete", "active")
    cases = {
        "tampered": (tampered, sign_webhook(body)),
        "stale": (body, sign_webhook(body, timestamp=now - 301)),
        "wrong secret": (body, sign_webhook(body, secret="whsec_someone_else")),
        "missing": (body, None),
        "garbage header": (body, "t=abc,v1=zz"),
        "v0 only": (body, sign_webhook(body).replace("v1=", "v0=")),
    }
    for name, (payload, signature) in cases.items():
        response = _post(harness, payload, signature)
        assert response.status_code == 400, name
        assert response.json()["error"] == "invalid_signature", name
    assert harness.store.subscription(login.account_id) is None
    assert not harness.store.seen_event("evt_1")
    # The genuine delivery still works afterwards: nothing was remembered.
    assert _post(harness, body, sign_webhook(body)).json()["handled"]


def test_signature_within_tolerance_is_accepted(harness: Harness) -> None:
    body = event_body("evt_x", "customer.created", {"id": "cus_1", "object": "customer"})
    response = _post(harness, body, sign_webhook(body, timestamp=int(time.time()) - 250))
    assert response.status_code == 200


def test_rolled_secret_header_with_two_signatures_is_accepted(harness: Harness) -> None:
    body = event_body("evt_x", "customer.created", {"id": "cus_1"})
    t = int(time.time())
    old = sign_webhook(body, secret="whsec_old", timestamp=t).split(",")[1]
    header = f"{sign_webhook(body, timestamp=t)},{old}"
    assert _post(harness, body, header).status_code == 200


def test_unhandled_event_type_is_acknowledged(harness: Harness) -> None:
    response = harness.webhook("evt_9", "payment_intent.created", {"id": "pi_1"})
    assert response.status_code == 200
    assert response.json() == {"received": True, "handled": False, "duplicate": False}
    again = harness.webhook("evt_9", "payment_intent.created", {"id": "pi_1"})
    assert again.json()["duplicate"] is True


def test_validly_signed_non_event_is_400(harness: Harness) -> None:
    body = '["not", "an", "event"]'
    assert _post(harness, body, sign_webhook(body)).status_code == 400


def test_duplicate_delivery_changes_nothing(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    first = harness.webhook("evt_1", "customer.subscription.updated", _sub_event_obj("sub_1"))
    assert first.json()["handled"]
    harness.stripe.set_status("sub_1", "canceled")
    calls_before = len(harness.stripe.subscriptions)
    second = harness.webhook("evt_1", "customer.subscription.updated", _sub_event_obj("sub_1"))
    assert second.json() == {"received": True, "handled": False, "duplicate": True}
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert sub.status == "active"
    assert len(harness.stripe.subscriptions) == calls_before


def test_out_of_order_events_never_roll_back(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id, status="past_due")
    # The newer event arrives first.
    harness.webhook("evt_2", "invoice.payment_failed", _invoice("sub_1"), created=START + 20)
    # The older one arrives late, and (a stale read) Stripe still says "active".
    harness.stripe.set_status("sub_1", "active")
    late = harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    assert late.status_code == 200
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert sub.status == "past_due"
    # A genuinely newer event moves it on.
    harness.stripe.set_status("sub_1", "canceled")
    harness.webhook(
        "evt_3", "customer.subscription.deleted", _sub_event_obj("sub_1"), created=START + 40
    )
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert sub.status == "canceled"


def test_shuffled_lifecycle_ends_in_the_final_state(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    events = [
        ("evt_a", "checkout.session.completed", _checkout(login.account_id, "sub_1"), START),
        ("evt_b", "customer.subscription.created", _sub_event_obj("sub_1"), START),
        ("evt_c", "invoice.paid", _invoice("sub_1"), START + 1),
    ]
    for event_id, event_type, obj, created in reversed(events + events):
        assert harness.webhook(event_id, event_type, obj, created).status_code == 200
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert (sub.status, sub.plan) == ("active", "growth")


def test_invoice_event_finds_the_subscription_under_parent(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_7", account_id=login.account_id)
    response = harness.webhook("evt_1", "invoice.paid", _invoice("sub_7"))
    assert response.json()["handled"]
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert sub.subscription_id == "sub_7"


def test_checkout_completed_links_the_customer(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id, customer="cus_42")
    harness.webhook("evt_1", "checkout.session.completed", _checkout(login.account_id, "sub_1"))
    account = harness.store.account(login.account_id)
    assert account is not None
    assert account.stripe_customer_id == "cus_42"


def test_subscription_of_unknown_account_is_acknowledged(harness: Harness) -> None:
    harness.stripe.put_subscription("sub_1", account_id="acc_nobody", customer="cus_nobody")
    response = harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    assert response.status_code == 200
    assert response.json()["handled"] is False


def test_stripe_down_gets_503_and_the_event_is_retried(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_1", account_id=login.account_id)
    harness.stripe.down = True
    response = harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    assert response.status_code == 503
    assert not harness.store.seen_event("evt_1")
    harness.stripe.down = False
    assert harness.webhook(
        "evt_1", "customer.subscription.created", _sub_event_obj("sub_1")
    ).json()["handled"]


def test_a_live_subscription_is_not_hidden_by_an_old_canceled_one(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription("sub_new", account_id=login.account_id, created=START + 100)
    harness.stripe.put_subscription(
        "sub_old", account_id=login.account_id, status="canceled", created=START - 90 * DAY
    )
    harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_new"))
    harness.webhook(
        "evt_2", "customer.subscription.deleted", _sub_event_obj("sub_old"), created=START + 200
    )
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert (sub.subscription_id, sub.status) == ("sub_new", "active")


def test_without_a_webhook_secret_nothing_is_accepted(tmp_path: Path) -> None:
    h = make_harness(tmp_path, webhook_secret=None)
    body = event_body("evt_1", "customer.created", {"id": "cus_1"})
    try:
        response = _post(h, body, sign_webhook(body, secret=WEBHOOK_SECRET))
    finally:
        h.close()
    assert response.status_code == 503
    assert response.json()["error"] == "webhook_not_configured"


def _invoice(sub_id: str) -> dict[str, object]:
    return {
        "id": "in_1",
        "object": "invoice",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id},
        },
    }


def _checkout(account_id: str, sub_id: str) -> dict[str, object]:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": account_id,
        "customer": "cus_test_1",
        "subscription": sub_id,
        "payment_status": "paid",
    }


def test_a_replacing_subscription_keeps_its_own_event_order(harness: Harness) -> None:
    login = harness.login()
    harness.stripe.put_subscription(
        "sub_old", account_id=login.account_id, status="canceled", created=START - 90 * DAY
    )
    harness.webhook(
        "evt_old", "customer.subscription.deleted", _sub_event_obj("sub_old"), created=START + 500
    )
    harness.stripe.put_subscription("sub_new", account_id=login.account_id, created=START + 100)
    harness.webhook(
        "evt_n1", "customer.subscription.created", _sub_event_obj("sub_new"), START + 100
    )
    harness.stripe.set_status("sub_new", "past_due")
    harness.webhook("evt_n2", "invoice.payment_failed", _invoice("sub_new"), created=START + 200)
    sub = harness.store.subscription(login.account_id)
    assert sub is not None
    assert (sub.subscription_id, sub.status) == ("sub_new", "past_due")


def test_secrets_never_reach_the_logs(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    login = harness.login()
    harness.client.get("/v1/entitlement", headers=login.headers)
    harness.stripe.put_subscription("sub_1", account_id="acc_unknown")
    harness.webhook("evt_1", "customer.subscription.created", _sub_event_obj("sub_1"))
    body = event_body("evt_2", "customer.created", {"id": "cus_1"})
    _post(harness, body, sign_webhook(body, secret="whsec_wrong"))
    harness.stripe.down = True
    harness.stripe.put_subscription("sub_2", account_id=login.account_id)
    harness.webhook("evt_3", "customer.subscription.created", _sub_event_obj("sub_2"))
    assert caplog.records  # the service did log (the unknown account, the outage)
    for secret in (login.token, WEBHOOK_SECRET, "whsec_wrong"):
        assert secret not in caplog.text
