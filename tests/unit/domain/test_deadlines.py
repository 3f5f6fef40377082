"""Deadlines: US federal holidays, business days in the shop's zone, TikTok's SLAs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.deadlines import (
    SHOP_TIMEZONE,
    DispatchState,
    TimeLeft,
    add_business_days,
    business_days_between,
    deliver_by,
    dispatch_due,
    dispatch_state,
    end_of_day,
    estimated_delivery,
    is_business_day,
    local_date,
    ship_by,
    time_left,
    us_federal_holidays,
)

PACIFIC = SHOP_TIMEZONE


def test_holidays_2026() -> None:
    assert list(us_federal_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),  # the 4th is a Saturday
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    ]
    assert us_federal_holidays(2026)[date(2026, 7, 3)] == "Independence Day (observed)"


@pytest.mark.parametrize(
    ("year", "day", "name"),
    [
        (2021, date(2021, 12, 31), "New Year's Day (observed)"),  # 2022-01-01 is a Saturday
        (2022, date(2022, 6, 20), "Juneteenth National Independence Day (observed)"),  # Sunday
        (2022, date(2022, 12, 26), "Christmas Day (observed)"),
        (2027, date(2027, 12, 24), "Christmas Day (observed)"),
        (2027, date(2027, 12, 31), "New Year's Day (observed)"),
        (2023, date(2023, 1, 2), "New Year's Day (observed)"),  # Sunday
        (2024, date(2024, 5, 27), "Memorial Day"),
        (2024, date(2024, 11, 28), "Thanksgiving Day"),
    ],
)
def test_observed_rules(year: int, day: date, name: str) -> None:
    assert us_federal_holidays(year)[day] == name


def test_new_year_on_a_saturday_is_not_a_day_off_in_its_own_year() -> None:
    assert date(2022, 1, 1) not in us_federal_holidays(2022)
    assert date(2020, 6, 19) not in us_federal_holidays(2020)  # Juneteenth from 2021


def test_business_days() -> None:
    assert is_business_day(date(2026, 3, 2))  # Monday
    assert not is_business_day(date(2026, 3, 7))  # Saturday
    assert not is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert add_business_days(date(2026, 11, 25), 2) == date(2026, 11, 30)
    assert add_business_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert add_business_days(date(2026, 3, 7), 0) == date(2026, 3, 7)
    assert add_business_days(date(2026, 3, 9), -1) == date(2026, 3, 6)
    assert add_business_days(date(2027, 12, 23), 1) == date(2027, 12, 27)
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 6)) == -1
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(days, st.integers(-40, 40))
def test_add_and_between_are_inverse(start: date, n: int) -> None:
    end = add_business_days(start, n)
    assert business_days_between(start, end) == n
    if n:
        assert is_business_day(end)


@given(days, st.integers(0, 30), st.integers(0, 30))
def test_add_composes(start: date, first: int, second: int) -> None:
    assert add_business_days(add_business_days(start, first), second) == add_business_days(
        start, first + second
    )


def test_ship_by_counts_in_pacific_time() -> None:
    # Wednesday 25 Nov 2026, 20:00 UTC is noon in Los Angeles: Thanksgiving is skipped.
    due = ship_by(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    assert due == datetime(2026, 11, 30, 23, 59, 59, tzinfo=PACIFIC)
    # Tuesday 07:00 UTC is still Monday evening in Los Angeles.
    due = ship_by(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    assert due.date() == date(2026, 3, 4)
    assert due.utcoffset() == timedelta(hours=-8)
    # Paid on a Saturday: two business days are Monday and Tuesday.
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=PACIFIC)
    assert ship_by(saturday).date() == date(2026, 3, 10)
    assert ship_by(saturday, handling_days=3).date() == date(2026, 3, 11)


def test_ship_by_across_daylight_saving() -> None:
    due = ship_by(datetime(2026, 3, 6, 12, 0, tzinfo=PACIFIC))  # DST starts Sunday 8 March
    assert due == datetime(2026, 3, 10, 23, 59, 59, tzinfo=PACIFIC)
    assert due.utcoffset() == timedelta(hours=-7)


def test_other_shop_zones() -> None:
    new_york = ZoneInfo("America/New_York")
    moment = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # Monday 20:00 Pacific, 23:00 Eastern
    assert local_date(moment) == date(2026, 3, 2)
    assert local_date(moment, new_york) == date(2026, 3, 2)
    assert ship_by(moment, tz=new_york) == end_of_day(date(2026, 3, 4), new_york)


def test_deliver_by_and_dispatch_due() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=PACIFIC)
    assert deliver_by(start).date() == date(2026, 3, 10)
    tiktok = datetime(2026, 3, 5, 7, 59, tzinfo=UTC)
    assert dispatch_due(tiktok, start) == tiktok
    assert dispatch_due(None, start) == ship_by(start)


def test_estimated_delivery() -> None:
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=PACIFIC)
    assert estimated_delivery(friday, 2) == date(2026, 3, 10)
    assert estimated_delivery(friday, 0) == date(2026, 3, 6)
    with pytest.raises(ValueError):
        estimated_delivery(friday, -1)


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        ship_by(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        time_left(aware, naive)
    with pytest.raises(ValueError, match="negative"):
        ship_by(aware, handling_days=-1)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=1, hours=4, minutes=5), "1d 4h left"),
        (timedelta(days=2), "2d left"),
        (timedelta(hours=3), "3h left"),
        (timedelta(hours=2, minutes=10), "2h 10m left"),
        (timedelta(minutes=35, seconds=20), "35m left"),
        (-timedelta(hours=2, minutes=10), "2h 10m overdue"),
        (timedelta(0), "0m left"),
    ],
)
def test_time_left_text(delta: timedelta, text: str) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    left = time_left(now + delta, now)
    assert left == TimeLeft(delta)
    assert str(left) == text
    assert left.overdue is (delta < timedelta(0))


def test_dispatch_is_judged_by_the_first_scan() -> None:
    due = datetime(2026, 3, 4, 23, 59, 59, tzinfo=PACIFIC)
    before, after = due - timedelta(hours=1), due + timedelta(minutes=1)
    assert dispatch_state(due, first_scan_at=before, now=after) is DispatchState.ON_TIME
    assert dispatch_state(due, first_scan_at=after, now=after) is DispatchState.LATE
    assert dispatch_state(due, first_scan_at=None, now=after) is DispatchState.OVERDUE
    assert dispatch_state(due, first_scan_at=None, now=before) is DispatchState.AT_RISK
    early = due - timedelta(days=1)
    assert dispatch_state(due, first_scan_at=None, now=early) is DispatchState.WAITING
