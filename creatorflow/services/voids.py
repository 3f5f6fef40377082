"""Voiding labels and following their refunds (DESIGN §5.5).

An order TikTok cancels after its label was bought, before the carrier's first scan, gets a
``void`` effect (``void:{shop}:{order}:{package}:{generation}``) and moves to ``voiding``;
``labels void ID`` does the same by hand. A worker claims the effect and asks the provider
to refund; the refund is then followed (each provider answers a repeated request with the
state of the first one, so asking again is safe) until it lands (``voided``) or is rejected
(``needs_attention`` with the provider's words). A crash at any point only means asking
again: there is never a second refund for the same label.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.domain.stages import Actor, Stage
from creatorflow.errors import AuthError, CreatorflowError, NotFoundError, UsageError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import Label, LabelProvider
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.store.tables import Shipment

__all__ = [
    "VOID",
    "VoidSummary",
    "label_from_shipment",
    "queue_voids",
    "request_void",
    "void_labels",
]

VOID = "void"
#: Refunds are refused by carriers after about 30 days (USPS via EasyPost); ask well before.
REFUND_WINDOW = timedelta(days=28)
#: A pending refund is asked about again after this long.
REFUND_RECHECK = timedelta(hours=6)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class VoidSummary:
    """What a void run did."""

    requested: int = 0
    refunded: int = 0
    pending: int = 0
    rejected: int = 0
    errors: int = 0


def label_from_shipment(shipment: Shipment) -> Label:
    """The provider's label, rebuilt from what the store kept of it."""
    from decimal import Decimal

    from creatorflow.integrations.shipping.base import Label, LabelFormat

    return Label(
        provider=shipment.provider,
        label_id=shipment.provider_transaction_id or "",
        tracking_number=shipment.tracking_number or "",
        carrier=shipment.carrier or "",
        service=shipment.service or "",
        cost=shipment.cost if shipment.cost is not None else Decimal(0),
        currency=shipment.currency or "USD",
        label_url=None,
        label_format=LabelFormat(shipment.label_format or LabelFormat.PDF_4X6.value),
        rate_id=shipment.provider_rate_id,
        shipment_id=shipment.provider_shipment_id,
        tracking_url=shipment.tracking_url,
    )


def _void_key(session: Session, shipment: Shipment) -> str:
    from creatorflow.store.tables import Order

    order = session.get(Order, shipment.order_id)
    assert order is not None
    return f"void:{order.shop_id}:{shipment.order_id}:{shipment.package_key}:{shipment.generation}"


def _journal(
    session: Session, shipment: Shipment, reason: str, now: datetime, *, move_order: bool = True
) -> bool:
    from creatorflow.services.label_records import move
    from creatorflow.store.effects import enqueue

    queued = enqueue(
        session,
        _void_key(session, shipment),
        VOID,
        order_id=shipment.order_id,
        request={"shipment_id": shipment.id, "reason": reason},
        now=now,
    )
    if queued and move_order:
        move(session, shipment.order_id, Stage.VOIDING, now=now, reason=reason)
    return queued


def queue_voids(services: Services, *, now: Callable[[], datetime] = _utcnow) -> int:
    """Journal a void for every label of a cancelled order that the carrier has not scanned."""
    from creatorflow.store.tables import Order, Shipment, ShipmentState

    moment = now()
    with services.store.write() as session:
        rows = session.scalars(
            select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Order.status == "CANCELLED",
                Shipment.state == ShipmentState.PURCHASED,
                Shipment.first_scan_at.is_(None),
            )
        ).all()
        return sum(
            _journal(session, row, "Cancelled on TikTok Shop after the label was bought.", moment)
            for row in rows
        )


def _unscanned_label(session: Session, order_id: str, verb: str, done: str) -> Shipment:
    """The order's current bought label, which the carrier has not scanned yet."""
    from creatorflow.store.tables import Shipment, ShipmentState

    shipment = session.scalars(
        select(Shipment)
        .where(Shipment.order_id == order_id.strip(), Shipment.state == ShipmentState.PURCHASED)
        .order_by(Shipment.generation.desc())
    ).first()
    if shipment is None:
        raise NotFoundError(f"Order {order_id.strip()} has no bought label to {verb}.")
    if shipment.first_scan_at is not None:
        raise UsageError(
            f"The carrier has already scanned this label; it cannot be {done}.",
            hint="Ask the carrier or the provider's support for a return instead.",
        )
    return shipment


def request_void(services: Services, order_id: str, *, reason: str | None = None) -> str:
    """Journal a void of an order's current label by hand (``labels void``); returns its key.

    Raises:
        NotFoundError: no bought label for this order. UsageError: the carrier scanned it.
    """
    with services.store.write() as session:
        shipment = _unscanned_label(session, order_id, "void", "voided")
        _journal(session, shipment, (reason or "Voided by hand.").strip(), _utcnow())
        return _void_key(session, shipment)


def _settle(
    services: Services,
    effect_id: int,
    worker: str,
    outcome: str,
    message: str | None,
    now: datetime,
) -> None:
    from creatorflow.services.label_records import move
    from creatorflow.store.effects import finish, give_up, retry_later
    from creatorflow.store.tables import Effect, Shipment, ShipmentState

    with services.store.write() as session:
        effect = session.get(Effect, effect_id)
        assert effect is not None
        assert effect.order_id is not None
        shipment = session.get(Shipment, int((effect.request or {})["shipment_id"]))
        assert shipment is not None
        if outcome in ("refunded", "not_applicable"):
            shipment.state = (
                ShipmentState.REFUNDED if outcome == "refunded" else ShipmentState.VOIDED
            )
            shipment.refund_state = outcome
            shipment.refunded_at = now if outcome == "refunded" else None
            shipment.voided_at = now
            finish(session, effect_id, worker, {"refund": outcome, "message": message}, now=now)
            move(session, effect.order_id, Stage.VOIDED, now=now, actor=Actor.DAEMON)
        elif outcome == "pending":
            shipment.state = ShipmentState.REFUND_PENDING
            shipment.refund_state = "pending"
            shipment.refund_requested_at = shipment.refund_requested_at or now
            retry_later(
                session,
                effect_id,
                worker,
                message or "refund pending",
                delay=REFUND_RECHECK,
                now=now,
            )
        else:
            shipment.refund_state = "rejected"
            give_up(session, effect_id, worker, message or "The refund was rejected.", now=now)
            move(
                session,
                effect.order_id,
                Stage.NEEDS_ATTENTION,
                now=now,
                reason=f"Refund rejected: {message or 'no reason given'}",
            )


def void_labels(
    services: Services,
    *,
    now: Callable[[], datetime] = _utcnow,
    order_ids: list[str] | None = None,
    crash_point: Callable[[str], None] = lambda _point: None,
) -> VoidSummary:
    """Ask providers to void the journaled labels, and follow pending refunds.

    ``crash_point("after_void")`` lets tests stop between the provider's answer and its record.

    Raises:
        AuthError: a provider or TikTok refused our credentials.
    """
    from creatorflow.integrations.shipping.base import VoidState
    from creatorflow.services.label_buying import worker_name
    from creatorflow.services.label_providers import build_outside_providers
    from creatorflow.services.label_records import later
    from creatorflow.store.effects import claim
    from creatorflow.store.tables import Effect, Order, Shipment, Shop

    summary = VoidSummary()
    worker = f"{worker_name()}:void"
    providers = build_outside_providers(services)
    with ExitStack() as stack:
        clients: list[TikTokClient] = []

        def provider_for(name: str, cipher: str) -> LabelProvider:
            if name == "tiktok_shipping":
                from creatorflow.integrations.shipping.tiktok_shipping import (
                    TikTokShippingProvider,
                )
                from creatorflow.services.tiktok_connection import open_client

                if not clients:
                    clients.append(stack.enter_context(open_client(services)))
                return TikTokShippingProvider(clients[0], cipher)
            found = providers.providers.get(name)
            if found is None:
                raise AuthError(
                    f"The label provider {name} is not connected any more.",
                    hint=f"Run `creatorflow connect {name}`.",
                )
            return found

        while True:
            moment = now()
            with services.store.write() as session:
                effect = claim(session, [VOID], worker=worker, now=moment, order_ids=order_ids)
                if effect is None:
                    return summary
                effect_id = effect.id
                shipment = session.get(Shipment, int((effect.request or {})["shipment_id"]))
                assert shipment is not None
                order = session.get(Order, shipment.order_id)
                assert order is not None
                shop = session.get(Shop, order.shop_id)
                assert shop is not None
                label = label_from_shipment(shipment)
                too_old = moment - shipment.created_at > REFUND_WINDOW
                cipher = shop.cipher
            if too_old:
                _settle(
                    services, effect_id, worker, "rejected", "The refund window has passed.", moment
                )
                summary.rejected += 1
                continue
            try:
                result = provider_for(label.provider, cipher).void(label)
                crash_point("after_void")
            except AuthError:
                raise
            except CreatorflowError as exc:
                with services.store.read() as session:
                    row = session.get(Effect, effect_id)
                    assert row is not None
                    attempts = row.attempts
                later(
                    services,
                    row,
                    worker,
                    exc.message,
                    delay=timedelta(minutes=5 * attempts),
                    now=now(),
                )
                summary.errors += 1
                continue
            summary.requested += 1
            outcome = {
                VoidState.REFUNDED: "refunded",
                VoidState.NOT_APPLICABLE: "not_applicable",
                VoidState.PENDING: "pending",
            }.get(result.state, "rejected")
            _settle(services, effect_id, worker, outcome, result.message, now())
            if outcome in ("refunded", "not_applicable"):
                summary.refunded += 1
            elif outcome == "pending":
                summary.pending += 1
            else:
                summary.rejected += 1


def rebuy_label(services: Services, order_id: str, *, reason: str) -> str:
    """Replace an order's label on purpose (damaged, wrong box): the old one is voided, a new
    one journaled (next generation), and TikTok's tracking corrected once it is bought.

    Only before the carrier's first scan. Returns the new label's journal key.

    Raises:
        NotFoundError: no bought label. UsageError: scanned already, or no reason given.
    """
    from creatorflow.integrations.shipping.base import LabelReference
    from creatorflow.services.label_records import LABEL, move
    from creatorflow.store.effects import enqueue
    from creatorflow.store.tables import Order, ShipmentState

    if not reason.strip():
        raise UsageError("Say why the label is bought again (--reason).")
    now = _utcnow()
    with services.store.write() as session:
        shipment = _unscanned_label(session, order_id, "replace", "replaced")
        order = session.get(Order, shipment.order_id)
        assert order is not None
        _journal(session, shipment, f"Replaced: {reason.strip()}", now, move_order=False)
        shipment.state = ShipmentState.VOIDING
        key = str(
            LabelReference(order.shop_id, order.id, shipment.package_key, shipment.generation + 1)
        )
        enqueue(
            session,
            key,
            LABEL,
            order_id=order.id,
            request={"rebuy_of": shipment.generation, "reason": reason.strip()},
            now=now,
        )
        move(session, order.id, Stage.PURCHASING, now=now, reason=reason.strip(), actor=Actor.CLI)
        return key
