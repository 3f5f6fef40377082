"""Storing a page of synced orders: one transaction, bulk statements, never backwards.

The caller opens the write transaction (``Store.write()``) and calls :func:`store_order_page`
once per page of TikTok orders, so a page lands whole or not at all. Inside it:

* one ``SELECT`` reads what is stored of the page's orders (``FOR UPDATE`` on PostgreSQL, so
  two stations syncing the same shop serialise on those rows; SQLite's ``BEGIN IMMEDIATE``
  already serialises the whole transaction);
* new orders are inserted with one ``executemany``, changed orders updated with another, and
  their lines replaced; an order event is written for every status change;
* an order whose incoming ``update_time`` is older than the stored one is left alone: a slow
  page or an old webhook never moves an order backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.orders import OrderRecord, initial_stage
from creatorflow.domain.stages import ALLOWED, Actor, Stage
from creatorflow.store.bulk import RowWriter, insert_many, row_writer
from creatorflow.store.tables import EventKind, Order, OrderEvent, OrderLine
from creatorflow.store.types import JsonText

__all__ = ["PageOutcome", "PreparedPage", "prepare_order_page", "store_order_page"]

_ORDERS: Table = Order.__table__  # type: ignore[assignment]
_LINES: Table = OrderLine.__table__  # type: ignore[assignment]
_EVENTS: Table = OrderEvent.__table__  # type: ignore[assignment]

#: Stages from which a cancellation by TikTok simply ends the order. Later stages own a label
#: that must be voided first; the label workflow moves those.
_CANCEL_ENDS = frozenset(stage for stage in ALLOWED if Stage.CANCELLED in ALLOWED[stage])


@dataclass
class PageOutcome:
    """What one page did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    #: Orders kept aside because a line of theirs belongs to another order.
    quarantined: int = 0
    status_changes: list[tuple[str, str | None, str]] = field(default_factory=list)

    def add(self, other: PageOutcome) -> None:
        """Accumulate another page's outcome into this one."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.quarantined += other.quarantined
        self.status_changes.extend(other.status_changes)


@dataclass(frozen=True, slots=True)
class _Stored:
    status: str
    updated_at: datetime
    address_masked: bool
    stage: Stage


def _order_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": record.id,
        "shop_id": record.shop_id,
        "status": record.status,
        "buyer_cancel_requested": record.buyer_cancel_requested,
        "tiktok_created_at": record.created_at,
        "tiktok_updated_at": record.updated_at,
        "paid_at": record.paid_at,
        "shipping_due_at": record.shipping_due_at,
        "collection_due_at": record.collection_due_at,
        "delivery_due_at": record.delivery_due_at,
        "total_amount": record.total_amount,
        "shipping_fee": record.shipping_fee,
        "currency": record.currency,
        "units": record.units,
        "address_masked": record.address_masked,
        "recipient_name": record.recipient_name,
        "recipient_phone": record.recipient_phone,
        "address_line1": record.address_line1,
        "address_line2": record.address_line2,
        "address_line3": record.address_line3,
        "address_line4": record.address_line4,
        "city": record.city,
        "state": record.state,
        "postal_code": record.postal_code,
        "country_code": record.country_code,
        "delivery_option_id": record.delivery_option_id,
        "shipping_type": record.shipping_type,
        "fulfillment_type": record.fulfillment_type,
        "buyer_message": record.buyer_message,
        "raw": JsonText(record.raw) if record.raw is not None else None,
        "synced_at": now,
    }


def _line_values(record: OrderRecord) -> list[dict[str, Any]]:
    return [
        {
            "id": line.id,
            "order_id": record.id,
            "sku_id": line.sku_id,
            "seller_sku": line.seller_sku,
            "product_id": line.product_id,
            "product_name": line.product_name,
            "sku_name": line.sku_name,
            "unit_price": line.unit_price,
            "original_price": line.original_price,
            "currency": line.currency,
            "package_id": line.package_id,
            "is_gift": line.is_gift,
            "display_status": line.display_status,
            "cancel_reason": line.cancel_reason,
        }
        for line in record.lines
    ]


_LINE_KEYS = [
    "id",
    "order_id",
    "sku_id",
    "seller_sku",
    "product_id",
    "product_name",
    "sku_name",
    "unit_price",
    "original_price",
    "currency",
    "package_id",
    "is_gift",
    "display_status",
    "cancel_reason",
]


def _event(
    order_id: str, at: datetime, kind: EventKind, old: str | None, new: str
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "at": at,
        "actor": Actor.SYNC.value,
        "kind": kind.value,
        "from_value": old,
        "to_value": new,
        "reason": None,
    }


def _read_stored(session: Session, ids: Sequence[str]) -> dict[str, _Stored]:
    query = select(
        Order.id, Order.status, Order.tiktok_updated_at, Order.address_masked, Order.stage
    ).where(Order.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {
        row.id: _Stored(row.status, row.tiktok_updated_at, row.address_masked, row.stage)
        for row in session.execute(query)
    }


def _line_clashes(session: Session, records: Sequence[OrderRecord]) -> dict[str, str]:
    """Orders of the page naming a line that belongs to another order, with the reason.

    Line ids are global keys: a second order claiming one (a corrupt or hostile payload) would
    fail the whole page's insert, and the sync would stop there for good. The first claimant
    (already stored, or earlier in the page) keeps the line; the other order is quarantined.
    """
    wanted = [line.id for record in records for line in record.lines]
    if not wanted:
        return {}
    rows = session.execute(select(_LINES.c.id, _LINES.c.order_id).where(_LINES.c.id.in_(wanted)))
    owners: dict[str, str] = {str(line_id): str(order_id) for line_id, order_id in rows}
    clashes: dict[str, str] = {}
    for record in records:
        other = next(
            (
                (line.id, owners[line.id])
                for line in record.lines
                if owners.get(line.id, record.id) != record.id
            ),
            None,
        )
        if other is not None:
            clashes[record.id] = f"line {other[0]} already belongs to order {other[1]}"
            continue
        for line in record.lines:
            owners[line.id] = record.id
    return clashes


def _quarantine_clashes(
    session: Session, records: Sequence[OrderRecord], clashes: dict[str, str], now: datetime
) -> None:
    from creatorflow.store.sync_state import Rejected, quarantine

    for record in records:
        reason = clashes.get(record.id)
        if reason is not None:
            rejected = Rejected(record.raw or "{}", reason, record.id)
            quarantine(session, record.shop_id, "orders", [rejected], now=now)


def _new_order_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    values = _order_values(record, now)
    values["first_seen_at"] = now
    values["stage"] = initial_stage(record.status)
    values["stage_changed_at"] = now
    values["version"] = 1
    values["possibly_lost"] = False
    return values


@dataclass(frozen=True)
class PreparedPage:
    """A page of orders with its insert rows already converted for the database.

    Made by :func:`prepare_order_page` without a connection, so a sync can prepare the next
    page while the current one is being written.
    """

    records: Sequence[OrderRecord]
    now: datetime
    order_rows: list[Any]
    line_rows: list[list[Any]]
    orders_writer: RowWriter | None
    lines_writer: RowWriter | None


def prepare_order_page(
    dialect: Dialect, records: Sequence[OrderRecord], *, now: datetime
) -> PreparedPage:
    """Convert a page's rows for :func:`store_order_page` ahead of its transaction."""
    if not records:
        return PreparedPage(records, now, [], [], None, None)
    first = _new_order_values(records[0], now)
    orders_writer = row_writer(dialect, _ORDERS, list(first))
    lines_writer = row_writer(dialect, _LINES, _LINE_KEYS)
    return PreparedPage(
        records=records,
        now=now,
        order_rows=[orders_writer.convert(_new_order_values(r, now)) for r in records],
        line_rows=[[lines_writer.convert(row) for row in _line_values(r)] for r in records],
        orders_writer=orders_writer,
        lines_writer=lines_writer,
    )


def store_order_page(
    session: Session, page: PreparedPage | Sequence[OrderRecord], *, now: datetime
) -> PageOutcome:
    """Insert new orders and update changed ones, inside the caller's write transaction.

    An order counts as changed when its ``update_time`` moved forward, or when the same
    version now brings an address that was masked before (the refresh before labelling).

    Args:
        session: A session from ``Store.write()``.
        page: The page's orders, each checked and converted (ids unique), or the page
            prepared by :func:`prepare_order_page`.
        now: When this transaction runs; stored on the events it writes.
    """
    if not isinstance(page, PreparedPage):
        page = prepare_order_page(session.get_bind().dialect, page, now=now)
    records = page.records
    outcome = PageOutcome()
    if not records:
        return outcome
    stored = _read_stored(session, [record.id for record in records])
    clashes = _line_clashes(session, records)
    if clashes:
        _quarantine_clashes(session, records, clashes, now)
    inserts: list[Any] = []
    updates: list[dict[str, Any]] = []
    lines: list[Any] = []
    events: list[dict[str, Any]] = []
    cancelled: list[tuple[str, Stage]] = []
    for index, record in enumerate(records):
        if record.id in clashes:
            outcome.quarantined += 1
            continue
        before = stored.get(record.id)
        if before is None:
            inserts.append(page.order_rows[index])
            lines.extend(page.line_rows[index])
            events.append(_event(record.id, now, EventKind.STATUS, None, record.status))
            outcome.new += 1
            outcome.status_changes.append((record.id, None, record.status))
            continue
        if record.updated_at < before.updated_at:
            outcome.stale += 1
            continue
        unmasked = before.address_masked and not record.address_masked
        if record.updated_at == before.updated_at and not unmasked:
            outcome.unchanged += 1
            continue
        # Bound names must differ from column names in an executemany UPDATE.
        values = _order_values(record, page.now)
        updates.append({f"p_{name}": value for name, value in values.items()})
        lines.extend(page.line_rows[index])
        outcome.updated += 1
        if record.status != before.status:
            events.append(_event(record.id, now, EventKind.STATUS, before.status, record.status))
            outcome.status_changes.append((record.id, before.status, record.status))
            if record.status == "CANCELLED" and before.stage in _CANCEL_ENDS:
                cancelled.append((record.id, before.stage))
    if page.orders_writer is not None:
        page.orders_writer.insert(session, inserts)
    if updates:
        changed = [values["p_id"] for values in updates]
        session.execute(delete(_LINES).where(_LINES.c.order_id.in_(changed)))
        columns: dict[str, Any] = {
            name[2:]: bindparam(name) for name in updates[0] if name != "p_id"
        }
        session.execute(
            update(_ORDERS)
            .where(_ORDERS.c.id == bindparam("p_id"))
            .values(**columns, version=_ORDERS.c.version + 1),
            updates,
        )
    if page.lines_writer is not None:
        page.lines_writer.insert(session, lines)
    for order_id, stage in cancelled:
        session.execute(
            update(_ORDERS)
            .where(_ORDERS.c.id == order_id, _ORDERS.c.stage == stage.value)
            .values(
                stage=Stage.CANCELLED.value,
                stage_changed_at=now,
                hold_reason=None,
                attention_reason=None,
                version=_ORDERS.c.version + 1,
            )
        )
        event = _event(order_id, now, EventKind.STAGE, stage.value, Stage.CANCELLED.value)
        event["reason"] = "Cancelled on TikTok Shop."
        events.append(event)
    insert_many(session, _EVENTS, events)
    return outcome
