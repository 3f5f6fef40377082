"""Approve → buy → push tracking against the simulators: once per order, whatever happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from creatorflow.domain.stages import Stage
from creatorflow.services.approval import approve_orders
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.tracking_push import push_tracking
from creatorflow.store.tables import Effect, EffectState, Order
from tests.integration.labels.conftest import World


class SimulatedCrash(BaseException):
    """The process dying at a crash point (not an error anything may catch)."""


def _stages(world: World) -> dict[str, int]:
    with world.services.store.read() as session:
        rows = session.execute(select(Order.stage, func.count()).group_by(Order.stage)).all()
        return {stage.value: int(count) for stage, count in rows}


def _approved_ids(world: World) -> list[str]:
    summary = approve_orders(world.services, all_ready=True)
    return [result.order_id for result in summary.results if result.approved]


def test_every_approved_order_gets_one_label_and_tracking(world: World) -> None:
    approved = _approved_ids(world)
    assert len(approved) == 12
    summary = buy_labels(world.services, workers=3)
    assert summary.bought == 12
    assert summary.needs_attention == 0
    pushed = push_tracking(world.services)
    assert pushed.pushed == 12 - summary_tiktok(world)
    assert _stages(world) == {"shipped": 12}
    assert world.duplicates() == 0
    ship_calls = world.tiktok.stats()["ship_calls"]
    assert isinstance(ship_calls, dict)
    assert all(int(n) == 1 for n in ship_calls.values())
    # Running again buys nothing more.
    again = buy_labels(world.services)
    assert again.bought == 0
    assert world.duplicates() == 0


def summary_tiktok(world: World) -> int:
    labels = world.tiktok.stats()["label_purchases"]
    assert isinstance(labels, dict)
    return len(labels)


@pytest.mark.parametrize("point", ["before_buy", "after_buy", "before_record"])
def test_a_crash_at_any_point_never_buys_twice(world: World, point: str) -> None:
    _approved_ids(world)
    hits = {"n": 0}

    def crash(at: str) -> None:
        if at == point:
            hits["n"] += 1
            if hits["n"] == 3:
                raise SimulatedCrash(at)

    with pytest.raises(SimulatedCrash):
        buy_labels(world.services, workers=1, crash_point=crash)
    # The dead worker's claim expires; the next run reconciles before buying.
    later = datetime.now(UTC) + timedelta(minutes=10)
    summary = buy_labels(world.services, workers=2, now=lambda: later)
    assert summary.bought + summary.adopted >= 1
    push_tracking(world.services, now=lambda: later)
    assert _stages(world) == {"shipped": 12}
    assert world.duplicates() == 0
    assert all(n == 1 for n in world.purchases_per_order().values())
    if point != "before_buy":
        assert summary.adopted == 1  # the crashed purchase was found, not bought again


def test_an_order_cancelled_after_approval_is_not_bought(world: World) -> None:
    approved = _approved_ids(world)
    victim = approved[0]
    world.tiktok.set_order_status(victim, "CANCELLED")
    summary = buy_labels(world.services)
    assert summary.held == 1
    with world.services.store.read() as session:
        order = session.get(Order, victim)
        assert order is not None
        assert order.stage is Stage.CANCELLED
    assert victim not in world.purchases_per_order()


def test_faults_on_every_provider_call_still_end_with_one_label_each(world: World) -> None:
    _approved_ids(world)
    for sim in (world.shippo, world.easypost):
        sim.faults.error_rate = 0.2
        sim.faults.kinds = frozenset({"5xx", "429", "drop"})
    now = datetime.now(UTC)
    for round_ in range(12):
        moment = now + timedelta(hours=round_)
        buy_labels(world.services, workers=3, now=lambda m=moment: m, wait_up_to=timedelta(0))
        with world.services.store.read() as session:
            waiting = session.execute(
                select(func.count())
                .select_from(Effect)
                .where(Effect.kind == "label", Effect.state != EffectState.DONE)
            ).scalar_one()
        if not waiting:
            break
    for sim in (world.shippo, world.easypost):
        sim.faults.error_rate = 0.0
    push_tracking(world.services, now=lambda: now + timedelta(hours=13))
    assert world.duplicates() == 0
    assert all(n == 1 for n in world.purchases_per_order().values())
    stages = _stages(world)
    assert stages.get("shipped", 0) + stages.get("labelled", 0) == 12


def test_a_stop_request_claims_nothing_more_and_the_rest_waits(world: World) -> None:
    approved = _approved_ids(world)
    asked: list[bool] = []

    def stopping() -> bool:
        # Asked to stop once the first label is bought: that purchase finishes, no new claim.
        return bool(asked)

    summary = buy_labels(
        world.services, workers=1, progress=lambda _p: asked.append(True), stopping=stopping
    )
    assert summary.bought == 1
    with world.services.store.read() as session:
        waiting = session.scalar(
            select(func.count()).select_from(Order).where(Order.stage == Stage.APPROVED)
        )
    assert waiting == len(approved) - 1
    assert buy_labels(world.services).bought == len(approved) - 1
