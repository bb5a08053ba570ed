"""The weekly picture of charging hours with the peak hours marked, and the text form the owner
edits them in ("Mon 22:00-07:50", one window a line; issue 6 item 2, R15, R16)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smartcharge.platform.services.charging_plans import windows_from_charger
from smartcharge.regulations.default_hours import WEEKDAY_NAMES, Window
from smartcharge.regulations.peak import PEAK_DAYS, PEAK_PERIODS

DAY_S = 86_400
_LINE = re.compile(
    r"^\s*([A-Za-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*$"
)
MAX_WINDOWS = 100
MAX_TYPED = 5000  # characters of typed windows (about 300 lines): more is refused in words

__all__ = [
    "Bar",
    "WindowsError",
    "bars",
    "parse",
    "parse_typed",
    "peak_bars",
    "to_text",
    "windows_from_charger",
]


class WindowsError(ValueError):
    """What the owner typed or picked that is not a window; says which and why, and names the
    form field it is about (so the page can say it next to that field)."""

    def __init__(self, message: str, field: str = "windows") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Bar:
    day: int
    start_h: float  # hours from the day's midnight
    end_h: float


def to_text(windows: list[Window]) -> str:
    return "\n".join(str(w) for w in windows)


def parse(text: str) -> list[dict[str, Any]]:
    """Lines "Mon 22:00-07:50" (an end at or before the start runs past midnight) into the
    windows of SetDefaultHours / SetUserSchedule. Raises `WindowsError` naming the first bad
    line; nothing is half-parsed."""
    out = []
    days = [d.lower() for d in WEEKDAY_NAMES]
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        found = _LINE.match(line)
        if not found or found.group(1).lower() not in days:
            raise WindowsError(f'Line {number}: write a window as "Mon 22:00-07:50"')
        day = days.index(found.group(1).lower())
        sh, sm, eh, em = (int(found.group(i)) for i in range(2, 6))
        if sh > 23 or eh > 23 or sm > 59 or em > 59:
            raise WindowsError(f"Line {number}: hours 00-23, minutes 00-59")
        out.append({"weekday": day, "start": f"{sh:02}:{sm:02}", "end": f"{eh:02}:{em:02}"})
    if len(out) > MAX_WINDOWS:
        raise WindowsError(f"At most {MAX_WINDOWS} windows")
    return out


def parse_typed(text: str) -> list[dict[str, Any]]:
    """`parse` for a whole form's text, refusing a text too long to be windows in words first
    (the same limit on every form where windows are typed)."""
    if len(text) > MAX_TYPED:
        raise WindowsError(
            f"That is too long: at most {MAX_TYPED:,} characters (about 300 windows),"
            f" and this is {len(text):,}"
        )
    return parse(text)


def bars(windows: list[Window]) -> list[Bar]:
    """Each window as bars within single days (one crossing midnight or a whole day is cut)."""
    out = []
    for w in windows:
        start, end = w.week_span
        while start < end:
            day_end = (start // DAY_S + 1) * DAY_S
            stop = min(end, day_end)
            out.append(
                Bar(start // DAY_S % 7, start % DAY_S / 3600, (stop - 1) % DAY_S / 3600 + 1 / 3600)
            )
            start = stop
    return out


def peak_bars() -> list[Bar]:
    return [
        Bar(day, s.hour + s.minute / 60, e.hour + e.minute / 60)
        for day in sorted(PEAK_DAYS)
        for s, e in PEAK_PERIODS
    ]
