"""Auto-approve approves exactly the ready orders the rules and the guards allow, as the
``rule`` actor; everything else stays ``new`` for a person, never held."""

from __future__ import annotations

from sqlalchemy import select, update

from creatorflow.domain.stages import Stage
from creatorflow.services.auto_approval import auto_approve
from creatorflow.services.context import Services
from creatorflow.store.tables import Effect, EventKind, Order, OrderEvent
from tests.integration.labels.conftest import World


def _stages(services: Services) -> dict[str, tuple[Stage, str | None]]:
    with services.store.read() as session:
        return {o.id: (o.stage, o.hold_reason) for o in session.scalars(select(Order))}


def test_only_orders_passing_rules_and_guards_are_approved(world: World) -> None:
    services = world.services
    with services.store.write() as session:
        session.execute(update(Order).values(units=1, country_code="US", buyer_message=None))
        ids = sorted(session.scalars(select(Order.id).where(Order.stage == Stage.NEW)))
        message, abroad, many, cancel_request, *fine = ids
        session.execute(
            update(Order).where(Order.id == message).values(buyer_message="Gift wrap please")
        )
        session.execute(update(Order).where(Order.id == abroad).values(country_code="CA"))
        session.execute(update(Order).where(Order.id == many).values(units=9))
        session.execute(
            update(Order).where(Order.id == cancel_request).values(buyer_cancel_requested=True)
        )

    summary = auto_approve(services)

    assert summary.checked == len(ids)
    assert sorted(summary.approved_ids) == sorted(fine)
    assert summary.approved == len(fine)
    assert summary.left == 4
    assert summary.reasons == {
        "buyer_cancel_request": 1,
        "buyer_message": 1,
        "outside_us": 1,
        "too_many_units": 1,
    }
    stages = _stages(services)
    for order_id in fine:
        assert stages[order_id] == (Stage.APPROVED, None)
    for order_id in (message, abroad, many, cancel_request):
        assert stages[order_id] == (Stage.NEW, None), order_id
    with services.store.read() as session:
        events = session.scalars(
            select(OrderEvent).where(
                OrderEvent.kind == EventKind.STAGE, OrderEvent.to_value == Stage.APPROVED.value
            )
        ).all()
        queued = set(session.scalars(select(Effect.order_id).where(Effect.kind == "label")))
    assert {event.order_id for event in events} == set(fine)
    assert {event.actor for event in events} == {"rule"}
    assert all((event.reason or "").startswith("Auto-approved (approve.auto)") for event in events)
    assert queued == set(fine)

    again = auto_approve(services)
    assert (again.checked, again.approved, again.left) == (4, 0, 4)


def test_the_rules_follow_the_settings(world: World) -> None:
    services = Services(
        paths=world.services.paths,
        environ={
            **world.services.environ,
            "CREATORFLOW_APPROVE_AUTO_MAX_UNITS": "2",
            "CREATORFLOW_APPROVE_AUTO_US_ONLY": "false",
            "CREATORFLOW_APPROVE_AUTO_WITHOUT_BUYER_MESSAGE": "false",
        },
        secret_store=world.services.secrets,
    )
    try:
        with services.store.write() as session:
            session.execute(update(Order).values(units=2, country_code="GB", buyer_message="hello"))
            first = session.scalars(select(Order.id).order_by(Order.id)).first()
            session.execute(update(Order).where(Order.id == first).values(units=3))
        summary = auto_approve(services)
        assert summary.left == 1
        assert summary.reasons == {"too_many_units": 1}
        assert summary.approved == summary.checked - 1
    finally:
        services.close()
