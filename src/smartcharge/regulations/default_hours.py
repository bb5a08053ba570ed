"""Default charging hours (R14) and the owner's own hours (R15, R16) as weekly schedules.

A :class:`WeeklySchedule` is a set of :class:`Window` s in UK wall-clock time. A window starts on a
weekday at ``start`` and runs to the next ``end`` on the wall clock: if ``end`` is not after
``start`` it crosses midnight into the next day, and ``end == start`` is a whole day (24 wall
hours). :func:`intervals` turns a schedule into real UTC intervals for any range of dates,
following the clock changes (see :mod:`smartcharge.regulations.calendar` for the two awkward
cases): a 22:00-08:00 window across the last Sunday of March lasts 9 real hours, across the last
Sunday of October 11.

An empty schedule allows nothing. "The owner removed the default hours" (R15) is not an empty
schedule but no schedule at all; that is the caller's ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise

from smartcharge.regulations.calendar import to_utc, uk_dates, uk_wall_to_utc
from smartcharge.regulations.peak import PEAK_DAYS, PEAK_PERIODS
from smartcharge.regulations.random_delay import validate_max

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_S = 86_400
WEEK_S = 7 * DAY_S
NEXT_CHANGE_HORIZON = timedelta(days=15)
"""How far :func:`next_change` looks. A weekly schedule that is neither always nor never allowed
flips at least once a week, except that the hour skipped in March can hide one week's flips (when
everything allowed, or everything not allowed, lies in that hour). So no run between flips lasts
as long as 14 days and 1 hour, and 15 days always finds the next flip if there is one."""

_MICROSECOND = timedelta(microseconds=1)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _time(seconds_of_day: int) -> time:
    s = seconds_of_day % DAY_S
    return time(s // 3600, s // 60 % 60, s % 60)


def _fmt(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


@dataclass(frozen=True, order=True)
class Window:
    """From ``start`` on ``weekday`` (Monday is 0) to the next ``end``, UK wall-clock time."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int):
            raise ValueError(f"weekday must be an int 0..6 (Monday is 0), got {self.weekday!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6 (Monday is 0), got {self.weekday}")
        for name in ("start", "end"):
            t = getattr(self, name)
            if not isinstance(t, time):
                raise ValueError(f"{name} must be a datetime.time, got {t!r}")
            if t.tzinfo is not None:
                raise ValueError(f"{name} must be a naive UK wall-clock time, got {t!r}")
            if t.microsecond:
                raise ValueError(f"{name} must be whole seconds, got {t!r}")
            if t.fold:
                object.__setattr__(self, name, t.replace(fold=0))

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    @property
    def duration_s(self) -> int:
        """Wall-clock length in seconds, 1..86400 (real length differs on clock-change days)."""
        return (_seconds(self.end) - _seconds(self.start) - 1) % DAY_S + 1

    @property
    def week_span(self) -> tuple[int, int]:
        """Seconds from Monday 00:00 to start and to end; the end may pass the week's end."""
        start = self.weekday * DAY_S + _seconds(self.start)
        return start, start + self.duration_s

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {_fmt(self.start)}-{_fmt(self.end)}"


@dataclass(frozen=True)
class WeeklySchedule:
    """Non-overlapping windows in UK wall-clock time, kept sorted (adjacent windows are fine)."""

    windows: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        windows = tuple(self.windows)
        for w in windows:
            if not isinstance(w, Window):
                raise ValueError(f"a schedule holds Windows, got {w!r}")
        windows = tuple(sorted(windows))
        object.__setattr__(self, "windows", windows)
        # Lay every window on one week, splitting those that run past Sunday midnight.
        spans: list[tuple[int, int, Window]] = []
        for w in windows:
            s, e = w.week_span
            if e <= WEEK_S:
                spans.append((s, e, w))
            else:
                spans += [(s, WEEK_S, w), (0, e - WEEK_S, w)]
        spans.sort(key=lambda span: (span[0], span[1]))
        for (_, prev_end, a), (start, _, b) in pairwise(spans):
            if start < prev_end:
                raise ValueError(f"windows overlap: {a} and {b}")

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> WeeklySchedule:
        """Build from ``[{"weekday": "Mon" | 0, "start": "22:00", "end": "08:00"}, ...]``.

        ``end`` may be "24:00" for midnight. Any bad field raises ValueError naming it.
        """
        windows = []
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise ValueError(f"windows[{i}]: must be an object, got {record!r}")
            unknown = set(record) - {"weekday", "start", "end"}
            if unknown:
                raise ValueError(f"windows[{i}]: unknown field(s) {sorted(unknown)}")
            try:
                windows.append(
                    Window(
                        _parse_weekday(record.get("weekday")),
                        _parse_time(record.get("start"), "start"),
                        _parse_time(record.get("end"), "end"),
                    )
                )
            except ValueError as e:
                raise ValueError(f"windows[{i}]: {e}") from None
        return cls(tuple(windows))

    def to_records(self) -> list[dict[str, str]]:
        return [
            {"weekday": WEEKDAY_NAMES[w.weekday], "start": _fmt(w.start), "end": _fmt(w.end)}
            for w in self.windows
        ]

    def __str__(self) -> str:
        return ", ".join(str(w) for w in self.windows) or "(no windows)"


def _parse_weekday(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # Window checks the range
    if isinstance(value, str):
        for i, name in enumerate(WEEKDAY_NAMES):
            if value.strip().lower() in (name.lower(), _FULL_DAY_NAMES[i]):
                return i
    raise ValueError(f"weekday: expected 0..6 or a day name like 'Mon', got {value!r}")


_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")


def _parse_time(value: object, name: str) -> time:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{name}: expected 'HH:MM' or 'HH:MM:SS', got {value!r}")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if (h, m, s) == (24, 0, 0) and name == "end":
        return time(0)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"{name}: not a valid time of day: {value!r}")
    return time(h, m, s)


_PEAK_STARTS = frozenset(
    d * DAY_S + _seconds(start) for d in PEAK_DAYS for start, _ in PEAK_PERIODS
)


def end_before_peak(schedule: WeeklySchedule, seconds: int) -> WeeklySchedule:
    """Bring forward by ``seconds`` the end of each window that ends where a peak window begins.

    A window whose end is followed at once by another window is not really ending there and is
    left alone. A window that would vanish or invert is dropped. This is how R14 keeps a delayed
    stop out of peak: a stop at ``end - seconds`` delayed by up to ``seconds`` lands by ``end``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"seconds must be a whole number >= 0, got {seconds!r}")
    starts = {w.week_span[0] for w in schedule.windows}
    kept = []
    for w in schedule.windows:
        start, end = w.week_span
        if end % WEEK_S in _PEAK_STARTS and end % WEEK_S not in starts:
            end -= seconds
            if end <= start:
                continue
            w = Window(w.weekday, w.start, _time(end))
        kept.append(w)
    return WeeklySchedule(tuple(kept))


def default_schedule(random_delay_max_s: int) -> WeeklySchedule:
    """The default charging hours (R14) for the current random-delay maximum (R23).

    Weekdays 00:00-08:00, 11:00-16:00 and 22:00-24:00 (so each night 22:00-08:00 runs on), and
    Saturday and Sunday all day; each end at 08:00 and 16:00 brought forward by the maximum so a
    delayed stop never lands in peak. Rebuild it whenever the maximum changes.
    """
    validate_max(random_delay_max_s)
    windows = [
        Window(day, start, end)
        for day in range(5)
        for start, end in ((time(0), time(8)), (time(11), time(16)), (time(22), time(0)))
    ]
    windows += [Window(5, time(0), time(0)), Window(6, time(0), time(0))]
    return end_before_peak(WeeklySchedule(tuple(windows)), random_delay_max_s)


def intervals(
    schedule: WeeklySchedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The real instants of [start, end) that ``schedule`` allows, as UTC [from, to) pairs.

    Sorted, disjoint, clipped to the range, and merged where one ends as the next begins (so
    Friday night runs into the weekend as one interval). Each window's wall-clock start and end
    are converted to UTC on their own day, so clock changes shorten or lengthen windows that
    cross them.
    """
    lo, hi = to_utc("start", start), to_utc("end", end)
    if hi < lo:
        raise ValueError("end must not be before start")
    by_day: dict[int, list[Window]] = {}
    for w in schedule.windows:
        by_day.setdefault(w.weekday, []).append(w)
    raw: list[tuple[datetime, datetime]] = []
    for day in uk_dates(lo, hi):
        for w in by_day.get(day.weekday(), ()):
            wall_start = datetime.combine(day, w.start)
            wall_end = wall_start + timedelta(seconds=w.duration_s)  # naive: wall-clock sum
            s = max(lo, uk_wall_to_utc(wall_start))
            e = min(hi, uk_wall_to_utc(wall_end))
            if s < e:
                raw.append((s, e))
    raw.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in raw:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def allowed(schedule: WeeklySchedule, when: datetime) -> bool:
    """Whether ``schedule`` allows charging at the aware instant ``when``."""
    at = to_utc("when", when)
    return bool(intervals(schedule, at, at + _MICROSECOND))


def next_change(schedule: WeeklySchedule, when: datetime) -> datetime | None:
    """The first instant after ``when`` at which :func:`allowed` flips, in UTC; None if never."""
    at = to_utc("when", when)
    horizon = at + NEXT_CHANGE_HORIZON
    ivs = intervals(schedule, at, horizon)
    if not ivs:
        return None
    first_start, first_end = ivs[0]
    if first_start > at:  # not allowed now: it flips where the first interval starts
        return first_start
    # A run longer than the horizon means no flip ever (see NEXT_CHANGE_HORIZON); no run of a
    # weekly schedule lasts exactly the horizon, so an interval clipped there never ends there.
    return first_end if first_end < horizon else None
