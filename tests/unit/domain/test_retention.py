"""What of a TikTok order payload survives a buyer-data purge."""

from __future__ import annotations

from creatorflow.domain.retention import kept_payload_key, scrub_order_payload

PAYLOAD = {
    "id": "576001",
    "status": "DELIVERED",
    "create_time": 1_760_000_000,
    "paid_time": 1_760_000_100,
    "is_sample_order": False,
    "has_updated_recipient_address": False,
    "payment": {"total_amount": "24.99", "currency": "USD", "tax": "1.50"},
    "line_items": [{"id": "l1", "sku_id": "s1", "sale_price": "24.99"}],
    "tracking_number": "9400100000000000000000",
    "recipient_address": {"name": "Ada Lovelace", "full_address": "1 Main St, Springfield"},
    "buyer_email": "ada@example.com",
    "buyer_message": "leave at the door",
    "user_id": "7000123",
    "seller_note": "regular customer Ada",
    "payment_auth_code": "123456",
    "some_field_tiktok_adds_later": "?",
}


def test_buyer_data_is_dropped_and_money_ids_times_kept() -> None:
    scrubbed = scrub_order_payload(PAYLOAD)
    assert scrubbed is not None
    assert set(scrubbed) == {
        "id",
        "status",
        "create_time",
        "paid_time",
        "is_sample_order",
        "has_updated_recipient_address",
        "payment",
        "line_items",
        "tracking_number",
    }
    assert scrubbed["payment"] == PAYLOAD["payment"]
    assert "Ada" not in repr(scrubbed)
    assert "example.com" not in repr(scrubbed)


def test_unknown_fields_are_treated_as_personal() -> None:
    assert not kept_payload_key("some_field_tiktok_adds_later")
    assert kept_payload_key("delivery_time")


def test_no_payload_stays_none() -> None:
    assert scrub_order_payload(None) is None


def test_the_input_is_not_changed() -> None:
    copy = dict(PAYLOAD)
    scrub_order_payload(copy)
    assert copy == PAYLOAD
