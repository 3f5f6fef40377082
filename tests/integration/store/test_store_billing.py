"""The billing tables: the outbox insert is idempotent on both backends, unsent and committed
usage are counted, and the sign-in row is replaced whole."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from creatorflow.domain.entitlement import usage_event_id
from creatorflow.domain.stages import Stage
from creatorflow.store.billing import (
    add_labelled,
    billing_state,
    clear_billing_state,
    committed_orders,
    mark_failed,
    mark_sent,
    note_trusted_time,
    prune_sent,
    save_sign_in,
    save_token,
    unsent_count,
    unsent_events,
)
from creatorflow.store.session import Store
from creatorflow.store.tables import Order, UsageEvent
from tests.integration.store.conftest import T0


def test_labelled_is_queued_once_per_order(store: Store) -> None:
    with store.write() as session:
        assert add_labelled(session, "7000001", "576", occurred_at=T0) is True
        assert add_labelled(session, "7000001", "576", occurred_at=T0 + timedelta(hours=1)) is False
        assert add_labelled(session, "7000002", "576", occurred_at=T0) is True
    with store.write() as session:
        # Another transaction (a re-buy, a second station): still nothing new.
        assert add_labelled(session, "7000001", "576", occurred_at=T0 + timedelta(days=1)) is False
    with store.read() as session:
        rows = {row.event_id: row for row in session.scalars(select(UsageEvent))}
    first = rows[usage_event_id("7000001", "576")]
    assert (first.shop_id, first.order_id, first.occurred_at) == ("7000001", "576", T0)
    assert first.sent_at is None
    assert first.attempts == 0
    assert len(rows) == 2


def test_unsent_events_go_oldest_first_and_leave_when_sent(store: Store) -> None:
    with store.write() as session:
        for n in range(5):
            add_labelled(session, "s", f"o{n}", occurred_at=T0 - timedelta(hours=n))
    with store.read() as session:
        batch = [row.order_id for row in unsent_events(session, limit=3)]
        assert batch == ["o4", "o3", "o2"]
        assert unsent_count(session) == 5
        assert unsent_count(session, start=T0 - timedelta(hours=2), end=T0) == 2
    with store.write() as session:
        mark_failed(session, [usage_event_id("s", "o4")], "Network error: " + "x" * 900)
        mark_sent(session, [usage_event_id("s", o) for o in ("o3", "o2")], now=T0)
    with store.read() as session:
        assert [row.order_id for row in unsent_events(session, limit=9)] == ["o4", "o1", "o0"]
        failed = session.get(UsageEvent, usage_event_id("s", "o4"))
        assert failed is not None
        assert failed.attempts == 1
        assert failed.last_error is not None
        assert len(failed.last_error) == 500
    with store.write() as session:
        assert prune_sent(session, before=T0) == 0
        assert prune_sent(session, before=T0 + timedelta(seconds=1)) == 2


def test_approved_orders_count_until_their_label_is_queued(
    store: Store, add_order: Callable[..., Order]
) -> None:
    with store.write() as session:
        add_order(session, "1", Stage.APPROVED)
        add_order(session, "2", Stage.PURCHASING)
        add_order(session, "3", Stage.NEW)
        add_order(session, "4", Stage.LABELLED)
        assert committed_orders(session) == 2
        add_labelled(session, "7000001", "4", occurred_at=T0)
        # A voided order approved again was counted already.
        add_labelled(session, "7000001", "1", occurred_at=T0)
        assert committed_orders(session) == 1
        session.execute(update(Order).where(Order.id == "2").values(stage=Stage.LABELLED))
        assert committed_orders(session) == 0


def test_sign_in_state_is_one_row_replaced_whole(store: Store) -> None:
    with store.write() as session:
        assert billing_state(session) is None
        save_sign_in(session, "inst_1", "acct_1", now=T0)
        state = billing_state(session, for_update=True)
        assert state is not None
        save_token(state, "cfe1.a.b", T0 + timedelta(minutes=1), now=T0)
        note_trusted_time(state, T0)  # earlier than the token: the trusted time stays
    with store.read() as session:
        state = billing_state(session)
        assert state is not None
        assert (state.install_id, state.token) == ("inst_1", "cfe1.a.b")
        assert state.newest_iat == state.trusted_at == T0 + timedelta(minutes=1)
    with store.write() as session:
        save_sign_in(session, "inst_2", "acct_1", now=T0 + timedelta(days=1))
    with store.write() as session:
        state = billing_state(session)
        assert state is not None
        assert (state.install_id, state.token, state.newest_iat) == ("inst_2", None, None)
        clear_billing_state(session)
    with store.read() as session:
        assert billing_state(session) is None
