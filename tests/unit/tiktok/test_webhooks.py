"""TikTok Shop webhook verification and parsing (reference tiktok-shop.md §8.2-8.4)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.errors import ProviderError
from creatorflow.integrations.tiktok.webhooks import (
    CancellationStatusChange,
    EventType,
    InventoryStatusChange,
    OrderStatusChange,
    PackageUpdate,
    ProductStatusChange,
    RecipientAddressUpdate,
    SellerDeauthorization,
    UpcomingAuthorizationExpiration,
    WebhookPayloadError,
    event_data,
    parse_event,
    verify,
)

# §8.4: EcomPHP's test data and the check value the reference computed from it.
APP_KEY = "fake_app_key"
APP_SECRET = "fake_app_secret"
ECOMPHP_BODY = (
    b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,'
    b'"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT",'
    b'"update_time":1664095610}}'
)
ECOMPHP_SIGNATURE = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"

# §8.2: the documented envelope.
ENVELOPE_SAMPLE = (
    b'{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621",'
    b' "timestamp":1644412885,'
    b' "data":{"order_id":"576486316948490001","order_status":"UNPAID",'
    b'"is_on_hold_order":false,"update_time":1644412885}}'
)


def test_reference_check_value() -> None:
    # The documented formula written out: HMAC-SHA256(key=app_secret, app_key + raw body).
    literal = hmac.new(b"fake_app_secret", b"fake_app_key" + ECOMPHP_BODY, hashlib.sha256)
    assert literal.hexdigest() == ECOMPHP_SIGNATURE
    assert verify(APP_KEY, APP_SECRET, ECOMPHP_BODY, ECOMPHP_SIGNATURE)


def test_a_second_body_verifies_with_the_literal_formula() -> None:
    header = hmac.new(b"s3cret", b"key42" + ENVELOPE_SAMPLE, hashlib.sha256).hexdigest()
    assert verify("key42", "s3cret", ENVELOPE_SAMPLE, header)


def test_hex_case_and_surrounding_space_are_tolerated() -> None:
    assert verify(APP_KEY, APP_SECRET, ECOMPHP_BODY, f" {ECOMPHP_SIGNATURE.upper()}\t")


@pytest.mark.parametrize(
    ("app_key", "app_secret", "body", "header"),
    [
        pytest.param(
            APP_KEY,
            APP_SECRET,
            ECOMPHP_BODY.replace(b"1664095733", b"1664095734"),
            ECOMPHP_SIGNATURE,
            id="tampered-body",
        ),
        pytest.param(
            APP_KEY, APP_SECRET, ECOMPHP_BODY + b" ", ECOMPHP_SIGNATURE, id="trailing-space-in-body"
        ),
        pytest.param(APP_KEY, "other_secret", ECOMPHP_BODY, ECOMPHP_SIGNATURE, id="wrong-secret"),
        pytest.param("other_key", APP_SECRET, ECOMPHP_BODY, ECOMPHP_SIGNATURE, id="wrong-app-key"),
        pytest.param(APP_KEY, APP_SECRET, ECOMPHP_BODY, "", id="empty-header"),
        pytest.param(APP_KEY, APP_SECRET, ECOMPHP_BODY, "garbage", id="garbage-header"),
        pytest.param(
            APP_KEY, APP_SECRET, ECOMPHP_BODY, f"Bearer {ECOMPHP_SIGNATURE}", id="bearer-prefix"
        ),
        pytest.param(APP_KEY, APP_SECRET, ECOMPHP_BODY, ECOMPHP_SIGNATURE[:-1], id="truncated"),
        pytest.param(APP_KEY, APP_SECRET, ECOMPHP_BODY, ECOMPHP_SIGNATURE + "00", id="too-long"),
        pytest.param(APP_KEY, APP_SECRET, ECOMPHP_BODY, "é" * 64, id="non-ascii-header"),
        pytest.param(APP_KEY, "", ECOMPHP_BODY, ECOMPHP_SIGNATURE, id="empty-secret"),
        pytest.param("", APP_SECRET, ECOMPHP_BODY, ECOMPHP_SIGNATURE, id="empty-app-key"),
    ],
)
def test_verify_refuses(app_key: str, app_secret: str, body: bytes, header: str) -> None:
    assert verify(app_key, app_secret, body, header) is False


def test_a_body_that_is_not_utf8_is_refused_even_with_a_matching_mac() -> None:
    body = b'{"type":1,"x":"\xff\xfe"}'
    header = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()
    assert verify(APP_KEY, APP_SECRET, body, header) is False


def test_parse_the_documented_envelope() -> None:
    event = parse_event(ENVELOPE_SAMPLE)
    assert event.type == 1
    assert event.event_type is EventType.ORDER_STATUS_CHANGE
    assert event.tts_notification_id == "7327112393057371910"
    assert event.shop_id == "7494049642642441621"
    assert event.timestamp == 1644412885
    assert event_data(event) == OrderStatusChange(
        order_id="576486316948490001",
        order_status="UNPAID",
        is_on_hold_order=False,
        update_time=1644412885,
    )


def test_parse_an_older_push_without_notification_id() -> None:
    event = parse_event(ECOMPHP_BODY)
    assert event.tts_notification_id is None
    assert event.shop_id == "7494726673780148744"
    data = event_data(event)
    assert isinstance(data, OrderStatusChange)
    assert data.order_status == "AWAITING_SHIPMENT"
    assert data.is_on_hold_order is None


def _push(type_: int, data: dict[str, Any], **extra: Any) -> bytes:
    envelope = {
        "type": type_,
        "tts_notification_id": "1",
        "shop_id": "7494049642642441621",
        "timestamp": 1644412885,
        "data": data,
        **extra,
    }
    return json.dumps(envelope).encode()


# Built from the field lists of the reference §8.3 (it prints no full sample for these).
TOPIC_SAMPLES = [
    pytest.param(
        3,
        {"order_id": "576486316948490001", "update_time": 1644412885},
        RecipientAddressUpdate(order_id="576486316948490001", update_time=1644412885),
        id="3-address",
    ),
    pytest.param(
        4,
        {
            "sc_type": "SPLIT",
            "role_type": "ROLE_SELLER",
            "update_time": 1644412885,
            "package_list": [
                {
                    "package_id": "1152921504681690001",
                    "order_id_list": ["576486316948490001", "576486316948490002"],
                }
            ],
        },
        None,
        id="4-package",
    ),
    pytest.param(
        5,
        {
            "product_id": 1729382256910270001,
            "status": "PRODUCT_AUDIT_FAILURE",
            "suspended_reason": "Prohibited item",
            "update_time": 1644412885,
        },
        ProductStatusChange(
            product_id="1729382256910270001",
            status="PRODUCT_AUDIT_FAILURE",
            suspended_reason="Prohibited item",
            update_time=1644412885,
        ),
        id="5-product-numeric-id",
    ),
    pytest.param(
        6,
        {"message": "The seller has deauthorized your app."},
        SellerDeauthorization(message="The seller has deauthorized your app."),
        id="6-deauthorized",
    ),
    pytest.param(
        7,
        {"message": "Authorization expires soon", "expiration_time": "1645012885"},
        UpcomingAuthorizationExpiration(
            message="Authorization expires soon", expiration_time=1645012885
        ),
        id="7-expiring",
    ),
    pytest.param(
        11,
        {
            "order_id": "576486316948490001",
            "cancellations_role": "BUYER",
            "cancel_status": "CANCELLATION_REQUEST_PENDING",
            "cancel_id": "4035271385310001",
            "create_time": 1644412885,
        },
        CancellationStatusChange(
            order_id="576486316948490001",
            cancellations_role="BUYER",
            cancel_status="CANCELLATION_REQUEST_PENDING",
            cancel_id="4035271385310001",
            create_time=1644412885,
        ),
        id="11-cancellation",
    ),
    pytest.param(
        27,
        {
            "product_id": "1729382256910270001",
            "sku_id": "1729382256910270002",
            "trigger_reason": {"alert_type": "REALTIME", "lead_days": 3, "low_stock_threshold": 5},
            "current_inventory_status": "LOW_STOCK",
            "inventory_distribution": {
                "total_quantity": 10,
                "available_quantity": 4,
                "creator_reserved_quantity": 1,
                "campaign_reserved_quantity": 2,
                "committed_quantity": 3,
            },
            "update_time": 1644412885,
        },
        None,
        id="27-inventory",
    ),
]


@pytest.mark.parametrize(("type_", "data", "expected"), TOPIC_SAMPLES)
def test_each_documented_topic_decodes(type_: int, data: dict[str, Any], expected: object) -> None:
    event = parse_event(_push(type_, data))
    assert event.event_type == type_
    typed = event_data(event)
    if expected is not None:
        assert typed == expected


def test_package_update_fields() -> None:
    typed = event_data(parse_event(_push(4, TOPIC_SAMPLES[1].values[1])))  # type: ignore[arg-type]
    assert isinstance(typed, PackageUpdate)
    assert typed.sc_type == "SPLIT"
    assert typed.package_list[0].package_id == "1152921504681690001"
    assert typed.package_list[0].order_id_list == ["576486316948490001", "576486316948490002"]


def test_inventory_fields() -> None:
    typed = event_data(parse_event(_push(27, TOPIC_SAMPLES[6].values[1])))  # type: ignore[arg-type]
    assert isinstance(typed, InventoryStatusChange)
    assert typed.sku_id == "1729382256910270002"
    assert typed.current_inventory_status == "LOW_STOCK"
    assert typed.trigger_reason is not None
    assert typed.trigger_reason.low_stock_threshold == 5
    assert typed.inventory_distribution is not None
    assert typed.inventory_distribution.available_quantity == 4


def test_order_status_accepts_both_cancel_spellings_and_unknown_fields() -> None:
    for status in ("CANCEL", "CANCELLED", "PARTIALLY_SHIPPING"):
        data = {"order_id": "1", "order_status": status, "brand_new_field": [1]}
        typed = event_data(parse_event(_push(1, data, future_envelope_field=True)))
        assert isinstance(typed, OrderStatusChange)
        assert typed.order_status == status


def test_numeric_shop_id_becomes_text() -> None:
    body = b'{"type":1,"shop_id":7494049642642441621,"timestamp":1,"data":{"order_id":1}}'
    event = parse_event(body)
    assert event.shop_id == "7494049642642441621"
    assert event_data(event) == OrderStatusChange(order_id="1")


def test_an_unknown_topic_still_parses() -> None:
    event = parse_event(_push(999, {"whatever": {"nested": [1, 2]}}))
    assert event.type == 999
    assert event.event_type is None
    assert event_data(event) == {"whatever": {"nested": [1, 2]}}


def test_a_known_topic_without_its_id_is_a_payload_error() -> None:
    with pytest.raises(WebhookPayloadError):
        event_data(parse_event(_push(1, {"order_status": "UNPAID"})))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"type":1,',
        b"[1,2,3]",
        b'"a string"',
        b'{"shop_id":"1","timestamp":1,"data":{}}',
        b'{"type":1,"timestamp":1,"data":{}}',
        b'{"type":1,"shop_id":"1","data":{}}',
        b'{"type":1,"shop_id":"1","timestamp":1}',
        b'{"type":"one","shop_id":"1","timestamp":1,"data":{}}',
        b'{"type":1,"shop_id":"1","timestamp":1,"data":[]}',
        b"\xff\xfe\x00",
        b"[" * 100_000,
    ],
)
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_event(body)
    assert isinstance(caught.value, ProviderError)
    assert caught.value.title == "Bad webhook payload"


@given(body=st.binary(max_size=300), header=st.text(max_size=80))
def test_arbitrary_bytes_never_crash(body: bytes, header: str) -> None:
    assert verify(APP_KEY, APP_SECRET, body, header) in (True, False)
    with contextlib.suppress(WebhookPayloadError):
        event_data(parse_event(body))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_envelope_key = st.sampled_from(
    ["type", "shop_id", "timestamp", "data", "tts_notification_id", "order_id", "product_id"]
)


@given(
    type_=st.sampled_from([int(t) for t in EventType]) | st.integers(),
    data=st.dictionaries(_envelope_key | st.text(max_size=10), _json, max_size=6),
    extra=st.dictionaries(_envelope_key, _json, max_size=3),
)
def test_fuzzed_envelopes_only_raise_payload_errors(
    type_: int, data: dict[str, Any], extra: dict[str, Any]
) -> None:
    body = json.dumps({"type": type_, "shop_id": "1", "timestamp": 1, "data": data, **extra})
    with contextlib.suppress(WebhookPayloadError):
        event_data(parse_event(body.encode()))
