"""Browsing orders from the dashboard: the dispatch board and filtered pages of every order.

Both read only the columns a row shows (never the raw TikTok JSON kept on each order), so a
page costs the same in a store of a hundred orders or of a hundred thousand. Pages are
``OFFSET`` pages in "last changed first" order, the one order the store has an index for
(``tiktok_updated_at``); see :func:`order_page` for how a broad filter keeps that index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from creatorflow.domain.money import tidy
from creatorflow.domain.stages import Stage
from creatorflow.errors import UsageError
from creatorflow.services.context import Services
from creatorflow.services.orders import OrderSummary

if TYPE_CHECKING:
    from sqlalchemy import Select

__all__ = [
    "ACTION_STAGES",
    "DispatchBoard",
    "OrderFilter",
    "OrderPage",
    "OrderRow",
    "dispatch_board",
    "order_page",
    "page_is_quick",
]

#: Stages in which an order still needs something done before the carrier's first scan.
ACTION_STAGES = (
    Stage.NEW,
    Stage.APPROVED,
    Stage.PURCHASING,
    Stage.LABELLED,
    Stage.SHIPPED,
    Stage.NEEDS_ATTENTION,
)
MAX_PAGE = 1000
#: Above this many matches a stage or status filter walks the "last changed" index instead
#: of sorting every match (see :func:`order_page`).
_DENSE = 2000


@dataclass(frozen=True)
class OrderRow:
    """One order as a dashboard row: its summary and the buyer's name (``None`` if masked)."""

    summary: OrderSummary
    buyer: str | None

    @property
    def id(self) -> str:
        """The TikTok order id."""
        return self.summary.id


@dataclass(frozen=True)
class DispatchBoard:
    """Orders needing action by TikTok's ship-by time, held orders, and counts per stage."""

    action: list[OrderRow]
    held: list[OrderRow]
    counts: dict[str, int]

    @property
    def action_total(self) -> int:
        """How many orders need action (``action`` may show only the first of them)."""
        return sum(self.counts.get(stage.value, 0) for stage in ACTION_STAGES)


@dataclass(frozen=True)
class OrderFilter:
    """What the Orders screen narrows the list to; every field is optional.

    ``search`` is an order id prefix when it is all digits, else part of the buyer's name.
    ``created_from`` / ``created_before`` bound TikTok's creation time.
    """

    stage: Stage | None = None
    status: str | None = None
    sku: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


@dataclass(frozen=True)
class OrderPage:
    """One page of a filtered list: its rows, where it starts and how many match in all."""

    rows: list[OrderRow]
    offset: int
    total: int


def _columns() -> tuple[Any, ...]:
    from creatorflow.store.tables import Order

    return (
        Order.id,
        Order.shop_id,
        Order.status,
        Order.stage,
        Order.tiktok_created_at,
        Order.tiktok_updated_at,
        Order.shipping_due_at,
        Order.total_amount,
        Order.currency,
        Order.units,
        Order.hold_reason,
        Order.attention_reason,
        Order.buyer_cancel_requested,
        Order.dispatch_state,
        Order.possibly_lost,
        Order.address_masked,
        Order.recipient_name,
    )


def _row(values: Sequence[Any]) -> OrderRow:
    (oid, shop, status, stage, created, updated, due, total, currency, units) = values[:10]
    hold, attention, cancel_req, dispatch, lost, masked, name = values[10:]
    summary = OrderSummary(
        id=oid,
        shop_id=shop,
        status=status,
        stage=stage,
        created_at=created,
        updated_at=updated,
        shipping_due_at=due,
        total_amount=tidy(total, currency),
        currency=currency,
        units=units,
        hold_reason=hold,
        attention_reason=attention,
        buyer_cancel_requested=cancel_req,
        dispatch_state=dispatch,
        possibly_lost=lost,
    )
    return OrderRow(summary, None if masked else name)


def dispatch_board(services: Services, *, limit: int = 500) -> DispatchBoard:
    """What the packing station must do next, most urgent first.

    ``action``: orders in :data:`ACTION_STAGES` that TikTok has not cancelled, by ship-by
    time (orders without one last); ``held``: held orders with their reason, the same way.
    Each list holds at most ``limit`` orders; ``counts`` counts them all.
    """
    from sqlalchemy import func, select

    from creatorflow.store.tables import Order

    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit must be between 1 and {MAX_PAGE:,}, not {limit}.")
    by_due = (Order.shipping_due_at.is_(None), Order.shipping_due_at, Order.id)
    action = (
        select(*_columns())
        .where(Order.stage.in_(ACTION_STAGES), Order.status != "CANCELLED")
        .order_by(*by_due)
        .limit(limit)
    )
    held = select(*_columns()).where(Order.stage == Stage.HELD).order_by(*by_due).limit(limit)
    counted = (*ACTION_STAGES, Stage.HELD)
    with services.store.read() as session:
        counts = {
            stage.value: int(count)
            for stage, count in session.execute(
                select(Order.stage, func.count())
                .where(Order.stage.in_(counted))
                .group_by(Order.stage)
            )
        }
        return DispatchBoard(
            action=[_row(values) for values in session.execute(action)],
            held=[_row(values) for values in session.execute(held)],
            counts=counts,
        )


def _filtered(query: Select[Any], filters: OrderFilter, *, walk: bool = False) -> Select[Any]:
    """``query`` narrowed to ``filters``; ``walk`` keeps SQLite off the stage, status and
    primary-key indexes (a comparison on ``coalesce(x, x)`` cannot use an index), so that it
    walks the "last changed" index instead (see :func:`order_page`).
    """
    from sqlalchemy import func, or_, select

    from creatorflow.store.tables import Order, OrderLine

    def column(name: str) -> Any:
        attribute = getattr(Order, name)
        return func.coalesce(attribute, attribute) if walk else attribute

    if filters.stage is not None:
        query = query.where(column("stage") == filters.stage)
    if filters.status:
        query = query.where(column("status") == filters.status.strip().upper())
    if filters.sku:
        sku = filters.sku.strip()
        lines = select(OrderLine.order_id).where(
            or_(OrderLine.seller_sku == sku, OrderLine.sku_id == sku)
        )
        query = query.where(column("id").in_(lines))
    if filters.created_from is not None:
        # An order changes only after it is created: the bound on the indexed column is
        # implied, and lets the database start its walk there.
        query = query.where(
            Order.tiktok_updated_at >= filters.created_from,
            Order.tiktok_created_at >= filters.created_from,
        )
    if filters.created_before is not None:
        query = query.where(Order.tiktok_created_at < filters.created_before)
    text = (filters.search or "").strip()
    if text.isdigit():
        # TikTok order ids are digits: a prefix is a range on the primary key.
        query = query.where(Order.id >= text, Order.id < text + ":")
    elif text:
        escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        query = query.where(
            Order.address_masked.is_(False),
            Order.recipient_name.ilike(f"%{escaped}%", escape="\\"),
        )
    return query


def page_is_quick(services: Services, filters: OrderFilter) -> bool:
    """Whether :func:`order_page` answers ``filters`` from one index in a few milliseconds
    whatever the store's size, so a caller may read the page without a worker thread.

    True on SQLite (a local file: no network to stall on) for no filter, or one of stage,
    status and an order id prefix: each is one index range, counted in the index and, when
    dense, paged by walking the "last changed" index (2 to 20 ms on 100,000 orders). A SKU
    (a scan of the order lines), dates (a range whose rows must each be read), a name and
    two filters at once (SQLite picks one index and reads the rows to check the other) can
    take hundreds of milliseconds.
    """
    if services.store.dialect != "sqlite":
        return False
    if filters.sku or filters.created_from is not None or filters.created_before is not None:
        return False
    text = (filters.search or "").strip()
    if text and not text.isdigit():
        return False
    return sum(bool(x) for x in (filters.stage is not None, filters.status, text)) <= 1


def order_page(
    services: Services, filters: OrderFilter | None = None, *, offset: int = 0, limit: int = 100
) -> OrderPage:
    """One page of the orders matching ``filters``, last changed first.

    The total is counted first (indexes answer that), except for a search by name, which
    reads the table anyway: its total is counted only when its page is full. A filter
    matching many orders would make SQLite read and sort every match, since no index of
    the filtered columns is in this order and rows are wide; above a couple of thousand
    matches the query walks the "last changed" index instead, where matches are dense enough
    to fill a page at once. On SQLite the tie-break is the ``rowid``, which that index holds,
    so deep pages skip rows without reading them.

    Raises:
        UsageError: ``offset`` is negative or ``limit`` is not between 1 and 1,000.
    """
    from sqlalchemy import func, literal_column, select

    from creatorflow.store.tables import Order

    chosen = filters or OrderFilter()
    if offset < 0:
        raise UsageError(f"offset cannot be negative ({offset}).")
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit must be between 1 and {MAX_PAGE:,}, not {limit}.")
    store = services.store
    tie = literal_column("orders.rowid") if store.dialect == "sqlite" else Order.id
    text = (chosen.search or "").strip()
    by_name = bool(text) and not text.isdigit()

    def counted() -> int:
        return int(
            session.execute(_filtered(select(func.count()).select_from(Order), chosen)).scalar_one()
        )

    with store.read() as session:
        total = None if by_name else counted()
        walk = total is not None and total > _DENSE and store.dialect == "sqlite"
        # A search by name reads every row anyway: in table order (then sorting the few
        # matches) rather than in index order, which would read the rows at random.
        changed = Order.tiktok_updated_at
        key = func.coalesce(changed, changed) if by_name else changed
        query = (
            _filtered(select(*_columns()), chosen, walk=walk)
            .order_by(key.desc(), tie.desc())
            .offset(offset)
            .limit(limit)
        )
        rows = [_row(values) for values in session.execute(query)]
        if total is None:
            full = len(rows) == limit or (offset and not rows)
            total = counted() if full else offset + len(rows)
    return OrderPage(rows=rows, offset=offset, total=total)
