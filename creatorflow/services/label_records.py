"""The transactions of the label pipeline: each one short, none around a network call.

Every function here opens its own ``Store.write()`` (or read), changes the journal, the
shipment and the order's stage together, and returns. The callers in ``label_buying`` and
``tracking_push`` make the network calls between them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creatorflow.domain.stages import Actor, Stage, plan_transition
from creatorflow.errors import NotFoundError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.domain.guards import Refusal
    from creatorflow.integrations.shipping.base import Label
    from creatorflow.store.tables import Effect, Shop

__all__ = [
    "PUSH",
    "attention",
    "claim_label",
    "label_file",
    "later",
    "load_effect",
    "load_shop",
    "mark_attempt",
    "move",
    "next_label_due",
    "pending_labels",
    "record_label",
    "refuse",
    "renew_claim",
]

LABEL = "label"
PUSH = "push"


def move(
    session: Session,
    order_id: str,
    target: Stage,
    *,
    now: datetime,
    reason: str | None = None,
    actor: Actor = Actor.DAEMON,
) -> bool:
    """Move an order to ``target`` if the stage machine allows it; False (no-op) otherwise."""
    from creatorflow.domain.stages import can_move
    from creatorflow.store.order_events import apply_stage_change
    from creatorflow.store.tables import Order

    current = session.execute(select(Order.stage).where(Order.id == order_id)).scalar_one()
    if current is target or not can_move(current, target):
        return False
    change = plan_transition(current, target, actor=actor, now=now, reason=reason)
    apply_stage_change(session, order_id, change)
    return True


def load_effect(services: Services, effect_id: int) -> Effect:
    """A detached copy of one effect."""
    from creatorflow.store.tables import Effect

    with services.store.read() as session:
        effect = session.get(Effect, effect_id)
        if effect is None:
            raise NotFoundError(f"Effect {effect_id} is gone.")
        return effect


def load_shop(services: Services, shop_id: str) -> Shop:
    """A detached copy of one shop."""
    from creatorflow.store.tables import Shop

    with services.store.read() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFoundError(f"Shop {shop_id} is not connected.")
        return shop


def pending_labels(services: Services, order_ids: Collection[str] | None = None) -> int:
    """How many label effects wait to be worked (for the progress bar)."""
    from creatorflow.store.tables import Effect, EffectState

    query = (
        select(func.count())
        .select_from(Effect)
        .where(Effect.kind == LABEL, Effect.state.in_([EffectState.PENDING, EffectState.CLAIMED]))
    )
    if order_ids is not None:
        query = query.where(Effect.order_id.in_(list(order_ids)))
    with services.store.read() as session:
        return int(session.execute(query).scalar_one())


def claim_label(
    services: Services, worker: str, *, now: datetime, order_ids: Collection[str] | None = None
) -> tuple[int, str] | None:
    """Claim the next due label effect: its id and order, or None."""
    from creatorflow.store.effects import claim

    with services.store.write() as session:
        effect = claim(session, [LABEL], worker=worker, now=now, order_ids=order_ids)
        if effect is None:
            return None
        assert effect.order_id is not None
        return effect.id, effect.order_id


def _shipment(session: Session, effect: Effect) -> Any:
    from creatorflow.integrations.shipping.base import LabelReference
    from creatorflow.store.tables import Shipment

    reference = LabelReference.parse(effect.key)
    return session.scalars(
        select(Shipment).where(
            Shipment.order_id == reference.order_id,
            Shipment.package_key == reference.package,
            Shipment.generation == reference.generation,
        )
    ).first()


def mark_attempt(
    services: Services, effect: Effect, worker: str, rate: dict[str, Any], *, now: datetime
) -> None:
    """Commit that a purchase of ``rate`` is about to be made (the reconcile marker).

    The order moves to ``purchasing`` and a ``purchasing`` shipment row shows what is being
    bought; from here on, any later attempt asks the provider before buying.
    """
    from creatorflow.integrations.shipping.base import LabelReference
    from creatorflow.store.effects import note_request
    from creatorflow.store.tables import Shipment, ShipmentState

    reference = LabelReference.parse(effect.key)
    with services.store.write() as session:
        effect_row = note_request(session, effect.id, worker, {"attempt": rate}, now=now)
        move(session, reference.order_id, Stage.PURCHASING, now=now)
        shipment = _shipment(session, effect)
        if shipment is None:
            shipment = Shipment(
                order_id=reference.order_id,
                package_key=reference.package,
                generation=reference.generation,
                provider=rate["provider"],
            )
            session.add(shipment)
        shipment.provider = rate["provider"]
        shipment.provider_rate_id = rate["rate_id"]
        shipment.provider_shipment_id = rate.get("shipment_id")
        shipment.carrier = rate["carrier"]
        shipment.service = rate["service"]
        shipment.state = ShipmentState.PURCHASING
        session.flush()
        effect_row.shipment_id = shipment.id


def renew_claim(services: Services, effect: Effect, worker: str, *, now: datetime) -> None:
    """Fence before a purchase: still our claim, lease extended (LostClaim otherwise)."""
    from creatorflow.store.effects import renew

    with services.store.write() as session:
        renew(session, effect.id, worker, now=now)


def recorded_label_id(services: Services, label: Label) -> str | None:
    """The provider id of the label stored for a purchase with ``label``'s tracking number, if
    any (lets a worker tell its own label from a duplicate)."""
    from creatorflow.store.tables import Shipment

    with services.store.read() as session:
        found = session.scalars(
            select(Shipment.provider_transaction_id).where(
                Shipment.tracking_number == label.tracking_number
            )
        ).first()
        return found


def label_file(services: Services, order_id: str, generation: int, extension: str) -> Path:
    """Where a label's file is kept: ``data/labels/<order>-<generation>.<ext>``.

    An order id that is not a plain id (``order_mapping.is_order_id``: ASCII letters, digits,
    ``_`` and ``-``) is replaced by its digest, so that no id can name a file outside the
    folder (``../``, ``/``, ``\\``, a drive, NUL, a device name such as ``CON``).
    """
    import hashlib

    from creatorflow.services.order_mapping import is_order_id

    name = order_id
    if not is_order_id(order_id):
        digest = hashlib.sha256(order_id.encode("utf-8", "surrogatepass")).hexdigest()
        name = f"order-{digest[:32]}"
    return services.paths.data_dir / "labels" / f"{name}-{generation}.{extension}"


def record_label(
    services: Services,
    effect: Effect,
    worker: str,
    label: Label,
    content: bytes | None,
    *,
    now: datetime,
) -> None:
    """Store a bought (or adopted) label, its file, the order's stage, the next effect and the
    order's usage event for the billing service (queued once per order)."""
    from creatorflow.integrations.shipping.base import LabelFormat, LabelReference
    from creatorflow.store.billing import add_labelled
    from creatorflow.store.effects import enqueue, finish
    from creatorflow.store.tables import Shipment, ShipmentState

    reference = LabelReference.parse(effect.key)
    path: Path | None = None
    if content is not None:
        extension = "zpl" if label.label_format is LabelFormat.ZPL else "pdf"
        path = label_file(services, reference.order_id, reference.generation, extension)
        from creatorflow.fileio import write_atomically

        write_atomically(path, content)
    with services.store.write() as session:
        shipment = _shipment(session, effect)
        if shipment is None:
            shipment = Shipment(
                order_id=reference.order_id,
                package_key=reference.package,
                generation=reference.generation,
                provider=label.provider,
            )
            session.add(shipment)
        shipment.provider = label.provider
        shipment.provider_transaction_id = label.label_id
        shipment.provider_shipment_id = label.shipment_id or shipment.provider_shipment_id
        shipment.provider_rate_id = label.rate_id or shipment.provider_rate_id
        shipment.carrier = label.carrier
        shipment.service = label.service
        shipment.tracking_number = label.tracking_number
        shipment.tracking_url = label.tracking_url
        shipment.cost = label.cost
        shipment.currency = label.currency
        shipment.label_format = label.label_format.value
        shipment.label_path = str(path) if path is not None else None
        shipment.state = ShipmentState.PURCHASED
        session.flush()
        finish(
            session,
            effect.id,
            worker,
            {
                "provider": label.provider,
                "label_id": label.label_id,
                "tracking_number": label.tracking_number,
                "cost": str(label.cost),
                "currency": label.currency,
                "label_url": label.label_url,
                "shipment_id": shipment.id,
            },
            now=now,
        )
        move(session, reference.order_id, Stage.PURCHASING, now=now)
        move(session, reference.order_id, Stage.LABELLED, now=now)
        # Usage for the billing service, counted once per order whatever re-buys follow.
        add_labelled(session, reference.shop_id, reference.order_id, occurred_at=now)
        if label.provider == "tiktok_shipping":
            # TikTok bought the label itself: it already knows the tracking number.
            move(session, reference.order_id, Stage.SHIPPED, now=now)
        else:
            push_key = "push:" + str(reference).removeprefix("label:")
            enqueue(
                session,
                push_key,
                PUSH,
                order_id=reference.order_id,
                request={"shipment_id": shipment.id},
                now=now,
            )


def refuse(
    services: Services, effect: Effect, worker: str, refusals: Sequence[Refusal], *, now: datetime
) -> None:
    """A guard stopped the purchase: the order is held (or cancelled) with the reasons."""
    from creatorflow.domain.guards import RefusalCode
    from creatorflow.integrations.shipping.base import LabelReference
    from creatorflow.store.effects import finish

    reference = LabelReference.parse(effect.key)
    reason = "; ".join(refusal.reason for refusal in refusals)
    codes = [refusal.code.value for refusal in refusals]
    with services.store.write() as session:
        finish(session, effect.id, worker, {"refused": codes, "reason": reason}, now=now)
        if any(refusal.code is RefusalCode.CANCELLED for refusal in refusals):
            move(session, reference.order_id, Stage.CANCELLED, now=now, reason=reason)
        elif not move(session, reference.order_id, Stage.HELD, now=now, reason=reason):
            move(session, reference.order_id, Stage.NEEDS_ATTENTION, now=now, reason=reason)


def attention(
    services: Services, effect: Effect, worker: str, message: str, *, now: datetime
) -> None:
    """The provider refused for good: a person must read ``message``."""
    from creatorflow.integrations.shipping.base import LabelReference
    from creatorflow.store.effects import give_up
    from creatorflow.store.tables import ShipmentState

    reference = LabelReference.parse(effect.key)
    with services.store.write() as session:
        give_up(session, effect.id, worker, message, now=now)
        shipment = _shipment(session, effect)
        if shipment is not None:
            shipment.state = ShipmentState.FAILED
        move(session, reference.order_id, Stage.NEEDS_ATTENTION, now=now, reason=message)


def later(
    services: Services,
    effect: Effect,
    worker: str,
    message: str,
    *,
    delay: timedelta,
    now: datetime,
    bought: bool | None = None,
) -> None:
    """A transient failure: try again after ``delay``.

    ``bought=False`` says the provider refused the purchase outright (a 429), so the attempt
    marker is dropped and the next try buys without reconciling first.
    """
    from creatorflow.store.effects import retry_later

    with services.store.write() as session:
        row = retry_later(session, effect.id, worker, message, delay=delay, now=now)
        if bought is False and row.request and "attempt" in row.request:
            row.request = {k: v for k, v in row.request.items() if k != "attempt"}


def next_label_due(services: Services, order_ids: Collection[str] | None = None) -> datetime | None:
    """When the soonest waiting label effect is due again (None when none waits)."""
    from creatorflow.store.tables import Effect, EffectState

    query = select(func.min(Effect.next_attempt_at)).where(
        Effect.kind == LABEL, Effect.state == EffectState.PENDING
    )
    if order_ids is not None:
        query = query.where(Effect.order_id.in_(list(order_ids)))
    with services.store.read() as session:
        due: datetime | None = session.execute(query).scalar_one()
        return due
