"""Schemathesis against `/openapi.json`, in-process over ASGI: no 5xx, answers as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.schemas import BaseSchema

from creatorflow.billing_service.app import create_app
from creatorflow.billing_service.db import make_engine
from creatorflow.billing_service.records import DeviceCode, Plan, token_hash
from creatorflow.billing_service.settings import Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import SigningKey
from tests.billing_service.conftest import START, WEBHOOK_SECRET, FakeClock, FakeStripe


@pytest.fixture
def billing(tmp_path: Path) -> tuple[Any, str]:
    """The app with a fake Stripe and a live install token."""
    settings = Settings(
        webhook_secret=WEBHOOK_SECRET,
        database_url=f"sqlite:///{tmp_path / 'billing.db'}",
        public_url="https://billing.test",
        open_approval=True,
    )
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    store.set_plan(Plan("growth", "growth_monthly", 2000), START)
    code = DeviceCode(token_hash("dc"), "BBBB-CCCC", "fuzz", START + 900, 5, None, "pending", None)
    store.create_device_code(code, START)
    store.decide_device("BBBB-CCCC", "fuzz@example.com", True, START)
    token, _, _ = store.exchange_device_code(token_hash("dc"), "fuzz", START)
    app = create_app(
        settings,
        signing_key=SigningKey.generate(),
        store=store,
        gateway=FakeStripe(),
        clock=FakeClock(),
    )
    return app, token


@pytest.fixture
def api_schema(billing: tuple[Any, str]) -> BaseSchema:
    """The service's own OpenAPI document, minus logout (it would revoke the fuzzer's token)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", billing[0])
    return schema.exclude(method="DELETE", path="/v1/install")


schema = schemathesis.pytest.from_fixture("api_schema")
UNGUESSABLE = {"/v1/device/token", "/device", "/stripe/webhook"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms(case: Any, billing: tuple[Any, str]) -> None:
    # A device code, a user code or a webhook signature that fits the schema is still almost
    # never a valid one: those answers are documented 400s, not wrongly rejected requests.
    excluded = []
    if case.path in UNGUESSABLE:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {billing[1]}"}, excluded_checks=excluded
    )


def test_openapi_documents_every_contract_route(billing: tuple[Any, str]) -> None:
    document = billing[0].openapi()
    paths = document["paths"]
    for path, method in [
        ("/v1/device/code", "post"),
        ("/v1/device/token", "post"),
        ("/device", "get"),
        ("/device", "post"),
        ("/v1/install", "delete"),
        ("/v1/plans", "get"),
        ("/v1/checkout", "post"),
        ("/v1/portal", "post"),
        ("/v1/entitlement", "get"),
        ("/v1/usage", "post"),
        ("/v1/usage", "get"),
        ("/stripe/webhook", "post"),
    ]:
        assert method in paths[path], (method, path)
    secured = paths["/v1/entitlement"]["get"]["security"]
    assert secured == [{"installToken": []}]
    assert "security" not in paths["/v1/plans"]["get"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
