"""The order stage machine: allowed moves, reasons, and timezone-aware times."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.stages import (
    ALLOWED,
    NEEDS_REASON,
    TERMINAL,
    Actor,
    Stage,
    can_move,
    plan_transition,
)
from creatorflow.errors import InvalidTransitionError

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_every_stage_has_a_rule() -> None:
    assert set(ALLOWED) == set(Stage)
    assert {Stage.DELIVERED, Stage.CANCELLED, Stage.VOIDED} == TERMINAL


def test_happy_path_is_allowed() -> None:
    path = [
        Stage.NEW,
        Stage.APPROVED,
        Stage.PURCHASING,
        Stage.LABELLED,
        Stage.SHIPPED,
        Stage.IN_TRANSIT,
        Stage.DELIVERED,
    ]
    for current, target in pairwise(path):
        change = plan_transition(current, target, actor=Actor.DAEMON, now=NOW)
        assert (change.from_stage, change.to_stage, change.at) == (current, target, NOW)


def test_a_delivered_order_cannot_be_bought_again() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        plan_transition(Stage.DELIVERED, Stage.PURCHASING, actor=Actor.CLI, now=NOW)
    assert "final" in (caught.value.hint or "")


def test_new_orders_cannot_skip_approval() -> None:
    assert not can_move(Stage.NEW, Stage.PURCHASING)


def test_cancel_after_label_goes_through_voiding() -> None:
    assert not can_move(Stage.LABELLED, Stage.CANCELLED)
    assert can_move(Stage.LABELLED, Stage.VOIDING)
    assert can_move(Stage.VOIDING, Stage.VOIDED)


@pytest.mark.parametrize("target", sorted(NEEDS_REASON))
def test_hold_and_attention_need_a_reason(target: Stage) -> None:
    with pytest.raises(InvalidTransitionError):
        plan_transition(Stage.NEW, target, actor=Actor.CLI, now=NOW, reason="   ")
    change = plan_transition(Stage.NEW, target, actor=Actor.CLI, now=NOW, reason=" no weight ")
    assert change.reason == "no weight"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_transition(Stage.NEW, Stage.APPROVED, actor=Actor.CLI, now=datetime(2026, 1, 1))


@given(st.sampled_from(list(Stage)), st.sampled_from(list(Stage)))
def test_plan_transition_agrees_with_the_table(current: Stage, target: Stage) -> None:
    reason = "because" if target in NEEDS_REASON else None
    if target in ALLOWED[current]:
        assert plan_transition(current, target, actor=Actor.RULE, now=NOW, reason=reason)
    else:
        with pytest.raises(InvalidTransitionError):
            plan_transition(current, target, actor=Actor.RULE, now=NOW, reason=reason)
