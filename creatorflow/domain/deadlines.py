"""Deadlines: business days, US federal holidays, and TikTok's dispatch and delivery SLAs.

TikTok counts business days without weekends and US federal holidays, with an 11:59 PM
Pacific cut-off; dispatch is due within 2 business days and delivery within 6 (Fulfillment
Policy of 23 Oct 2025). Late dispatch is judged by the carrier's *first scan* (the order must
reach "In Transit"), not by the tracking upload. These SLAs have changed several times: the
``shipping_due_time`` TikTok sends with each order always wins over what is computed here
(:func:`dispatch_due`).

Every function takes aware datetimes and counts days in the shop's time zone
(:data:`SHOP_TIMEZONE`, US Pacific, unless told otherwise). Nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "DELIVERY_BUSINESS_DAYS",
    "DISPATCH_BUSINESS_DAYS",
    "ON_HOLD_WINDOW",
    "SHOP_TIMEZONE",
    "DispatchState",
    "TimeLeft",
    "add_business_days",
    "business_days_between",
    "deliver_by",
    "dispatch_due",
    "dispatch_state",
    "end_of_day",
    "estimated_delivery",
    "is_business_day",
    "local_date",
    "ship_by",
    "time_left",
    "us_federal_holidays",
]

#: Where a US shop's business days are counted (TikTok's cut-off is 11:59 PM Pacific).
SHOP_TIMEZONE = ZoneInfo("America/Los_Angeles")

#: Business days to dispatch (reach "In Transit") after the order date.
DISPATCH_BUSINESS_DAYS = 2

#: Business days to deliver after the order date.
DELIVERY_BUSINESS_DAYS = 6

#: How long TikTok keeps a new US order ON_HOLD for the buyer's free cancellation.
ON_HOLD_WINDOW = timedelta(hours=1)

_CUT_OFF = time(23, 59, 59)


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month; ``n = -1`` is the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """Federal rule: a Saturday holiday is observed on Friday, a Sunday one on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _actual_holidays(year: int) -> dict[date, str]:
    days = {
        date(year, 1, 1): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Birthday of Martin Luther King, Jr.",
        _nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        date(year, 7, 4): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        date(year, 11, 11): "Veterans Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        date(year, 12, 25): "Christmas Day",
    }
    if year >= 2021:
        days[date(year, 6, 19)] = "Juneteenth National Independence Day"
    return days


@lru_cache(maxsize=64)
def _observed_holidays(year: int) -> dict[date, str]:
    observed: dict[date, str] = {}
    for source in (year - 1, year, year + 1):
        for day, name in _actual_holidays(source).items():
            moved = _observed(day)
            if moved.year == year:
                observed[moved] = name if moved == day else f"{name} (observed)"
    return observed


def us_federal_holidays(year: int) -> dict[date, str]:
    """The days off of US federal holidays falling in ``year``, as observed, with their names.

    A holiday on a Saturday is observed the Friday before (so New Year's Day 2028, a
    Saturday, is observed on Friday 31 December 2027), one on a Sunday the Monday after.
    """
    return dict(sorted(_observed_holidays(year).items()))


def is_business_day(day: date) -> bool:
    """Monday to Friday and not an (observed) US federal holiday."""
    return day.weekday() < 5 and day not in _observed_holidays(day.year)


def add_business_days(start: date, n: int) -> date:
    """The ``n``-th business day after ``start`` (before it when ``n`` is negative).

    ``n = 0`` is ``start`` itself, business day or not; from a Saturday, one business day
    later is the Monday (or the Tuesday when Monday is a holiday).
    """
    step = timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_business_day(day):
            left -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """How many business days one steps onto going from ``start`` to ``end``.

    Forward: business days after ``start`` up to and including ``end``. Backward (``end``
    earlier): minus the business days from ``end`` up to, not including, ``start``. The
    inverse of :func:`add_business_days`: ``business_days_between(d, add_business_days(d, n))
    == n``.
    """
    if end < start:
        span = range((start - end).days)
        return -sum(1 for offset in span if is_business_day(end + timedelta(offset)))
    span = range(1, (end - start).days + 1)
    return sum(1 for offset in span if is_business_day(start + timedelta(offset)))


def local_date(moment: datetime, tz: ZoneInfo = SHOP_TIMEZONE) -> date:
    """The calendar day ``moment`` falls on in ``tz``."""
    _aware(moment, "moment")
    return moment.astimezone(tz).date()


def end_of_day(day: date, tz: ZoneInfo = SHOP_TIMEZONE) -> datetime:
    """TikTok's cut-off on ``day``: 11:59:59 PM in ``tz``."""
    return datetime.combine(day, _CUT_OFF, tzinfo=tz)


def ship_by(
    start: datetime, *, handling_days: int = DISPATCH_BUSINESS_DAYS, tz: ZoneInfo = SHOP_TIMEZONE
) -> datetime:
    """When an order must be *scanned by the carrier*: the cut-off of the ``handling_days``-th
    business day after the day of ``start``.

    ``start`` is when the order became AWAITING_SHIPMENT when known (TikTok's 2026 guidance
    counts from there), else when it was paid, else when it was created. Pass
    ``handling_days=3`` for orders above the seller's daily handling capacity.

    Raises:
        ValueError: ``start`` is naive, or ``handling_days`` is negative.
    """
    if handling_days < 0:
        raise ValueError("handling_days cannot be negative")
    return end_of_day(add_business_days(local_date(start, tz), handling_days), tz)


def deliver_by(
    start: datetime, *, business_days: int = DELIVERY_BUSINESS_DAYS, tz: ZoneInfo = SHOP_TIMEZONE
) -> datetime:
    """When TikTok expects the parcel delivered, counted like :func:`ship_by`."""
    return ship_by(start, handling_days=business_days, tz=tz)


def dispatch_due(
    tiktok_due: datetime | None,
    start: datetime,
    *,
    handling_days: int = DISPATCH_BUSINESS_DAYS,
    tz: ZoneInfo = SHOP_TIMEZONE,
) -> datetime:
    """TikTok's ``shipping_due_time`` when it sent one, else the computed :func:`ship_by`."""
    if tiktok_due is not None:
        _aware(tiktok_due, "tiktok_due")
        return tiktok_due
    return ship_by(start, handling_days=handling_days, tz=tz)


def estimated_delivery(now: datetime, transit_days: int, tz: ZoneInfo = SHOP_TIMEZONE) -> date:
    """The day a parcel handed over today arrives after ``transit_days`` business days."""
    if transit_days < 0:
        raise ValueError("transit_days cannot be negative")
    return add_business_days(local_date(now, tz), transit_days)


@dataclass(frozen=True)
class TimeLeft:
    """How long until a deadline; negative ``remaining`` means it has passed."""

    remaining: timedelta

    @property
    def overdue(self) -> bool:
        """Whether the deadline has passed."""
        return self.remaining < timedelta(0)

    def text(self) -> str:
        """``"1d 4h left"``, ``"35m left"``, ``"2h 10m overdue"``."""
        seconds = abs(int(self.remaining.total_seconds()))
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes = rest // 60
        if days:
            span = f"{days}d {hours}h" if hours else f"{days}d"
        elif hours:
            span = f"{hours}h {minutes}m" if minutes else f"{hours}h"
        else:
            span = f"{minutes}m"
        return f"{span} overdue" if self.overdue else f"{span} left"

    def __str__(self) -> str:
        return self.text()


def time_left(due: datetime, now: datetime) -> TimeLeft:
    """How long from ``now`` until ``due``.

    Raises:
        ValueError: either time is naive.
    """
    _aware(due, "due")
    _aware(now, "now")
    return TimeLeft(due - now)


class DispatchState(StrEnum):
    """Where an order stands against its dispatch deadline (judged by the first scan)."""

    WAITING = "waiting"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    ON_TIME = "on_time"
    LATE = "late"


def dispatch_state(
    due: datetime,
    *,
    first_scan_at: datetime | None,
    now: datetime,
    warn_before: timedelta = timedelta(hours=6),
) -> DispatchState:
    """Judge dispatch as TikTok does: by the carrier's first scan, not the label or tracking.

    Scanned: ``on_time`` or ``late``. Not scanned yet: ``overdue`` past ``due``, ``at_risk``
    within ``warn_before`` of it, else ``waiting``.
    """
    _aware(due, "due")
    _aware(now, "now")
    if first_scan_at is not None:
        _aware(first_scan_at, "first_scan_at")
        return DispatchState.ON_TIME if first_scan_at <= due else DispatchState.LATE
    if now > due:
        return DispatchState.OVERDUE
    if due - now <= warn_before:
        return DispatchState.AT_RISK
    return DispatchState.WAITING
