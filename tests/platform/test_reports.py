"""Energy reports: UK calendar buckets (clock changes included), the last 12 months, CSV; and the
same over HTTP on sessions a charger really reported."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime

import pytest
from api_harness import user_client
from hypothesis import given
from hypothesis import strategies as st
from platform_harness import Platform

from smartcharge.platform import reports
from smartcharge.regulations.calendar import PERIODS


def _session(at: datetime, wh: float) -> dict[str, object]:
    return {"started_at": at, "energy_wh": wh}


def test_a_session_counts_on_its_uk_day_and_week_and_month() -> None:
    sessions = [
        _session(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 1000),  # 00:30 BST on 1 July
        _session(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), 500),  # 23:30 BST on 30 June
        _session(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 250),  # GMT: still 31 December
    ]
    days = reports.buckets(sessions, "day", date(2026, 6, 30), date(2026, 7, 2))
    assert [(b.start, b.sessions, b.energy_wh) for b in days] == [
        (date(2026, 6, 30), 1, 500),
        (date(2026, 7, 1), 1, 1000),
    ]
    months = reports.buckets(sessions, "month", date(2026, 6, 1), date(2027, 1, 1))
    assert [(b.start.month, b.energy_wh) for b in months] == [
        (6, 500),
        (7, 1000),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 0),
        (12, 250),
    ]
    weeks = reports.buckets(sessions, "week", date(2026, 6, 29), date(2026, 7, 6))
    assert [(b.start, b.end, b.sessions) for b in weeks] == [
        (date(2026, 6, 29), date(2026, 7, 6), 2)  # Monday to Monday
    ]


def test_uk_midnight_on_clock_change_days() -> None:
    assert reports.uk_midnight(date(2026, 3, 29)) == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert reports.uk_midnight(date(2026, 3, 30)) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert reports.uk_midnight(date(2026, 10, 26)) == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def test_last_12_months_ends_with_this_month() -> None:
    assert reports.last_12_months(date(2026, 11, 21)) == (date(2025, 12, 1), date(2026, 12, 1))
    assert reports.last_12_months(date(2026, 1, 5)) == (date(2025, 2, 1), date(2026, 2, 1))
    assert reports.last_12_months(date(2026, 12, 31)) == (date(2026, 1, 1), date(2027, 1, 1))


@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
            st.integers(min_value=0, max_value=10**6),
        ),
        max_size=40,
    ),
    st.sampled_from(PERIODS),
)
def test_buckets_lose_nothing_and_never_overlap(
    raw: list[tuple[datetime, int]], period: str
) -> None:
    sessions = [_session(at.replace(tzinfo=UTC), wh) for at, wh in raw]
    since, until = date(2025, 1, 1), date(2028, 1, 1)
    found = reports.buckets(sessions, period, since, until)
    assert sum(b.sessions for b in found) == len(sessions)
    assert sum(b.energy_wh for b in found) == sum(wh for _, wh in raw)
    assert all(a.end == b.start for a, b in itertools.pairwise(found))


def test_csv_quotes_what_a_spreadsheet_would_run() -> None:
    text = reports.to_csv([{"a": "=SUM(A1)", "b": -5, "c": None}], ["a", "b", "c"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["a", "b", "c"], ["'=SUM(A1)", "-5", ""]]


@pytest.mark.both_databases
async def test_reports_and_sessions_over_http(platform: Platform) -> None:
    await platform.add("R-1", owner="r@example.org")
    cid = await platform.charger_id("R-1")
    for start, wh in (
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 7000),
        (datetime(2026, 7, 2, 8, 0, tzinfo=UTC), 3000),
    ):
        tx = await platform.store.transactions.start(
            cid, connector_id=1, id_tag="T", meter_start=100, started_at=start, at=start
        )
        await platform.store.transactions.stop(
            cid, tx, meter_stop=100 + wh, stopped_at=start, at=start
        )
    async with user_client(platform, "op@example.org", "operator") as op:
        q = {"since": "2026-06-29", "until": "2026-07-06", "charger": "R-1"}
        r = await op.get("/api/reports/energy", params={**q, "period": "day"})
        body = r.json()
        assert body["energy_wh"] == 10000 and body["sessions"] == 2
        assert [(b["start"], b["energy_wh"]) for b in body["buckets"] if b["sessions"]] == [
            ("2026-07-01", 7000),
            ("2026-07-02", 3000),
        ]
        r = await op.get("/api/reports/energy", params={**q, "period": "custom"})
        assert [b["energy_wh"] for b in r.json()["buckets"]] == [10000]
        r = await op.get("/api/reports/energy", params={**q, "period": "week", "format": "csv"})
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows == [
            {"start": "2026-06-29", "end": "2026-07-06", "sessions": "2", "energy_wh": "10000.0"}
        ]
        r = await op.get("/api/sessions", params={**q, "format": "csv"})
        assert [row["energy_wh"] for row in csv.DictReader(io.StringIO(r.text))] == [
            "3000.0",
            "7000.0",
        ]
        r = await op.get("/api/reports/energy/last-12-months")
        assert len(r.json()["buckets"]) == 12
        for bad in (
            {"since": "2026-07-06", "until": "2026-06-29"},
            {"since": "2020-01-01", "until": "2026-01-01"},
            {"period": "fortnight"},
            {"since": "yesterday"},
        ):
            assert (await op.get("/api/reports/energy", params=bad)).status_code == 422, bad
