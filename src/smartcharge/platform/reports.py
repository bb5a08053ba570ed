"""Energy reports (R10): sessions bucketed by UK calendar day, ISO week or month.

A session counts in the bucket of its start, in UK local time (Europe/London), which is what
the owner reads on the charger's clock. Buckets with no session are listed too (zero), so a
chart has no gaps and a CSV no missing rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from smartcharge.ocpp.times import format_time
from smartcharge.regulations import UK_TZ
from smartcharge.regulations.calendar import next_period_start as next_start
from smartcharge.regulations.calendar import period_start as bucket_start


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date  # first day (UK), inclusive
    end: date  # day after the last, exclusive
    sessions: int
    energy_wh: float


def uk_midnight(day: date) -> datetime:
    """The UTC instant a UK calendar day begins (23 or 25 hours long on clock-change days)."""
    return datetime.combine(day, time(0), UK_TZ).astimezone(UTC)


def uk_day(at: datetime) -> date:
    return at.astimezone(UK_TZ).date()


def buckets(
    sessions: Iterable[Mapping[str, Any]], period: str, since: date, until: date
) -> list[Bucket]:
    """Buckets of `period` covering the UK days [since, until); each session by its start."""
    if until <= since:
        raise ValueError("until must be after since")
    totals: dict[date, list[float]] = {}
    start = bucket_start(since, period)
    while start < until:
        totals[start] = [0, 0.0]
        start = next_start(start, period)
    for s in sessions:
        at = s.get("started_at") or s.get("stopped_at")
        if at is None:
            continue
        day = uk_day(at)
        if not since <= day < until:
            continue
        total = totals[bucket_start(day, period)]
        total[0] += 1
        total[1] += float(s.get("energy_wh") or 0.0)
    return [
        Bucket(start, next_start(start, period), int(n), wh) for start, (n, wh) in totals.items()
    ]


def last_12_months(today: date) -> tuple[date, date]:
    """The UK days of the current month and the 11 before it."""
    first = today.replace(day=1)
    year, month = first.year, first.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), next_start(first, "month")


def to_csv(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return format_time(value, "auto")
    text = str(value)
    # A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
