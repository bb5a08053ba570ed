"""The owner's charging history (R10): each session, and totals per day, week or month.

Pure functions over the store's `Session` records. Periods are UK calendar periods
(Europe/London, as the owner reads a calendar): a day is a UK date, a week starts on Monday
(ISO week), a month is a calendar month. A session counts in the period in which it started.
The history reaches back 12 months (the store keeps 366 days of sessions, R10).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from smartcharge.chargepoint.store_sessions import Session
from smartcharge.ocpp.times import format_time
from smartcharge.regulations import calendar
from smartcharge.regulations.calendar import to_uk

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
HISTORY_DAYS = 366


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else format_time(dt, "seconds")


def session_json(s: Session) -> dict[str, Any]:
    duration = None if s.stopped_at is None else (s.stopped_at - s.started_at).total_seconds()
    return {
        "id": s.local_id,
        "connectorId": s.connector_id,
        "idTag": s.id_tag,
        "transactionId": s.transaction_id,
        "startedAt": _iso(s.started_at),
        "stoppedAt": _iso(s.stopped_at),
        "durationS": None if duration is None else round(duration),
        "energyWh": s.energy_wh,
        "stopReason": s.stop_reason,
    }


def period_start(when: datetime, period: Period) -> date:
    """The first UK date of the period holding `when`."""
    return calendar.period_start(to_uk(when).date(), period)


def totals(sessions: Iterable[Session], period: Period) -> list[dict[str, Any]]:
    """Per period (oldest first): sessions, energy of finished sessions, charging time."""
    buckets: dict[date, dict[str, Any]] = {}
    for s in sessions:
        key = period_start(s.started_at, period)
        b = buckets.setdefault(key, {"sessions": 0, "energyWh": 0, "durationS": 0})
        b["sessions"] += 1
        if s.energy_wh is not None:
            b["energyWh"] += s.energy_wh
        if s.stopped_at is not None:
            b["durationS"] += round((s.stopped_at - s.started_at).total_seconds())
    return [{"period": period, "start": k.isoformat(), **buckets[k]} for k in sorted(buckets)]


def whole(sessions: Iterable[Session], since: datetime) -> dict[str, Any]:
    """The whole history (the last 12 months) in one total."""
    total = {"start": _iso(since), "sessions": 0, "energyWh": 0, "durationS": 0}
    for bucket in totals(sessions, "month"):
        for key in ("sessions", "energyWh", "durationS"):
            total[key] += bucket[key]
    return total


CSV_COLUMNS = (
    "id",
    "connectorId",
    "idTag",
    "startedAt",
    "stoppedAt",
    "durationS",
    "energyWh",
    "stopReason",
)


def sessions_csv(sessions: Iterable[Session]) -> str:
    """One row per session, the columns of `session_json`, for a spreadsheet (R10)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for s in sessions:
        writer.writerow(session_json(s))
    return out.getvalue()


def history_start(now: datetime) -> datetime:
    return now - timedelta(days=HISTORY_DAYS)
