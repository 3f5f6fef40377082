"""The transactions of the tracking push (see ``tracking_push``): each short, none around a call."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from creatorflow.domain.stages import Stage
from creatorflow.errors import NotFoundError
from creatorflow.services.context import Services
from creatorflow.services.label_records import PUSH, move

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import TikTokClient

__all__ = [
    "PushJob",
    "claim_push",
    "load_push",
    "mark_push_attempt",
    "push_attention",
    "push_later",
    "pushed",
    "tiktok_has_tracking",
]


@dataclass(frozen=True)
class PushJob:
    """Everything one push needs, read in one short transaction."""

    effect_id: int
    order_id: str
    shipment_id: int
    cipher: str
    tracking_number: str
    carrier: str
    delivery_option_id: str | None
    line_item_ids: tuple[str, ...]
    attempted: bool
    #: Claims of this push so far, this one included (for the back-off).
    attempts: int = 1
    #: TikTok already has an earlier label's tracking (a re-buy): correct it, don't mark again.
    correction: bool = False


def claim_push(
    services: Services, worker: str, *, now: datetime, order_ids: Collection[str] | None = None
) -> int | None:
    """Claim the next due push effect, or None."""
    from creatorflow.store.effects import claim

    with services.store.write() as session:
        effect = claim(session, [PUSH], worker=worker, now=now, order_ids=order_ids)
        return None if effect is None else effect.id


def load_push(services: Services, effect_id: int) -> PushJob:
    """The push's order, label and shop."""
    from creatorflow.store.tables import Effect, EffectState, Order, OrderLine, Shipment, Shop

    with services.store.read() as session:
        effect = session.get(Effect, effect_id)
        if effect is None or effect.order_id is None:
            raise NotFoundError(f"Push {effect_id} is gone.")
        shipment_id = int((effect.request or {})["shipment_id"])
        shipment = session.get(Shipment, shipment_id)
        order = session.get(Order, effect.order_id)
        if shipment is None or order is None or not shipment.tracking_number:
            raise NotFoundError(f"The label of push {effect.key} is gone.")
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        lines = session.scalars(
            select(OrderLine.id).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        ).all()
        earlier = session.scalars(
            select(Effect.id).where(
                Effect.order_id == order.id,
                Effect.kind == PUSH,
                Effect.state == EffectState.DONE,
                Effect.id != effect.id,
            )
        ).first()
        return PushJob(
            effect_id=effect.id,
            order_id=order.id,
            shipment_id=shipment.id,
            cipher=shop.cipher,
            tracking_number=shipment.tracking_number,
            carrier=shipment.carrier or "",
            delivery_option_id=order.delivery_option_id,
            line_item_ids=tuple(lines),
            attempted="attempt" in (effect.request or {}),
            attempts=effect.attempts,
            correction=earlier is not None,
        )


def tiktok_has_tracking(client: TikTokClient, job: PushJob) -> bool:
    """Whether TikTok already shows this label's tracking number on the order."""
    page = client.order_details(job.cipher, [job.order_id])
    for decoded in page.orders:
        order = decoded.order
        if order.tracking_number == job.tracking_number:
            return True
        if any(line.tracking_number == job.tracking_number for line in order.line_items):
            return True
    return False


def mark_push_attempt(
    services: Services, job: PushJob, worker: str, provider_id: str, *, now: datetime
) -> None:
    """Commit that the push is about to be sent (a later attempt reconciles first)."""
    from creatorflow.store.effects import note_request

    with services.store.write() as session:
        note_request(
            session, job.effect_id, worker, {"attempt": {"provider_id": provider_id}}, now=now
        )


def pushed(
    services: Services,
    job: PushJob,
    worker: str,
    *,
    package_id: str | None,
    warning: str | None,
    now: datetime,
) -> None:
    """TikTok has the tracking number: the order is ``shipped`` (warning kept if any)."""
    from creatorflow.store.effects import finish
    from creatorflow.store.tables import EventKind, OrderEvent

    with services.store.write() as session:
        finish(
            session,
            job.effect_id,
            worker,
            {"package_id": package_id, "warning": warning, "tracking_number": job.tracking_number},
            now=now,
        )
        move(session, job.order_id, Stage.SHIPPED, now=now)
        if warning:
            session.add(
                OrderEvent(
                    order_id=job.order_id,
                    at=now,
                    actor="daemon",
                    kind=EventKind.NOTE,
                    reason=f"TikTok warning on the tracking number: {warning}",
                )
            )


def push_later(
    services: Services, job: PushJob, worker: str, message: str, delay: timedelta, now: datetime
) -> None:
    """A transient failure: push again after ``delay``."""
    from creatorflow.store.effects import retry_later

    with services.store.write() as session:
        retry_later(session, job.effect_id, worker, message, delay=delay, now=now)


def push_attention(
    services: Services, job: PushJob, worker: str, message: str, *, now: datetime
) -> None:
    """TikTok refused the tracking number for good: a person must look."""
    from creatorflow.store.effects import give_up

    with services.store.write() as session:
        give_up(session, job.effect_id, worker, message, now=now)
        move(session, job.order_id, Stage.NEEDS_ATTENTION, now=now, reason=message)
