"""The effect journal: one intent per key, one worker per claim, outcomes only by the holder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from creatorflow.store.effects import LostClaim, claim, enqueue, finish, give_up, retry_later
from creatorflow.store.session import Store
from creatorflow.store.tables import Effect, EffectState, Order

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = "label:s1:576000000000000001:1:1"


def _journal(store: Store, add_order: Callable[..., Order]) -> None:
    with store.write() as session:
        add_order(session, "576000000000000001")
        assert enqueue(session, KEY, "label", order_id="576000000000000001", request={}, now=NOW)
    with store.write() as session:
        assert not enqueue(session, KEY, "label", order_id=None, request=None, now=NOW)


def test_one_intent_per_key_and_one_claim_at_a_time(
    store: Store, add_order: Callable[..., Order]
) -> None:
    _journal(store, add_order)
    with store.write() as session:
        first = claim(session, ["label"], worker="a", now=NOW)
        assert first is not None
        assert (first.attempts, first.claimed_by) == (1, "a")
    with store.write() as session:
        assert claim(session, ["label"], worker="b", now=NOW + timedelta(minutes=1)) is None
    with store.write() as session:
        finish(session, first.id, "a", {"tracking": "9400"}, now=NOW)
    with store.read() as session:
        done = session.get(Effect, first.id)
        assert done is not None
        assert done.state is EffectState.DONE
        assert done.result == {"tracking": "9400"}


def test_an_expired_lease_is_claimed_again_and_the_late_worker_is_fenced_off(
    store: Store, add_order: Callable[..., Order]
) -> None:
    _journal(store, add_order)
    with store.write() as session:
        first = claim(session, ["label"], worker="a", now=NOW, lease=timedelta(minutes=5))
        assert first is not None
    later = NOW + timedelta(minutes=6)
    with store.write() as session:
        second = claim(session, ["label"], worker="b", now=later)
        assert second is not None
        assert (second.id, second.attempts, second.claimed_by) == (first.id, 2, "b")
    with store.write() as session, pytest.raises(LostClaim):
        finish(session, first.id, "a", {"late": True}, now=later)
    with store.write() as session:
        give_up(session, first.id, "b", "Address rejected by the carrier.", now=later)
    with store.read() as session:
        effect = session.get(Effect, first.id)
        assert effect is not None
        assert effect.state is EffectState.NEEDS_ATTENTION
        assert effect.last_error == "Address rejected by the carrier."


def test_retry_later_waits_for_its_time(store: Store, add_order: Callable[..., Order]) -> None:
    _journal(store, add_order)
    with store.write() as session:
        effect = claim(session, ["label"], worker="a", now=NOW)
        assert effect is not None
        retry_later(session, effect.id, "a", "HTTP 503", delay=timedelta(seconds=30), now=NOW)
    with store.write() as session:
        assert claim(session, ["label"], worker="a", now=NOW + timedelta(seconds=10)) is None
    with store.write() as session:
        again = claim(session, ["label"], worker="a", now=NOW + timedelta(seconds=31))
        assert again is not None
        assert again.last_error == "HTTP 503"
        assert again.attempts == 2
