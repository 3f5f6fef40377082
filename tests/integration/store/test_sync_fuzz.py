"""Fuzzed TikTok order payloads never crash a sync page and never leave a half-written order.

Each example is a page of three orders: TikTok's documented example (twice, under other ids)
around a mutated copy. The page goes through the client's decoder, the sync's checks and the
bulk store, exactly as ``orders sync`` runs it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from creatorflow.integrations.tiktok.models import decode_envelope
from creatorflow.integrations.tiktok.models_pages import decode_order_page
from creatorflow.services.order_sync import map_order_page
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.order_pages import store_order_page
from creatorflow.store.schema import upgrade
from creatorflow.store.session import Store
from creatorflow.store.shops import ShopData, upsert_shops
from creatorflow.store.sync_state import quarantine
from creatorflow.store.tables import Order, OrderEvent, OrderLine, QuarantinedRecord

FIXTURE = Path(__file__).parents[2] / "fixtures" / "tiktok-api" / "orders"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SHOP = "7494049642642441621"


def _example() -> dict[str, Any]:
    meta = json.loads((FIXTURE / "get-order-detail.spec.json").read_text())["document_api_meta"]
    order: dict[str, Any] = json.loads(meta["response_body"])["data"]["orders"][0]
    return order


EXAMPLE = _example()

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.text(min_size=5000, max_size=6000),
    st.just("\x00"),
    st.just("NaN"),
    st.just("1e999"),
    st.sampled_from(["SHIPPED_BY_ALIENS", "CANCEL", "", "ON_HOLD"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

paths = st.sampled_from(
    [
        ("status",),
        ("create_time",),
        ("update_time",),
        ("payment",),
        ("payment", "total_amount"),
        ("payment", "currency"),
        ("recipient_address",),
        ("recipient_address", "name"),
        ("recipient_address", "region_code"),
        ("recipient_address", "district_info"),
        ("line_items",),
        ("line_items", 0),
        ("line_items", 0, "id"),
        ("line_items", 0, "sku_id"),
        ("line_items", 0, "sale_price"),
        ("line_items", 0, "currency"),
        ("line_items", 0, "product_name"),
        ("id",),
        ("rts_sla_time",),
        ("buyer_message",),
    ]
)


@st.composite
def mutated_orders(draw: st.DrawFn) -> dict[str, Any]:
    order = copy.deepcopy(EXAMPLE)
    order["id"] = "900000000000000002"
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(paths)
        target: Any = order
        for key in path[:-1]:
            in_dict = isinstance(target, dict) and key in target
            in_list = isinstance(target, list) and isinstance(key, int) and len(target) > key
            if not (in_dict or in_list):
                break
            target = target[key]
        else:
            last = path[-1]
            if draw(st.booleans()) and isinstance(target, dict):
                target.pop(last, None)
            elif isinstance(target, dict) or (
                isinstance(target, list) and isinstance(last, int) and len(target) > last
            ):
                target[last] = draw(junk)
    return order


def _good(order_id: str) -> dict[str, Any]:
    order = copy.deepcopy(EXAMPLE)
    order["id"] = order_id
    for n, line in enumerate(order["line_items"]):
        line["id"] = f"{order_id}{n}"
    return order


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    engine = make_engine(sqlite_url(tmp_path_factory.mktemp("fuzz") / "creatorflow.db"))
    upgrade(engine, backup_dir=None)
    store = Store(engine)
    with store.write() as session:
        upsert_shops(
            session,
            [ShopData(SHOP, "Fuzz shop", "US", "ROW_x")],
            access_expires_at=None,
            refresh_expires_at=None,
            now=NOW,
        )
    yield store
    store.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=mutated_orders())
def test_a_fuzzed_order_is_stored_whole_or_quarantined(
    fuzz_store: Store, order: dict[str, Any]
) -> None:
    with fuzz_store.write() as session:
        for table in (OrderEvent, OrderLine, Order, QuarantinedRecord):
            session.execute(delete(table))
    body = msgspec.json.encode(
        {
            "code": 0,
            "message": "Success",
            "request_id": "fuzz",
            "data": {"orders": [_good("900000000000000001"), order, _good("900000000000000003")]},
        }
    )
    page = decode_order_page(decode_envelope(body))
    records, rejected = map_order_page(page, SHOP)
    with fuzz_store.write() as session:
        quarantine(session, SHOP, "orders", rejected, now=NOW)
        store_order_page(session, records, now=NOW)
    with fuzz_store.read() as session:
        stored = {o.id: o for o in session.scalars(select(Order))}
        assert {"900000000000000001", "900000000000000003"} <= set(stored)
        for found in stored.values():
            lines = session.scalar(
                select(func.count()).select_from(OrderLine).where(OrderLine.order_id == found.id)
            )
            assert lines == found.units
        quarantined = session.scalar(select(func.count()).select_from(QuarantinedRecord))
    # Every order of the page is either stored whole or kept aside with its reason.
    assert len(stored) + quarantined == 3


def test_a_bad_amount_is_quarantined_with_its_reason(fuzz_store: Store) -> None:
    bad = _good("900000000000000009")
    bad["line_items"][0]["sale_price"] = "twelve"
    body = msgspec.json.encode({"code": 0, "data": {"orders": [bad]}})
    records, rejected = map_order_page(decode_order_page(decode_envelope(body)), SHOP)
    assert records == []
    assert [item.external_id for item in rejected] == ["900000000000000009"]
    assert "sale_price is not an amount" in rejected[0].reason
