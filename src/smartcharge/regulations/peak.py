"""Peak hours (R13): Monday to Friday, 08:00-11:00 and 16:00-22:00 UK clock time.

Each window includes its start and excludes its end. The clocks change on Sundays at 01:00 UTC,
which is never inside or at the edge of a peak window, so a peak window always lasts exactly its
wall-clock length in real time.
"""

from __future__ import annotations

from datetime import datetime, time

from smartcharge.regulations.calendar import (
    BANK_HOLIDAYS_ARE_WEEKDAYS,
    HolidayCalendar,
    to_uk,
    to_utc,
    uk_dates,
    uk_wall_to_utc,
)

PEAK_DAYS = frozenset(range(5))
"""Weekdays (``date.weekday()``: Monday is 0) on which the peak windows apply."""

PEAK_PERIODS: tuple[tuple[time, time], ...] = ((time(8), time(11)), (time(16), time(22)))
"""The peak windows of a peak day, UK wall-clock time, [start, end)."""


def is_peak(when: datetime, calendar: HolidayCalendar | None = None) -> bool:
    """Whether the aware instant ``when`` falls in peak hours (R13).

    ``calendar`` lists dates treated as off-peak; by default none are (bank holidays are
    weekdays, R13 decision). A naive datetime raises ValueError.
    """
    local = to_uk(when)
    cal = BANK_HOLIDAYS_ARE_WEEKDAYS if calendar is None else calendar
    if local.weekday() not in PEAK_DAYS or cal.is_non_peak(local.date()):
        return False
    clock = local.time()
    return any(start <= clock < end for start, end in PEAK_PERIODS)


def peak_windows(
    start: datetime, end: datetime, calendar: HolidayCalendar | None = None
) -> list[tuple[datetime, datetime]]:
    """The peak windows that meet [start, end), clipped to it, as sorted UTC pairs (R13)."""
    lo, hi = to_utc("start", start), to_utc("end", end)
    if hi < lo:
        raise ValueError("end must not be before start")
    cal = BANK_HOLIDAYS_ARE_WEEKDAYS if calendar is None else calendar
    out: list[tuple[datetime, datetime]] = []
    for day in uk_dates(lo, hi):
        if day.weekday() not in PEAK_DAYS or cal.is_non_peak(day):
            continue
        for p_start, p_end in PEAK_PERIODS:
            s = max(lo, uk_wall_to_utc(datetime.combine(day, p_start)))
            e = min(hi, uk_wall_to_utc(datetime.combine(day, p_end)))
            if s < e:
                out.append((s, e))
    return out
