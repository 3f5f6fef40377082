"""Hostile TikTok order payloads through the real decode → check → store path of a sync page.

Each example is a page of three orders: two good ones around a hostile one. The page goes
through what ``orders sync`` runs for it — the client's envelope and per-order decoders,
``map_order_page`` (every check), ``prepare_order_page`` and, in one write transaction, the
quarantine, ``store_order_page`` and the watermark — on SQLite and, when configured,
PostgreSQL. Whatever the hostile order holds, nothing escapes as an exception, the two good
orders land, the hostile one is stored whole (with the exact text it sent) or quarantined with
a reason, and no order is left with a partial set of lines.

One test does the same over real HTTP: a simulator whose orders were replaced by hostile
bytes, synced by ``sync_orders``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from creatorflow.integrations.tiktok.models import decode_envelope
from creatorflow.integrations.tiktok.models_pages import decode_order_page
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.order_sync import map_order_page, sync_orders
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.order_pages import prepare_order_page, store_order_page
from creatorflow.store.schema import upgrade
from creatorflow.store.session import Store
from creatorflow.store.shops import ShopData, upsert_shops
from creatorflow.store.sync_state import advance_watermark, quarantine, read_cursor
from creatorflow.store.tables import (
    Order,
    OrderEvent,
    OrderLine,
    QuarantinedRecord,
    SyncCursor,
)
from tests.postgres import postgres_schema
from tests.security.strategies import any_json, hostile_amount, hostile_text

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tiktok-api" / "orders"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SHOP = "7494049642642441621"
GOOD_IDS = ("900000000000000001", "900000000000000003")
HOSTILE_ID = "900000000000000002"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _example() -> dict[str, Any]:
    meta = json.loads((FIXTURE / "get-order-detail.spec.json").read_text())["document_api_meta"]
    order: dict[str, Any] = json.loads(meta["response_body"])["data"]["orders"][0]
    return order


EXAMPLE = _example()


def _order(order_id: str) -> dict[str, Any]:
    """TikTok's documented example under another id, with line ids of its own."""
    order = copy.deepcopy(EXAMPLE)
    order["id"] = order_id
    for n, line in enumerate(order["line_items"]):
        line["id"] = f"{order_id}{n}"
    return order


def _migrated(url: str) -> Iterator[Store]:
    engine = make_engine(url)
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
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def page_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A migrated store with the shop, once per backend for the whole module."""
    if request.param == "sqlite":
        yield from _migrated(sqlite_url(tmp_path_factory.mktemp("hostile") / "creatorflow.db"))
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield from _migrated(url)


def _empty(store: Store) -> None:
    with store.write() as session:
        for table in (OrderEvent, OrderLine, Order, QuarantinedRecord, SyncCursor):
            session.execute(delete(table))


def _sync_page(store: Store, orders: list[Any] | bytes) -> None:
    """One page exactly as ``orders sync`` stores it (``order_sync._sync_shop``/_store_page)."""
    if isinstance(orders, bytes):
        body = b'{"code":0,"message":"Success","data":{"orders":[' + orders + b"]}}"
    else:
        body = msgspec.json.encode({"code": 0, "message": "Success", "data": {"orders": orders}})
    page = decode_order_page(decode_envelope(body))
    records, rejected = map_order_page(page, SHOP)
    prepared = prepare_order_page(store.engine.dialect, records, now=NOW)
    reached = max((record.updated_at for record in records), default=None)
    with store.write(durable=False) as session:
        quarantine(session, SHOP, "orders", rejected, now=NOW)
        store_order_page(session, prepared, now=NOW)
        advance_watermark(session, SHOP, "orders", reached, now=NOW, finished=True)


def _check_page(store: Store, *, total: int = 3) -> dict[str, Order]:
    """The page's invariants; returns the stored orders by id."""
    with store.read() as session:
        stored = {o.id: o for o in session.scalars(select(Order))}
        for order in stored.values():
            lines = session.scalar(
                select(func.count()).select_from(OrderLine).where(OrderLine.order_id == order.id)
            )
            assert lines == order.units, f"order {order.id!r} has {lines} of {order.units} lines"
        kept = list(session.scalars(select(QuarantinedRecord)))
        cursor = read_cursor(session, SHOP, "orders")
        assert cursor is not None
        assert cursor.last_error is None
    assert set(GOOD_IDS) <= set(stored)
    assert all(item.reason.strip() for item in kept)
    assert all(item.raw for item in kept)
    assert len(stored) + len(kept) == total
    return stored


@FUZZ
@given(hostile=any_json)
def test_an_order_of_any_json_shape_is_stored_or_quarantined(
    page_store: Store, hostile: Any
) -> None:
    _empty(page_store)
    _sync_page(page_store, [_order(GOOD_IDS[0]), hostile, _order(GOOD_IDS[1])])
    stored = _check_page(page_store)
    assert set(stored) <= {*GOOD_IDS, HOSTILE_ID}


_TEXT_PATHS = [
    ("recipient_address", "name"),
    ("recipient_address", "address_line1"),
    ("recipient_address", "address_line2"),
    ("recipient_address", "address_line3"),
    ("recipient_address", "address_line4"),
    ("recipient_address", "postal_code"),
    ("recipient_address", "phone_number"),
    ("recipient_address", "region_code"),
    ("buyer_message",),
    ("status",),
    ("shipping_type",),
    ("fulfillment_type",),
    ("delivery_option_id",),
    ("id",),
    ("line_items", 0, "id"),
    ("line_items", 0, "sku_id"),
    ("line_items", 0, "product_id"),
    ("line_items", 0, "product_name"),
    ("line_items", 0, "seller_sku"),
    ("line_items", 0, "sku_name"),
    ("line_items", 0, "package_id"),
    ("line_items", 0, "display_status"),
    ("line_items", 0, "cancel_reason"),
    ("line_items", 0, "currency"),
    ("payment", "currency"),
]
_FIELDS = st.sampled_from(_TEXT_PATHS)
_AMOUNTS = st.sampled_from(
    [
        ("payment", "total_amount"),
        ("payment", "shipping_fee"),
        ("line_items", 0, "sale_price"),
        ("line_items", 0, "original_price"),
    ]
)
_TIMES = st.sampled_from(["create_time", "update_time", "paid_time", "rts_sla_time"])


def _put(order: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = order
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@st.composite
def hostile_orders(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The example order with hostile text, amounts and times in a few of its fields."""
    order = _order(HOSTILE_ID)
    changes: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["text", "amount", "time"]))
        value: Any
        if kind == "text":
            path, value = draw(_FIELDS), draw(hostile_text)
        elif kind == "amount":
            path, value = draw(_AMOUNTS), draw(hostile_amount)
        else:
            path = (draw(_TIMES),)
            value = draw(st.integers(min_value=-(2**70), max_value=2**70))
        _put(order, path, value)
        changes.append((path, value))
    return order, changes


_STORED_AS = {
    ("recipient_address", "name"): "recipient_name",
    ("recipient_address", "address_line1"): "address_line1",
    ("recipient_address", "address_line2"): "address_line2",
    ("recipient_address", "address_line4"): "address_line4",
    ("recipient_address", "postal_code"): "postal_code",
    ("buyer_message",): "buyer_message",
}


@FUZZ
@given(case=hostile_orders())
def test_hostile_text_amounts_and_times_are_kept_exactly_or_quarantined(
    page_store: Store, case: tuple[dict[str, Any], list[tuple[Any, ...]]]
) -> None:
    order, changes = case
    _empty(page_store)
    _sync_page(page_store, [_order(GOOD_IDS[0]), order, _order(GOOD_IDS[1])])
    stored = _check_page(page_store)
    hostile = stored.get(str(order["id"]))
    if hostile is None:
        return  # quarantined, with its reason (checked above)
    # Stored: the text is exactly what TikTok sent (last write of a field wins), RTL marks,
    # zero-width characters and all; nothing is silently mangled.
    final = dict(changes)
    for path, value in final.items():
        column = _STORED_AS.get(path)
        if column is not None:
            assert getattr(hostile, column) == (value or None)


@pytest.mark.parametrize("path", _TEXT_PATHS, ids=lambda path: ".".join(map(str, path)))
def test_a_nul_in_any_text_field_never_sinks_the_page(
    page_store: Store, path: tuple[str | int, ...]
) -> None:
    # PostgreSQL text cannot hold NUL: one unchecked field (a line's sku_id was) made the
    # whole page fail there, and with it every later sync of the shop.
    _empty(page_store)
    hostile = _order(HOSTILE_ID)
    _put(hostile, path, "a\x00b")
    _sync_page(page_store, [_order(GOOD_IDS[0]), hostile, _order(GOOD_IDS[1])])
    stored = _check_page(page_store)
    assert HOSTILE_ID not in stored  # every text field refuses NUL


@pytest.mark.parametrize("already_stored", [False, True], ids=["same page", "stored before"])
def test_a_line_id_claimed_by_two_orders_quarantines_the_second(
    page_store: Store, already_stored: bool
) -> None:
    _empty(page_store)
    hostile = _order(HOSTILE_ID)
    hostile["line_items"][0]["id"] = GOOD_IDS[0] + "0"  # the first good order's line
    if already_stored:
        _sync_page(page_store, [_order(GOOD_IDS[0])])
        _sync_page(page_store, [hostile, _order(GOOD_IDS[1])])
    else:
        _sync_page(page_store, [_order(GOOD_IDS[0]), hostile, _order(GOOD_IDS[1])])
    assert set(_check_page(page_store)) == set(GOOD_IDS)


def test_invalid_utf8_in_one_order_quarantines_that_order_only(page_store: Store) -> None:
    # Valid JSON structure, but a name that is not UTF-8: msgspec raises UnicodeDecodeError,
    # which once escaped the page decoder and sank the whole sync.
    bad = msgspec.json.encode(_order(HOSTILE_ID)).replace(b"David Kong", b"David \xff\xfe Kong")
    good = [msgspec.json.encode(_order(order_id)) for order_id in GOOD_IDS]
    _empty(page_store)
    _sync_page(page_store, b",".join([good[0], bad, good[1]]))
    stored = _check_page(page_store)
    assert set(stored) == set(GOOD_IDS)
    with page_store.read() as session:
        [kept] = session.scalars(select(QuarantinedRecord)).all()
    assert kept.external_id == HOSTILE_ID
    assert "utf-8" in kept.reason


@pytest.mark.parametrize(
    "order_id",
    [
        "../../etc/passwd",
        "/tmp/x",
        "..\\..\\windows",
        "C:evil",
        "1:2",  # would split the journal key label:{shop}:{order}:{package}:{generation}
        "a b",
        "\u202e1234",
        "12\u200b34",
        "1\x002",
        "",
        " ",
        "9" * 65,
        "-rf",  # a label file named so would read as an option to a command
    ],
)
def test_an_order_id_that_is_no_plain_id_is_quarantined(page_store: Store, order_id: str) -> None:
    _empty(page_store)
    hostile = _order(HOSTILE_ID)
    hostile["id"] = order_id
    _sync_page(page_store, [_order(GOOD_IDS[0]), hostile, _order(GOOD_IDS[1])])
    stored = _check_page(page_store)
    assert set(stored) == set(GOOD_IDS)
    with page_store.read() as session:
        [kept] = session.scalars(select(QuarantinedRecord)).all()
    assert "order id" in kept.reason


def test_a_hostile_page_over_http_stores_the_rest_and_quarantines_with_reasons(
    tmp_path: Path,
) -> None:
    """``sync_orders`` against a simulator whose orders were replaced by hostile bytes."""
    from creatorflow.config.paths import resolve_paths
    from creatorflow.http_server import serve
    from creatorflow.secrets import SecretStore
    from creatorflow.secrets.backends import MemoryBackend
    from creatorflow.services.setup import initialize
    from creatorflow.services.tiktok_connection import connect_tiktok

    sim = TikTokShopSimulator(seed=5, app_key="k", app_secret="s", product_count=2, qps=1000)
    ids = sim.generate_orders(8, spread=timedelta(hours=2), status="AWAITING_SHIPMENT")
    rtl_name = "\u202eknoK divaD\u202c \u200b\u05e9\u05dc\u05d5\u05dd"

    def poisoned(order_id: str, edit: Any) -> bytes:
        order = sim.order(order_id)
        result = edit(order)
        return result if isinstance(result, bytes) else msgspec.json.encode(order)

    def named(order: dict[str, Any]) -> None:
        order["recipient_address"]["name"] = rtl_name

    hostile = {
        ids[0]: lambda o: msgspec.json.encode(o).replace(b'"name":"', b'"name":"\xff', 1),
        ids[1]: lambda o: o.update(id="../../" + str(o["id"])),
        ids[2]: lambda o: b"42",
        ids[3]: lambda o: o["recipient_address"].update(address_line1="Main St\x00"),
        ids[4]: lambda o: o["payment"].update(total_amount="1e999"),
        ids[5]: named,
    }
    with sim.lock:
        for order_id, edit in hostile.items():
            data = poisoned(order_id, edit)
            sim.book.orders[order_id].cached.update({False: data, True: data})
    with serve(sim.app) as server:
        environ = {
            "CREATORFLOW_HOME": str(tmp_path / "home"),
            "CREATORFLOW_TIKTOK_API_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": "k",
        }
        services = Services(
            paths=resolve_paths(environ),
            environ=environ,
            secret_store=SecretStore([MemoryBackend({"tiktok_app_secret": "s"})]),
        )
        try:
            initialize(services)
            connect_tiktok(services, auth_code=sim.issue_auth_code())
            summary = sync_orders(services)
            with services.store.read() as session:
                stored = {o.id: o for o in session.scalars(select(Order))}
                kept = list(session.scalars(select(QuarantinedRecord)))
                cursor = read_cursor(session, sim.shops[0].id, "orders")
        finally:
            services.close()
    assert summary.quarantined == 5
    assert set(stored) == {ids[5], ids[6], ids[7]}
    assert stored[ids[5]].recipient_name == rtl_name  # RTL override, zero width and all
    reasons = {k.external_id: k.reason for k in kept}
    assert set(reasons) == {ids[0], "../../" + ids[1], None, ids[3], ids[4]}
    assert "utf-8" in reasons[ids[0]]
    assert "order id" in reasons["../../" + ids[1]]
    assert "Expected `object`" in reasons[None]
    assert "NUL" in reasons[ids[3]]
    assert "out of range" in reasons[ids[4]]
    assert cursor is not None
    assert cursor.last_error is None
