"""What to tell the owner before saving charging hours (issue 13 item 4): hours that fall in the
peak hours (R13: weekdays 08:00-11:00 and 16:00-22:00, UK time), and days left with no charging
at all. Pure: weekly windows ({weekday 0-6, start "HH:MM", end "HH:MM"}, an end at or before
the start runs past midnight) in, plain sentences out. Saving stays the owner's choice (R16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smartcharge.regulations.default_hours import WEEKDAY_NAMES
from smartcharge.regulations.peak import PEAK_DAYS, PEAK_PERIODS

DAY_MIN = 1440
WEEK_MIN = 7 * DAY_MIN


def _minute(text: str) -> int:
    h, m = text.split(":")[:2]
    return int(h) * 60 + int(m)


def _covered(windows: Sequence[dict[str, Any]]) -> set[int]:
    out: set[int] = set()
    for w in windows:
        start, end = _minute(w["start"]), _minute(w["end"])
        length = (end - start - 1) % DAY_MIN + 1
        first = int(w["weekday"]) * DAY_MIN + start
        out.update((first + m) % WEEK_MIN for m in range(length))
    return out


def _days(days: Sequence[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in days)


def warnings(windows: Sequence[dict[str, Any]]) -> list[str]:
    covered = _covered(windows)
    said = []
    peak_days = sorted(
        d
        for d in PEAK_DAYS
        for s, e in PEAK_PERIODS
        if any(
            d * DAY_MIN + m in covered
            for m in range(s.hour * 60 + s.minute, e.hour * 60 + e.minute)
        )
    )
    if peak_days:
        said.append(
            f"These hours include peak hours on {_days(sorted(set(peak_days)))} "
            "(08:00-11:00 and 16:00-22:00): charging then adds to the busiest times on the grid "
            "and usually costs the most."
        )
    empty = [d for d in range(7) if not any(d * DAY_MIN + m in covered for m in range(DAY_MIN))]
    if empty:
        said.append(
            f"No charging at all on {_days(empty)}: a car plugged in then waits for the next "
            "day with charging hours (unless you press Charge now)."
        )
    return said
