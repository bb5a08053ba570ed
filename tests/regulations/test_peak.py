"""R13: peak hours, Monday to Friday 08:00-11:00 and 16:00-22:00 UK clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcharge.regulations import (
    BANK_HOLIDAYS_ARE_WEEKDAYS,
    UK_TZ,
    HolidayCalendar,
    is_peak,
    peak_windows,
)


def uk(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UK_TZ)


def z(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


# Aware instants in UTC and in UK time (including the second pass of the repeated hour, fold=1).
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from([UTC, UK_TZ]),
    allow_imaginary=False,
)


def later(t: datetime, delta: timedelta) -> datetime:
    """``t + delta`` in real time, in ``t``'s zone (plain ``+`` adds wall-clock time)."""
    return (t.astimezone(UTC) + delta).astimezone(t.tzinfo)


@pytest.mark.parametrize("day", [date(2026, 1, 12), date(2026, 6, 15)])  # a GMT and a BST Monday
@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (time(7, 59, 59), False),
        (time(8), True),
        (time(10, 59, 59), True),
        (time(11), False),
        (time(15, 59, 59), False),
        (time(16), True),
        (time(21, 59, 59), True),
        (time(22), False),
        (time(0), False),
        (time(13), False),
    ],
)
def test_R13_peak_weekday_boundaries(day: date, clock: time, expected: bool) -> None:
    assert is_peak(datetime.combine(day, clock, tzinfo=UK_TZ)) is expected


def test_R13_peak_weekday_evening() -> None:
    assert is_peak(uk(2026, 3, 11, 18))  # Wednesday 18:00 GMT
    assert is_peak(z(2026, 7, 8, 17))  # Wednesday 17:00 UTC is 18:00 BST


def test_R13_peak_follows_uk_clock_not_utc() -> None:
    # 07:30 UTC on a Monday: 07:30 GMT in January (off-peak), 08:30 BST in June (peak).
    assert not is_peak(z(2026, 1, 12, 7, 30))
    assert is_peak(z(2026, 6, 15, 7, 30))
    # 21:30 UTC: 21:30 GMT (peak) in January, 22:30 BST (off-peak) in June.
    assert is_peak(z(2026, 1, 12, 21, 30))
    assert not is_peak(z(2026, 6, 15, 21, 30))
    # Any fixed offset works; only the instant matters.
    assert is_peak(datetime(2026, 6, 15, 3, 30, tzinfo=timezone(timedelta(hours=-5))))


@pytest.mark.parametrize("day", [date(2026, 3, 14), date(2026, 3, 15), date(2026, 10, 25)])
def test_R13_weekends_are_never_peak(day: date) -> None:
    for minute in range(0, 24 * 60, 15):
        assert not is_peak(datetime.combine(day, time(minute // 60, minute % 60), tzinfo=UK_TZ))


def test_R13_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_peak(datetime(2026, 1, 12, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        peak_windows(datetime(2026, 1, 12), z(2026, 1, 13))


def test_R13_bank_holiday_is_a_weekday_by_default() -> None:
    easter_monday = uk(2026, 4, 6, 9)
    assert is_peak(easter_monday)
    assert is_peak(easter_monday, BANK_HOLIDAYS_ARE_WEEKDAYS)


def test_R13_calendar_is_configurable() -> None:
    cal = HolidayCalendar({date(2026, 4, 6), date(2026, 12, 25)})
    assert not is_peak(uk(2026, 4, 6, 9), cal)
    assert not is_peak(uk(2026, 12, 25, 17), cal)
    assert is_peak(uk(2026, 4, 7, 9), cal)  # the day after is not in the calendar
    assert peak_windows(uk(2026, 4, 6), uk(2026, 4, 7), cal) == []
    assert len(peak_windows(uk(2026, 4, 6), uk(2026, 4, 7))) == 2


def test_R13_calendar_takes_dates_only() -> None:
    with pytest.raises(ValueError, match="must be dates"):
        HolidayCalendar([datetime(2026, 4, 6, 0, 0)])


def test_R13_peak_windows_of_a_bst_monday_in_utc() -> None:
    got = peak_windows(uk(2026, 3, 30), uk(2026, 3, 31))
    assert got == [
        (z(2026, 3, 30, 7), z(2026, 3, 30, 10)),
        (z(2026, 3, 30, 15), z(2026, 3, 30, 21)),
    ]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in got)


def test_R13_peak_windows_are_clipped_to_the_range() -> None:
    got = peak_windows(z(2026, 1, 12, 9), z(2026, 1, 12, 17))
    assert got == [
        (z(2026, 1, 12, 9), z(2026, 1, 12, 11)),
        (z(2026, 1, 12, 16), z(2026, 1, 12, 17)),
    ]
    assert peak_windows(z(2026, 1, 12, 9), z(2026, 1, 12, 9)) == []
    with pytest.raises(ValueError, match="before start"):
        peak_windows(z(2026, 1, 12, 9), z(2026, 1, 12, 8))


@settings(max_examples=150, deadline=None)
@given(start=instants, length=st.timedeltas(timedelta(0), timedelta(days=20)), data=st.data())
def test_R13_peak_windows_agree_with_is_peak(
    start: datetime, length: timedelta, data: st.DataObject
) -> None:
    end = later(start, length)
    windows = peak_windows(start, end)
    for s, e in windows:
        assert s.tzinfo is UTC and e.tzinfo is UTC
        assert start <= s < e <= end
        assert is_peak(s) and is_peak(e - timedelta(microseconds=1))
    for (_, e1), (s2, _) in pairwise(windows):
        assert e1 < s2  # sorted, disjoint, never touching (peaks are hours apart)
    if length:
        for _ in range(20):
            t = later(
                start, data.draw(st.timedeltas(timedelta(0), length - timedelta(microseconds=1)))
            )
            assert is_peak(t) == any(s <= t < e for s, e in windows)


@settings(max_examples=200, deadline=None)
@given(t=instants)
def test_R13_is_peak_matches_the_wall_clock_rule(t: datetime) -> None:
    local = t.astimezone(UK_TZ)
    hour = local.hour + local.minute / 60
    expected = local.weekday() < 5 and (8 <= hour < 11 or 16 <= hour < 22)
    assert is_peak(t) is expected
