"""The SQL behind :mod:`creatorflow.services.reports`: every figure is a ``GROUP BY``.

No query here loads an order: each returns one small row per bucket (an hour of order
creation, or a SKU) and currency. The definitions of the figures are in ``reports``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Select, String, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from creatorflow.domain.deadlines import dispatch_due
from creatorflow.domain.stages import Stage
from creatorflow.store.tables import Order, OrderLine, Shipment, ShipmentState

__all__ = ["Tally", "Window", "hourly", "per_sku", "sku_names"]

#: TikTok statuses of orders that are not (or no longer) a sale.
NOT_SOLD = ("UNPAID", "CANCELLED")
#: Refund states of labels that cost nothing in the end.
COST_NOTHING = ("refunded", "not_applicable")
#: Shipment states of labels that were really bought (``purchasing`` and ``failed`` were not).
BOUGHT = (
    ShipmentState.PURCHASED,
    ShipmentState.VOIDING,
    ShipmentState.REFUND_PENDING,
    ShipmentState.VOIDED,
)


@dataclass
class Tally:
    """The additive figures of one bucket in one currency."""

    orders: int = 0
    units: int = 0
    revenue: Decimal = Decimal(0)
    label_spend: Decimal = Decimal(0)
    shipped: int = 0
    dispatch_decided: int = 0
    late: int = 0
    tracking_judged: int = 0
    tracking_valid: int = 0

    def add(self, other: Tally) -> None:
        """Add ``other``'s figures to these."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


#: ``(bucket, currency)`` → figures.
Tallies = dict[tuple[str, str], Tally]


@dataclass(frozen=True)
class Window:
    """Orders created in ``[since, until)``, judged at ``now``."""

    since: datetime
    until: datetime
    now: datetime
    tracking_within: timedelta


def _get(tallies: Tallies, key: Any, currency: Any) -> Tally:
    return tallies.setdefault((str(key), str(currency)), Tally())


def _hour(dialect: str) -> ColumnElement[str]:
    """The UTC hour an order was created, as ``YYYY-MM-DD HH`` text."""
    if dialect == "sqlite":
        # UtcDateTime stores UTC text (``2026-11-02 15:30:00.000000``) on SQLite.
        return func.substr(Order.tiktok_created_at, 1, 13, type_=String)
    return func.to_char(func.timezone("UTC", Order.tiktok_created_at), "YYYY-MM-DD HH24")


def _seconds(dialect: str, column: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        return func.julianday(column, type_=Float) * 86_400.0
    return cast(extract("epoch", column), Float)


def _in_window(window: Window) -> ColumnElement[bool]:
    return and_(Order.tiktok_created_at >= window.since, Order.tiktok_created_at < window.until)


def _sold() -> ColumnElement[bool]:
    return and_(Order.status.not_in(NOT_SOLD), Order.stage != Stage.CANCELLED)


def _line_sold() -> ColumnElement[bool]:
    return or_(OrderLine.display_status.is_(None), OrderLine.display_status != "CANCELLED")


def _costly() -> ColumnElement[bool]:
    return and_(
        Shipment.state.in_(BOUGHT),
        Shipment.cost.is_not(None),
        or_(Shipment.refund_state.is_(None), Shipment.refund_state.not_in(COST_NOTHING)),
    )


def _spend_currency() -> ColumnElement[str]:
    return func.coalesce(Shipment.currency, Order.currency)


def _sales(
    session: Session,
    window: Window,
    bucket: ColumnElement[str] | InstrumentedAttribute[str],
    into: Tallies,
) -> None:
    query = (
        select(
            bucket,
            OrderLine.currency,
            func.count(func.distinct(Order.id)),
            func.count(OrderLine.id),
            func.sum(OrderLine.unit_price),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(_in_window(window), _sold(), _line_sold())
        .group_by(bucket, OrderLine.currency)
    )
    for key, currency, orders, units, revenue in session.execute(query):
        tally = _get(into, key, currency)
        tally.orders += int(orders)
        tally.units += int(units)
        tally.revenue += revenue or Decimal(0)


def _spend(session: Session, window: Window, bucket: ColumnElement[str], into: Tallies) -> None:
    currency = _spend_currency()
    query = (
        select(bucket, currency, func.sum(Shipment.cost))
        .join(Order, Order.id == Shipment.order_id)
        .where(_in_window(window), _costly())
        .group_by(bucket, currency)
    )
    for key, code, spend in session.execute(query):
        _get(into, key, code).label_spend += spend or Decimal(0)


def _label_facts(dialect: str, window: Window) -> Any:
    """Per order, over its live labels: how many, how many scanned, the last first scan, and
    how many were scanned within the tracking window of their purchase (or are old enough to
    be judged)."""
    limit = window.tracking_within.total_seconds()
    in_time = and_(
        Shipment.first_scan_at.is_not(None),
        _seconds(dialect, Shipment.first_scan_at) - _seconds(dialect, Shipment.created_at) <= limit,
    )
    judged = or_(
        Shipment.first_scan_at.is_not(None),
        Shipment.created_at <= window.now - window.tracking_within,
    )
    return (
        select(
            Shipment.order_id.label("order_id"),
            func.count().label("labels"),
            func.count(Shipment.first_scan_at).label("scanned"),
            func.max(Shipment.first_scan_at).label("dispatched_at"),
            func.sum(case((in_time, 1), else_=0)).label("valid"),
            func.sum(case((judged, 1), else_=0)).label("judged"),
        )
        .where(Shipment.state == ShipmentState.PURCHASED)
        .group_by(Shipment.order_id)
        .subquery("label_facts")
    )


def _rates(
    session: Session,
    window: Window,
    bucket: ColumnElement[str],
    into: Tallies,
    join: tuple[Any, ColumnElement[bool]] | None = None,
) -> None:
    """Shipped orders and their dispatch and tracking judgements, per bucket.

    Orders with TikTok's ship-by time are judged in SQL; the few without one get the
    computed deadline (business days, in Python). ``join`` brings in what ``bucket`` needs.
    """
    facts = _label_facts(session.get_bind().dialect.name, window)
    all_scanned = facts.c.scanned == facts.c.labels
    due = Order.shipping_due_at
    passed = due < window.now
    valid = case((facts.c.valid == facts.c.labels, 1), else_=0)
    judged = case((facts.c.judged == facts.c.labels, 1), else_=0)

    def base(*columns: Any) -> Select[Any]:
        query = select(bucket, Order.currency, *columns).join(facts, facts.c.order_id == Order.id)
        if join is not None:
            query = query.join(*join)
        return query.where(_in_window(window), _sold())

    judged_in_sql = (
        base(
            func.count(),
            func.sum(case((or_(all_scanned, passed), 1), else_=0)),
            func.sum(
                case(
                    (and_(all_scanned, facts.c.dispatched_at > due), 1),
                    (and_(~all_scanned, passed), 1),
                    else_=0,
                )
            ),
            func.sum(judged),
            func.sum(valid),
        )
        .where(due.is_not(None))
        .group_by(bucket, Order.currency)
    )
    for key, currency, shipped, decided, late, tracking_judged, tracking_valid in session.execute(
        judged_in_sql
    ):
        tally = _get(into, key, currency)
        tally.shipped += int(shipped)
        tally.dispatch_decided += int(decided or 0)
        tally.late += int(late or 0)
        tally.tracking_judged += int(tracking_judged or 0)
        tally.tracking_valid += int(tracking_valid or 0)
    without_due = base(
        Order.paid_at,
        Order.tiktok_created_at,
        all_scanned,
        facts.c.dispatched_at,
        judged,
        valid,
    ).where(due.is_(None))
    for key, currency, paid, created, scanned, dispatched, tracked, good in session.execute(
        without_due
    ):
        tally = _get(into, key, currency)
        deadline = dispatch_due(None, paid or created)
        tally.shipped += 1
        tally.dispatch_decided += int(bool(scanned) or deadline < window.now)
        late = dispatched > deadline if scanned else deadline < window.now
        tally.late += int(late)
        tally.tracking_judged += int(tracked)
        tally.tracking_valid += int(good)


def hourly(session: Session, window: Window) -> Tallies:
    """Every figure per UTC hour of order creation (``YYYY-MM-DD HH``) and currency."""
    bucket = _hour(session.get_bind().dialect.name)
    tallies: Tallies = {}
    _sales(session, window, bucket, tallies)
    _spend(session, window, bucket, tallies)
    _rates(session, window, bucket, tallies)
    return tallies


def _allocated_spend(session: Session, window: Window, into: Tallies) -> None:
    """Each order's net label spend shared across its SKUs by units (lines).

    Lines TikTok cancelled carry no share, unless every line of the order was cancelled
    (then all do: the labels were still bought for them). SQL sums the spend of orders alike
    (same SKU, same ``k`` of ``n`` units) and Python multiplies each sum by ``k / n``: SQL
    never multiplies money (see ``store.types``).
    """
    currency = _spend_currency()
    windowed = select(Order.id).where(_in_window(window))
    sold = func.sum(case((_line_sold(), 1), else_=0))
    cost = (
        select(
            Shipment.order_id.label("order_id"),
            currency.label("currency"),
            func.sum(Shipment.cost).label("amount"),
        )
        .join(Order, Order.id == Shipment.order_id)
        .where(_in_window(window), _costly())
        .group_by(Shipment.order_id, currency)
        .subquery("cost")
    )
    units = (
        select(
            OrderLine.order_id.label("order_id"),
            func.count().label("n_all"),
            sold.label("n_sold"),
        )
        .where(OrderLine.order_id.in_(windowed))
        .group_by(OrderLine.order_id)
        .subquery("units")
    )
    share = (
        select(
            OrderLine.order_id.label("order_id"),
            OrderLine.sku_id,
            func.count().label("k_all"),
            sold.label("k_sold"),
        )
        .where(OrderLine.order_id.in_(windowed))
        .group_by(OrderLine.order_id, OrderLine.sku_id)
        .subquery("share")
    )
    alike = (share.c.sku_id, cost.c.currency, share.c.k_all, share.c.k_sold)
    query = (
        select(*alike, units.c.n_all, units.c.n_sold, func.sum(cost.c.amount))
        .select_from(cost)
        .join(units, units.c.order_id == cost.c.order_id)
        .join(share, share.c.order_id == cost.c.order_id)
        .group_by(*alike, units.c.n_all, units.c.n_sold)
    )
    for sku, code, k_all, k_sold, n_all, n_sold, amount in session.execute(query):
        k, n = (int(k_sold), int(n_sold)) if n_sold else (int(k_all), int(n_all))
        if k:
            _get(into, sku, code).label_spend += (amount or Decimal(0)) * k / n


def per_sku(session: Session, window: Window) -> Tallies:
    """Every figure per SKU id and currency; label spend allocated by units."""
    tallies: Tallies = {}
    _sales(session, window, OrderLine.sku_id, tallies)
    _allocated_spend(session, window, tallies)
    # One row per order and SKU: an order counts once for each SKU it holds.
    windowed = select(Order.id).where(_in_window(window))
    holds = (
        select(OrderLine.order_id, OrderLine.sku_id)
        .where(OrderLine.order_id.in_(windowed), _line_sold())
        .distinct()
        .subquery("holds")
    )
    _rates(session, window, holds.c.sku_id, tallies, join=(holds, holds.c.order_id == Order.id))
    return tallies


def sku_names(session: Session, sku_ids: Iterable[str]) -> dict[str, tuple[str | None, str]]:
    """The seller SKU and product name of each SKU id (the greatest, should lines differ)."""
    wanted = sorted(set(sku_ids))
    names: dict[str, tuple[str | None, str]] = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(
                OrderLine.sku_id, func.max(OrderLine.seller_sku), func.max(OrderLine.product_name)
            )
            .where(OrderLine.sku_id.in_(wanted[start : start + 500]))
            .group_by(OrderLine.sku_id)
        )
        for sku, seller_sku, product in session.execute(query):
            names[sku] = (seller_sku, product or "")
    return names
