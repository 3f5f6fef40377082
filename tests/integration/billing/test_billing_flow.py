"""The local side of billing against the real billing service and the Stripe simulator:
device login, checkout, the cached entitlement, usage counted once however often it is sent,
the plan limit at approval, and a subscription going past_due then canceled."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from creatorflow.domain.entitlement import EntitlementState, usage_event_id
from creatorflow.domain.guards import RefusalCode
from creatorflow.domain.stages import Stage
from creatorflow.errors import AuthError
from creatorflow.integrations.billing.tokens import TokenRejected
from creatorflow.services.approval import approve_orders
from creatorflow.services.auto_approval import auto_approve
from creatorflow.services.billing import billing_status, billing_usage, logout
from creatorflow.services.billing_core import INSTALL_TOKEN, accept_token
from creatorflow.services.billing_usage import flush_usage, sync_billing
from creatorflow.services.context import Services
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.voids import rebuy_label
from creatorflow.store.tables import BillingState, Order, UsageEvent
from tests.integration.billing.conftest import ORDERS, PLAN_LIMIT, Station


def _stages(services: Services) -> dict[str, Stage]:
    with services.store.read() as session:
        return {order.id: order.stage for order in session.scalars(select(Order))}


def _outbox(services: Services) -> list[UsageEvent]:
    with services.store.read() as session:
        return list(session.scalars(select(UsageEvent).order_by(UsageEvent.order_id)))


def _ready(services: Services) -> list[str]:
    return sorted(oid for oid, stage in _stages(services).items() if stage is Stage.NEW)


def test_nothing_is_enforced_or_sent_before_sign_in(station: Station) -> None:
    services = station.services
    with pytest.raises(AuthError, match="not signed in") as info:
        billing_status(services)
    assert info.value.hint is not None
    assert "creatorflow billing login" in info.value.hint
    assert sync_billing(services)["billing"] == "off"
    summary = approve_orders(services, _ready(services)[:2])
    assert summary.approved == 2


def test_login_checkout_usage_counted_once_and_the_limit_at_approval(station: Station) -> None:
    services = station.services
    login = station.login()
    assert login.stored_in.startswith("file")
    assert services.secrets.get(INSTALL_TOKEN) is not None
    assert login.entitlement is not None
    assert login.entitlement.state is EntitlementState.NONE  # signed in, no plan yet

    # Signed in without a subscription: nothing may be approved; the orders stay new.
    refused = approve_orders(services, _ready(services)[:2], now=station.now())
    assert refused.approved == 0
    assert refused.refusal_counts() == {"plan_limit": 2}
    assert "creatorflow billing upgrade" in (refused.results[0].reason or "")
    assert set(_stages(services).values()) == {Stage.NEW}

    station.subscribe()
    status = billing_status(services, now=station.now())
    claims = status.entitlement.claims
    assert claims is not None
    assert (claims.plan, claims.status, claims.order_limit) == ("growth", "active", PLAN_LIMIT)
    assert status.entitlement.state is EntitlementState.ACTIVE
    assert status.refreshed

    first = _ready(services)[:3]
    assert approve_orders(services, first, now=station.now()).approved == 3
    assert buy_labels(services).bought == 3
    rows = _outbox(services)
    assert sorted(row.order_id for row in rows) == sorted(first)
    assert all(row.sent_at is None for row in rows)
    assert {row.event_id for row in rows} == {
        usage_event_id(row.shop_id, row.order_id) for row in rows
    }

    # The same batch three times (the first two acknowledgements "lost"): counted once.
    answers = []
    for _ in range(3):
        with services.store.write() as session:
            session.execute(update(UsageEvent).values(sent_at=None))
        answers.append(flush_usage(services, now=station.now()))
    assert [(a.sent, a.accepted, a.duplicates) for a in answers] == [
        (3, 3, 0),
        (3, 0, 3),
        (3, 0, 3),
    ]
    assert all(a.left == 0 and a.token_error is None for a in answers)
    assert billing_usage(services).used == 3
    assert all(row.sent_at is not None for row in _outbox(services))

    # The cached entitlement (from the last usage answer) knows the 3: 2 orders remain.
    rest = _ready(services)
    assert len(rest) == ORDERS - 3
    summary = approve_orders(services, all_ready=True, now=station.now())
    assert summary.approved == PLAN_LIMIT - 3
    assert summary.refusal_counts() == {"plan_limit": len(rest) - 2}
    limited = [r for r in summary.results if not r.approved]
    assert all(r.refusals[0].code is RefusalCode.PLAN_LIMIT for r in limited)
    assert all(_stages(services)[r.order_id] is Stage.NEW for r in limited)
    # Approved but not labelled yet counts too: nothing more, auto-approve included.
    auto = auto_approve(services, now=station.now())
    assert auto.approved == 0
    assert auto.reasons["plan_limit"] > 0  # those the approve.auto rules let through


def test_the_daemon_sync_sends_usage_and_a_tampered_entitlement_is_refused(
    station: Station,
) -> None:
    services = station.services
    station.login()
    station.subscribe()
    approve_orders(services, _ready(services)[:2], now=station.now())
    buy_labels(services)
    synced = sync_billing(services, now=station.now())
    assert (synced["sent"], synced["accepted"], synced["state"]) == (2, 2, "active")
    assert synced["remaining"] == PLAN_LIMIT - 2
    assert sync_billing(services, now=station.now())["sent"] == 0

    # Someone edits the cached token to a bigger plan: the signature no longer matches.
    with services.store.write() as session:
        state = session.get(BillingState, 1)
        assert state is not None
        assert state.token is not None
        prefix, payload, signature = state.token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["order_limit"] = 1_000_000
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        state.token = f"{prefix}.{forged}.{signature}"
    offline = billing_status(services, refresh=False, now=station.now())
    assert offline.entitlement.state is EntitlementState.NONE
    assert offline.entitlement.reason is not None
    assert "refused" in offline.entitlement.reason
    # A fresh, genuine token replaces it at the next refresh.
    assert billing_status(services, now=station.now()).entitlement.order_limit == PLAN_LIMIT


def test_an_older_genuine_token_is_refused_as_rolled_back(station: Station) -> None:
    services = station.services
    station.login()
    with services.store.read() as session:
        state = session.get(BillingState, 1)
        assert state is not None
        older = state.token
    assert older is not None
    station.advance(timedelta(minutes=1))
    billing_status(services, now=station.now())
    with services.store.write() as session:
        state = session.get(BillingState, 1)
        assert state is not None
        newest = state.token
        with pytest.raises(TokenRejected, match="rolled-back"):
            accept_token(services, state, older, now=station.now())
        assert state.token == newest


def test_grace_while_offline_then_expired(station: Station) -> None:
    station.login()
    station.subscribe()
    issued = station.now()
    assert billing_status(station.services, now=issued).entitlement.order_limit == PLAN_LIMIT
    offline = Services(
        paths=station.services.paths,
        environ={**station.environ, "CREATORFLOW_BILLING_URL": "http://127.0.0.1:9"},
    )
    try:
        in_grace = billing_status(offline, now=issued + timedelta(days=8))
        assert in_grace.refresh_error is not None
        assert in_grace.entitlement.state is EntitlementState.GRACE
        assert any("offline" in w.lower() for w in in_grace.entitlement.warnings)
        assert (
            approve_orders(offline, _ready(offline)[:1], now=issued + timedelta(days=8)).approved
            == 1
        )

        expired = billing_status(offline, now=issued + timedelta(days=15))
        assert expired.entitlement.state is EntitlementState.EXPIRED
        refused = approve_orders(offline, _ready(offline)[:1], now=issued + timedelta(days=15))
        assert refused.refusal_counts() == {"plan_limit": 1}
        assert "cannot be checked" in (refused.results[0].reason or "")
    finally:
        offline.close()


def test_past_due_then_canceled_is_reflected_locally(station: Station) -> None:
    services = station.services
    station.login()
    station.subscribe()
    station.stripe_sim.fail_next_payment(10)
    station.advance(timedelta(days=31))

    past_due = billing_status(services, now=station.now())
    claims = past_due.entitlement.claims
    assert claims is not None
    assert (claims.status, claims.order_limit) == ("past_due", PLAN_LIMIT)
    assert past_due.entitlement.counts
    assert any("payment failed" in w for w in past_due.entitlement.warnings)
    assert approve_orders(services, _ready(services)[:1], now=station.now()).approved == 1

    for _ in range(4):
        station.advance(timedelta(days=3, hours=1))
    synced = sync_billing(services, now=station.now())
    assert synced["refreshed"] is True
    assert (synced["status"], synced["remaining"]) == ("canceled", 0)
    canceled = billing_status(services, refresh=False, now=station.now())
    claims = canceled.entitlement.claims
    assert claims is not None
    assert (claims.status, claims.order_limit) == ("canceled", 0)
    assert any("canceled" in w for w in canceled.entitlement.warnings)
    refused = approve_orders(services, _ready(services)[:2], now=station.now())
    assert refused.refusal_counts() == {"plan_limit": 2}
    assert "canceled" in (refused.results[0].reason or "")


def test_logout_sends_usage_revokes_and_lifts_the_limit(station: Station) -> None:
    services = station.services
    station.login()
    token = services.secrets.get(INSTALL_TOKEN)
    station.subscribe()
    approve_orders(services, _ready(services)[:1], now=station.now())
    buy_labels(services)
    result = logout(services)
    assert (result.flushed, result.revoked, result.problems) == (1, True, [])
    assert services.secrets.get(INSTALL_TOKEN) is None
    revoked = station.billing.get("/v1/usage", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    with pytest.raises(AuthError):
        billing_status(services)
    assert approve_orders(services, _ready(services), now=station.now()).refused == 0


def test_a_rebuy_adds_no_second_usage_event(station: Station) -> None:
    services = station.services
    order_id = _ready(services)[0]
    approve_orders(services, [order_id])
    assert buy_labels(services).bought == 1
    rebuy_label(services, order_id, reason="label got wet")
    assert buy_labels(services, order_ids=[order_id]).bought == 1
    rows = _outbox(services)
    assert [(row.order_id, row.sent_at) for row in rows] == [(order_id, None)]
    assert rows[0].event_id == usage_event_id(rows[0].shop_id, order_id)
