"""Reports from the local store: sales, label spend, margin and dispatch quality.

What each figure means (``creatorflow report`` and the dashboard show exactly these):

* **Window** — the last ``days`` calendar days in the shop's time zone
  (:data:`~creatorflow.domain.deadlines.SHOP_TIMEZONE`, TikTok's day), today included, by when
  the order was placed on TikTok. A day row is that local day.
* **Orders, units, revenue** — orders that are a sale (not ``UNPAID``, not cancelled), their
  units (TikTok sends one line per unit; lines TikTok cancelled are left out) and the sum of
  the units' sale prices: the goods, without the buyer's shipping fee or taxes.
* **Label spend** — every label bought for an order of the window, cancelled orders included
  (a label whose refund was refused is a real cost), less labels whose refund landed
  (``refund_state`` ``refunded``) or that never cost anything (``not_applicable``, carriers
  that bill on scan). A pending refund still counts until it lands. Spend belongs to the day
  the order was placed, so a day's margin sets its sales against their own labels.
* **Margin** — revenue minus label spend, per currency (currencies are never mixed: every row
  and total is in one currency).
* **Per SKU** — an order's label spend is shared across its lines **by units**: a SKU with 2
  of an order's 3 units carries 2/3 of its labels (units TikTok cancelled carry none, unless
  the whole order was cancelled). Units rather than revenue, because a label pays for
  carrying the parcel, not for the price of what is in it (a free gift rides along too).
  Shares are rounded to the currency's minor unit, so SKU rows may differ from the total by
  a cent; the totals are exact.
* **Shipped** — sold orders with at least one live label (bought and not voided).
* **Late-dispatch rate** — of shipped orders whose dispatch is decided (every label scanned,
  or TikTok's ship-by time passed), the share the carrier first scanned after the ship-by
  time, as tracking sync judges it: an order with several labels is dispatched when its last
  label is first scanned, and one still unscanned past its ship-by time is already late.
* **Valid-tracking rate** — of shipped orders whose labels are all scanned or older than
  ``tracking_days``, the share whose every label got a carrier scan within ``tracking_days``
  of its purchase.

Rates are ``None`` when no order could be judged yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from creatorflow.domain.deadlines import SHOP_TIMEZONE
from creatorflow.domain.money import Money, tidy
from creatorflow.errors import UsageError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.services.report_queries import Tally

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "VALID_TRACKING_DAYS",
    "Dashboard",
    "Report",
    "ReportRow",
    "dashboard",
    "report",
]

DEFAULT_DAYS = 30
MAX_DAYS = 1000
#: A label must get its first carrier scan this many days after purchase to count as valid
#: tracking (TikTok's valid-tracking rate allows a few days for the hand-over).
VALID_TRACKING_DAYS = 5

GroupBy = Literal["day", "sku"]


@dataclass(frozen=True)
class ReportRow:
    """The figures of one day, one SKU, or a total, in one currency.

    ``key`` is the day (``2026-11-02``), the SKU id, or ``"total"``; ``label`` is what a person
    reads (the day, ``seller SKU — product``, ``Total``). Amounts are exact ``Decimal`` in
    ``currency``. ``late_dispatch_rate`` is ``late / dispatch_decided`` and
    ``valid_tracking_rate`` is ``tracking_valid / tracking_judged``, between 0 and 1 (``None``
    when nothing was judged).
    """

    key: str
    label: str
    currency: str
    orders: int
    units: int
    revenue: Decimal
    label_spend: Decimal
    margin: Decimal
    shipped: int
    dispatch_decided: int
    late: int
    late_dispatch_rate: float | None
    tracking_judged: int
    tracking_valid: int
    valid_tracking_rate: float | None


@dataclass(frozen=True)
class Report:
    """A report: its window, one row per day or SKU and currency, and a total per currency.

    Day rows run oldest first, every day of the window for every currency present; SKU rows
    run by currency, then highest revenue first. ``since``/``until`` bound the order creation
    times counted (aware UTC; ``until`` exclusive).
    """

    by: GroupBy
    days: int
    since: datetime
    until: datetime
    generated_at: datetime
    timezone: str
    allocation: str
    tracking_days: int
    rows: list[ReportRow]
    totals: list[ReportRow]


@dataclass(frozen=True)
class Dashboard:
    """What a dashboard shows at a glance: today, the last ``days`` days, and each day of them.

    ``today`` and ``period`` hold one row per currency (empty when there were no orders);
    ``daily`` is the day-by-day series for a chart (the rows of ``report(by="day")``).
    """

    days: int
    today: list[ReportRow]
    period: list[ReportRow]
    daily: list[ReportRow]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(key: str, label: str, currency: str, tally: Tally, *, exact: bool) -> ReportRow:
    revenue = tidy(tally.revenue, currency)
    # Allocated SKU spend is a fraction of a cent wide: round it; sums of stored amounts are
    # exact and only lose trailing zeros.
    spend = (
        tidy(tally.label_spend, currency)
        if exact
        else Money(tally.label_spend, currency).rounded().amount
    )
    return ReportRow(
        key=key,
        label=label,
        currency=currency,
        orders=tally.orders,
        units=tally.units,
        revenue=revenue,
        label_spend=spend,
        margin=tidy(revenue - spend, currency),
        shipped=tally.shipped,
        dispatch_decided=tally.dispatch_decided,
        late=tally.late,
        late_dispatch_rate=_rate(tally.late, tally.dispatch_decided),
        tracking_judged=tally.tracking_judged,
        tracking_valid=tally.tracking_valid,
        valid_tracking_rate=_rate(tally.tracking_valid, tally.tracking_judged),
    )


def _window_days(now: datetime, days: int) -> list[date]:
    today = now.astimezone(SHOP_TIMEZONE).date()
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHOP_TIMEZONE).astimezone(UTC)


def _sku_label(sku: str, names: dict[str, tuple[str | None, str]]) -> str:
    seller_sku, product = names.get(sku, (None, ""))
    head = seller_sku or sku
    return f"{head} — {product}" if product else head


def report(
    services: Services,
    *,
    days: int = DEFAULT_DAYS,
    by: str = "day",
    now: datetime | None = None,
    tracking_days: int = VALID_TRACKING_DAYS,
) -> Report:
    """Sales, label spend, margin and dispatch quality of the last ``days`` days, per day or
    per SKU (see the module docstring for what each figure means).

    Raises:
        UsageError: ``days`` is out of range or ``by`` is neither ``day`` nor ``sku``.
    """
    from creatorflow.services.report_queries import Tally, Window, hourly, per_sku, sku_names

    if not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--days must be between 1 and {MAX_DAYS}, not {days}.")
    grouping = by.strip().lower()
    if grouping not in ("day", "sku"):
        raise UsageError(f"Cannot group a report by {by!r}.", hint="Use --by day or --by sku.")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    calendar = _window_days(moment, days)
    window = Window(
        since=_local_midnight(calendar[0]),
        until=_local_midnight(calendar[-1] + timedelta(days=1)),
        now=moment,
        tracking_within=timedelta(days=tracking_days),
    )
    with services.store.read() as session:
        hours = hourly(session, window)
        skus = per_sku(session, window) if grouping == "sku" else {}
        names = sku_names(session, (sku for sku, _ in skus)) if skus else {}

    per_day: dict[tuple[str, str], Tally] = {}
    totals: dict[str, Tally] = {}
    for (hour, currency), tally in hours.items():
        utc_hour = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        local_day = utc_hour.astimezone(SHOP_TIMEZONE).date().isoformat()
        per_day.setdefault((local_day, currency), Tally()).add(tally)
        totals.setdefault(currency, Tally()).add(tally)

    if grouping == "day":
        rows = [
            _row(day, day, currency, per_day.get((day, currency), Tally()), exact=True)
            for day in (day.isoformat() for day in calendar)
            for currency in sorted(totals)
        ]
    else:
        rows = [
            _row(sku, _sku_label(sku, names), currency, tally, exact=False)
            for (sku, currency), tally in skus.items()
        ]
        rows.sort(key=lambda row: (row.currency, -row.revenue, row.label, row.key))
    return Report(
        by="sku" if grouping == "sku" else "day",
        days=days,
        since=window.since,
        until=window.until,
        generated_at=moment,
        timezone=str(SHOP_TIMEZONE),
        allocation="units",
        tracking_days=tracking_days,
        rows=rows,
        totals=[
            _row("total", "Total", currency, tally, exact=True)
            for currency, tally in sorted(totals.items())
        ],
    )


def dashboard(services: Services, *, days: int = 7, now: datetime | None = None) -> Dashboard:
    """Today's figures, the last ``days`` days' totals and the daily series, per currency.

    Raises:
        UsageError: ``days`` is out of range.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    daily = report(services, days=days, by="day", now=moment)
    today = moment.astimezone(SHOP_TIMEZONE).date().isoformat()
    return Dashboard(
        days=days,
        today=[row for row in daily.rows if row.key == today],
        period=daily.totals,
        daily=daily.rows,
    )
