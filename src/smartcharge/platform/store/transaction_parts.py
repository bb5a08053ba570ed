"""The starts' and stops' share of a group commit's window written as one statement on
PostgreSQL (store/pg_window.py) or in one hand-off on SQLite (store/sqlite_window.py): the same
rows and the same answers as the ordinary path's `_starts` and `_stops` (transactions.py).

A start sent again gets the id its first sending got (read by its key); a stop of a transaction
this charger started with us is stored, any other is kept once as a flagged row. On PostgreSQL
what needs more than the one statement (a resent start whose first sending was stored before,
a flagged stop) runs after the window's commit; on SQLite all of it runs in the window's
transaction, as on the ordinary path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Dialect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smartcharge.platform.store import pg_window, sqlite_window
from smartcharge.platform.store.models import Transaction
from smartcharge.platform.store.transactions import (
    _KEY,
    _PG_STOPS,
    Stopped,
    _judged,
    _latest,
    _Ours,
    _same_start,
    _Stop,
    _stop_columns,
)

_START_KEYS = (*_KEY, "id_tag_status", "reservation_id", "unknown_transaction", "created_at")
_RETURNING = f"RETURNING id, {', '.join(_KEY)}"
_PG_START = (
    pg_window.unnest_insert(Transaction.__table__, _START_KEYS)
    + f" ON CONFLICT DO NOTHING {_RETURNING}"
)


def _started(row: dict[str, Any]) -> Callable[[AsyncConnection], Awaitable[int]]:
    async def look_up(conn: AsyncConnection) -> int:
        tx = await conn.scalar(select(Transaction.id).where(*_same_start(row)))
        assert tx is not None, "the conflicting start must exist"
        return int(tx)

    return look_up


def pg_starts(rows: list[dict[str, Any]]) -> pg_window.Part:
    """The starts as a part of the window's one statement; a start sent again after its first
    sending was stored reads that one's id once the window is committed."""

    def results(returned: list[tuple[Any, ...]]) -> list[Any]:
        new = {tuple(r[1:]): int(r[0]) for r in returned}
        found: list[Any] = []
        for row in rows:
            tx = new.get(tuple(row[name] for name in _KEY))
            found.append(pg_window.Later(_started(row)) if tx is None else tx)
        return found

    params = pg_window.columns(Transaction.__table__, _START_KEYS, rows)
    return pg_window.Part(_PG_START, params, True, results)


def pg_stops(stops: list[_Stop]) -> pg_window.Part:
    """The stops as a part of the window's one statement (`_PG_STOPS`); a stop of a
    transaction we never gave that charger is kept as a flagged row once the window is
    committed."""

    def results(returned: list[tuple[Any, ...]]) -> list[Any]:
        ours = {row[0]: (row[1], row[2]) for row in returned}
        return [_judged(s, ours) for s in stops]

    return pg_window.Part(_PG_STOPS, _stop_columns(_latest(stops)), True, results)


_transactions = sqlite_window.rows_of(Transaction.__table__)
_SAME_START = "SELECT id FROM transactions WHERE " + " AND ".join(f"{name} = ?" for name in _KEY)


def sqlite_starts(dialect: Dialect, given: list[dict[str, Any]]) -> sqlite_window.Step:
    """The starts in the window's transaction on SQLite: multi-row INSERTs (ON CONFLICT DO
    NOTHING RETURNING the new ids with their keys); a start sent again reads its first id."""
    rows = _transactions(dialect)
    values = [rows.values(_START_KEYS, row) for row in given]

    def step(conn: sqlite3.Connection) -> list[Any]:
        new: dict[tuple[Any, ...], int] = {}
        for i in range(0, len(values), sqlite_window.ROWS_PER_INSERT):
            chunk = values[i : i + sqlite_window.ROWS_PER_INSERT]
            sql = rows.insert(_START_KEYS, len(chunk), f"ON CONFLICT DO NOTHING {_RETURNING}")
            for r in conn.execute(sql, [v for row in chunk for v in row]).fetchall():
                new[tuple(r[1:])] = int(r[0])
        ids = []
        for row in values:
            key = row[: len(_KEY)]
            tx = new.get(key)
            if tx is None:  # sent again: its first sending is stored (this window or before)
                tx = int(conn.execute(_SAME_START, key).fetchone()[0])
            ids.append(tx)
        return ids

    return step


_SET_STOP = (
    "UPDATE transactions SET meter_stop = ?, stopped_at = ?, stop_reason = ?, stop_id_tag = ? "
    "WHERE id = ? AND charger_id = ? AND NOT unknown_transaction"
)
_FLAGGED = (
    "SELECT id FROM transactions WHERE charger_id = ? AND unknown_transaction IS 1 "
    "AND reported_id = ? AND meter_stop = ? AND stopped_at = ?"
)
_FLAG_KEYS = (
    "charger_id",
    "unknown_transaction",
    "reported_id",
    "created_at",
    "meter_stop",
    "stopped_at",
    "stop_reason",
    "stop_id_tag",
)


def sqlite_stops(dialect: Dialect, stops: list[_Stop]) -> sqlite_window.Step:
    """The stops in the window's transaction on SQLite: one SELECT finds which are ours, one
    executemany UPDATE stores them, and any other is kept once as a flagged row."""
    rows = _transactions(dialect)
    latest = _latest(stops)
    updates = [
        (
            s.values["meter_stop"],
            rows.value("stopped_at", s.values["stopped_at"]),
            s.values["stop_reason"],
            s.values["stop_id_tag"],
            s.transaction_id,
            s.charger_id,
        )
        for s in latest
    ]
    flagged = [
        rows.values(
            _FLAG_KEYS,
            {
                **s.values,
                "charger_id": s.charger_id,
                "unknown_transaction": True,
                "reported_id": s.transaction_id,
                "created_at": s.at,
            },
        )
        for s in stops
    ]

    def step(conn: sqlite3.Connection) -> list[Any]:
        ids = list({s.transaction_id for s in latest})
        found = conn.execute(
            f"SELECT id, charger_id, connector_id FROM transactions WHERE id IN "
            f"({', '.join('?' * len(ids))}) AND NOT unknown_transaction",
            ids,
        ).fetchall()
        ours: _Ours = {r[0]: (r[1], r[2]) for r in found}
        known = [u for s, u in zip(latest, updates, strict=True) if _is_ours(s, ours)]
        if known:
            conn.executemany(_SET_STOP, known)
        results: list[Any] = []
        for s, flag in zip(stops, flagged, strict=True):
            judged = _judged(s, ours)
            results.append(
                _flag(conn, rows, flag) if isinstance(judged, pg_window.Later) else judged
            )
        return results

    return step


def _is_ours(s: _Stop, ours: _Ours) -> bool:
    return ours.get(s.transaction_id, (None,))[0] == s.charger_id


def _flag(conn: sqlite3.Connection, rows: sqlite_window.Rows, flag: tuple[Any, ...]) -> Stopped:
    """A stop of a transaction we never gave that charger, kept once (`_stop_unknown`)."""
    charger_id, _unknown, reported_id, _at, meter_stop, stopped_at = flag[:6]
    existing = conn.execute(_FLAGGED, (charger_id, reported_id, meter_stop, stopped_at)).fetchone()
    if existing is not None:
        return Stopped(int(existing[0]), unknown=True, connector_id=None)
    cursor = conn.execute(rows.insert(_FLAG_KEYS, 1), flag)
    return Stopped(int(cursor.lastrowid or 0), unknown=True, connector_id=None)
