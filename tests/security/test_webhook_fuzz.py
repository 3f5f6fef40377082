"""Fuzzed TikTok webhooks through ``accept_webhook`` and ``apply_webhook``, in-process.

- Any body with any ``Authorization`` value that is not the body's HMAC is rejected
  (``WebhookRejected``) before anything reads the body; the genuine signature, in either hex
  case and with surrounding blanks, is accepted.
- Any correctly signed body is either accepted or refused as malformed; never another
  exception. Accepted events of any shape are then applied without an exception other than
  CreatorFlow's own errors (which the receiver's worker logs), and an event never revokes a
  shop it does not name.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from creatorflow.errors import CreatorflowError
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import list_shops
from creatorflow.services.tiktok_webhooks import (
    AcceptedWebhook,
    RecentNotifications,
    WebhookMalformed,
    WebhookOutcome,
    WebhookRejected,
    accept_webhook,
    apply_webhook,
)
from tests.security.conftest import APP_KEY, APP_SECRET
from tests.security.strategies import any_json, hostile_text, plain_text

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def signature(body: bytes) -> str:
    """TikTok's webhook signature (reference §8.4), computed here independently."""
    return hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()


bodies = st.one_of(
    st.binary(max_size=300),
    any_json.map(msgspec.json.encode),
    st.just(b""),
    st.just(b"\xff\xfe{}"),
    st.just(b'{"type":1}' + b" " * 10_000),
)
bad_signatures = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=63, max_size=65),
    st.sampled_from(["", " ", "Bearer", "0" * 64, "\u0660" * 64, "g" * 64, "\x00" * 64]),
)


@FUZZ
@given(body=bodies, header=bad_signatures)
def test_a_wrong_signature_is_rejected_whatever_the_body(
    connected: Services, body: bytes, header: str
) -> None:
    assume(header.strip().lower() != signature(body))
    try:
        accept_webhook(connected, body, header)
    except WebhookRejected:
        return
    raise AssertionError(f"accepted {body[:60]!r} with {header!r}")


@FUZZ
@given(body=bodies, case=st.sampled_from([str.lower, str.upper]), pad=st.sampled_from(["", " "]))
def test_the_genuine_signature_gets_past_the_check_for_any_body(
    connected: Services, body: bytes, case: Any, pad: str
) -> None:
    try:
        accepted: AcceptedWebhook | WebhookMalformed = accept_webhook(
            connected, body, pad + case(signature(body)) + pad
        )
    except WebhookMalformed as exc:
        accepted = exc
    except WebhookRejected:
        # Only a body that is not UTF-8 is refused whatever its signature (TikTok sends JSON).
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return
        raise
    if isinstance(accepted, WebhookMalformed):
        assert accepted.message  # a reason the log can show


def _apply(services: Services, accepted: AcceptedWebhook) -> WebhookOutcome | CreatorflowError:
    """What the receiver's worker gets: an outcome, or one of CreatorFlow's errors (which it
    logs); any other exception escapes and fails the test."""
    try:
        return apply_webhook(services, accepted)
    except CreatorflowError as exc:
        return exc


ids = st.one_of(
    plain_text,
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.lists(plain_text, max_size=3),
    st.dictionaries(plain_text, plain_text, max_size=2),
)


#: Fixed for the session: a strategy must draw the same way every time it replays.
NOW = int(time.time())


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A webhook envelope whose every field may be wrong, hostile or missing."""
    now = NOW
    event: dict[str, Any] = {
        "type": draw(st.one_of(st.sampled_from([1, 3, 4, 6, 7, 11, 5, 27]), st.integers())),
        "shop_id": draw(st.one_of(st.just("7000000000000000001"), hostile_text, st.integers())),
        "timestamp": draw(
            st.one_of(
                st.just(now),
                st.integers(min_value=now - 100_000, max_value=now + 100_000),
                st.integers(min_value=-(2**70), max_value=2**70),
                st.text(max_size=12),
            )
        ),
        "tts_notification_id": draw(st.one_of(st.none(), plain_text, st.integers())),
        "data": draw(
            st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "order_id": ids,
                        "expiration_time": ids,
                        "message": hostile_text,
                        "update_time": st.integers(),
                        "package_list": st.one_of(
                            any_json,
                            st.lists(
                                st.fixed_dictionaries(
                                    {"package_id": ids, "order_id_list": st.lists(ids, max_size=4)}
                                ),
                                max_size=3,
                            ),
                        ),
                    },
                ),
                any_json,
            )
        ),
    }
    for key in draw(st.lists(st.sampled_from(list(event)), max_size=2, unique=True)):
        del event[key]
    return event


@FUZZ
@given(event=events())
def test_a_signed_event_of_any_shape_is_accepted_or_malformed_and_applies_cleanly(
    connected: Services, sim: TikTokShopSimulator, event: dict[str, Any]
) -> None:
    body = msgspec.json.encode(event)
    seen = RecentNotifications()
    try:
        accepted = accept_webhook(connected, body, signature(body), seen=seen)
    except WebhookMalformed:
        return
    assert accepted.shop_id == str(event["shop_id"])
    # A second delivery of the same bytes is a duplicate (whatever the id looks like).
    assert accept_webhook(connected, body, signature(body), seen=seen).duplicate
    outcome = _apply(connected, accepted)
    if isinstance(outcome, CreatorflowError):  # the worker logs these
        assert outcome.message
    # None of these events names the connected shop: it stays authorised.
    assert all(shop.active for shop in list_shops(connected))


@FUZZ
@given(
    type_=st.sampled_from([1, 3, 4, 11]),
    order_ids=st.lists(st.one_of(hostile_text, st.integers()), min_size=1, max_size=60),
)
def test_order_events_with_hostile_ids_for_the_real_shop_never_crash(
    connected: Services, sim: TikTokShopSimulator, type_: int, order_ids: list[Any]
) -> None:
    if type_ == 4:
        data: dict[str, Any] = {"package_list": [{"package_id": "1", "order_id_list": order_ids}]}
    else:
        data = {"order_id": order_ids[0]}
    event = {"type": type_, "shop_id": sim.shops[0].id, "timestamp": NOW, "data": data}
    body = msgspec.json.encode(event)
    try:
        accepted = accept_webhook(connected, body, signature(body))
    except WebhookMalformed:
        return
    outcome = _apply(connected, accepted)
    if isinstance(outcome, CreatorflowError):  # TikTok refused the ids: logged, dropped
        assert outcome.message
    else:
        assert outcome.action in {"order refreshed", "order unchanged", "quarantined", "noted"}
    assert all(shop.active for shop in list_shops(connected))
