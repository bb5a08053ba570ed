"""UK clock time and the holiday calendar the peak-hours rule consults.

Peak hours and default charging hours are written in UK clock time (Europe/London: GMT in
winter, BST in summer). Everything else in smartcharge is UTC, so the conversions between the two
live here, in one place, with the two awkward cases on clock-change days decided once:

* a wall time that never happens (the hour skipped when the clocks go forward, 01:00-02:00 on the
  last Sunday of March) is taken as the instant the clocks jump (01:00 UTC, shown as 02:00 BST);
* a wall time that happens twice (the hour repeated when the clocks go back, 01:00-02:00 on the
  last Sunday of October) is taken as its first occurrence (``fold=0``, still BST).

With both rules the map from wall time to UTC never goes backwards, so windows that do not overlap
on the wall clock never overlap in real time either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

UK_TZ = ZoneInfo("Europe/London")


def require_aware(name: str, when: datetime) -> datetime:
    """Return ``when`` if it is an aware datetime; raise ValueError naming ``name`` otherwise."""
    if not isinstance(when, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (a naive datetime has no defined instant)")
    return when


def to_utc(name: str, when: datetime) -> datetime:
    """``when`` as UTC; ValueError naming ``name`` if it is naive.

    Convert before any arithmetic or comparison: Python compares and adds datetimes that share a
    tzinfo by their wall-clock reading, ignoring ``fold``, which is wrong across a clock change
    (01:30 BST and 01:30 GMT on the last Sunday of October would compare equal).
    """
    return require_aware(name, when).astimezone(UTC)


def to_uk(when: datetime) -> datetime:
    """The UK clock reading of an aware instant."""
    return require_aware("when", when).astimezone(UK_TZ)


def uk_wall_to_utc(wall: datetime) -> datetime:
    """The UTC instant of a naive UK wall-clock time, by the two rules in the module docstring."""
    if wall.tzinfo is not None:
        raise ValueError("uk_wall_to_utc takes a naive wall-clock time")
    first = wall.replace(tzinfo=UK_TZ, fold=0).astimezone(UTC)
    if first.astimezone(UK_TZ).replace(tzinfo=None) == wall:
        return first  # exists; if it is ambiguous, fold=0 picked the first occurrence
    # In the gap: fold=1 reads it with the offset after the jump (an instant before the jump) and
    # fold=0 with the offset before it (an instant after). The jump lies between; find it.
    before = int(wall.replace(tzinfo=UK_TZ, fold=1).timestamp())
    after = int(first.timestamp())
    offset_before = datetime.fromtimestamp(before, UK_TZ).utcoffset()
    while after - before > 1:
        mid = (before + after) // 2
        if datetime.fromtimestamp(mid, UK_TZ).utcoffset() == offset_before:
            before = mid
        else:
            after = mid
    return datetime.fromtimestamp(after, UTC)


def uk_dates(start: datetime, end: datetime) -> list[date]:
    """Every UK calendar date from the day before ``start`` to the day of ``end``, inclusive.

    The day before is included so that a window crossing midnight into ``start``'s day is seen.
    """
    first = to_uk(start).date() - timedelta(days=1)
    last = to_uk(end).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# Calendar periods the owner's history and the platform's reports count sessions in (R10): a UK
# date, an ISO week (from Monday), a calendar month.
PERIODS = ("day", "week", "month")


def period_start(day: date, period: str) -> date:
    """The first UK date of the `period` holding the UK date `day`."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


def next_period_start(start: date, period: str) -> date:
    """The first UK date of the `period` after the one starting on `start`."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}")


@dataclass(frozen=True)
class HolidayCalendar:
    """Dates on which an operator treats the peak-hours windows as off-peak.

    R13 decision: by default the calendar is empty, so bank holidays are weekdays like any other
    (the regulations say "weekdays" and name no holidays). Operators who decide otherwise list
    their dates here.
    """

    non_peak_dates: frozenset[date]

    def __init__(self, non_peak_dates: Iterable[date] = ()) -> None:
        dates = frozenset(non_peak_dates)
        for day in dates:
            # datetime is a subclass of date; a datetime here is a caller's mistake.
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"holiday calendar entries must be dates, got {day!r}")
        object.__setattr__(self, "non_peak_dates", dates)

    def is_non_peak(self, day: date) -> bool:
        return day in self.non_peak_dates


BANK_HOLIDAYS_ARE_WEEKDAYS = HolidayCalendar()
"""The default calendar (R13 decision): no date is exempt from the peak-hours rule."""
