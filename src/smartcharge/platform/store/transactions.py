"""Transactions: platform-wide unique ids, idempotent starts, stops that are never lost."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store import pg_window
from smartcharge.platform.store.group_commit import GroupCommit
from smartcharge.platform.store.models import Transaction


@dataclass(frozen=True, slots=True)
class Stopped:
    row_id: int  # the transactions row that holds the stop
    unknown: bool  # True: the charger's transaction id was not one we gave it
    connector_id: int | None  # None when unknown


class Transactions:
    """Starts and stops are committed in group (`GroupCommit`) before they return."""

    def __init__(self, engine: AsyncEngine, commits: GroupCommit | None = None) -> None:
        self._engine = engine
        self._commits = commits or GroupCommit(engine)

    async def start(
        self,
        charger_id: int,
        *,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        started_at: datetime,
        at: datetime,
        id_tag_status: str | None = None,
        reservation_id: int | None = None,
    ) -> int:
        """The transaction id for this start: a new one, or, for a StartTransaction sent again
        (same charger, connector, id tag, meter start and timestamp), the one it got before."""
        row = {
            "charger_id": charger_id,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start": meter_start,
            "started_at": started_at,
            "id_tag_status": id_tag_status,
            "reservation_id": reservation_id,
            "unknown_transaction": False,
            "created_at": at,
        }
        return int(await self._commits.batched(_starts, row))

    async def stop(
        self,
        charger_id: int,
        transaction_id: int,
        *,
        meter_stop: int,
        stopped_at: datetime,
        at: datetime,
        reason: str | None = None,
        id_tag: str | None = None,
    ) -> Stopped:
        """Record a StopTransaction. One for a transaction this charger never started with us is
        kept as a flagged row (`unknown_transaction`); the same stop sent again is kept once."""
        stop = _Stop(
            charger_id,
            transaction_id,
            {
                "meter_stop": meter_stop,
                "stopped_at": stopped_at,
                "stop_reason": reason,
                "stop_id_tag": id_tag,
            },
            at,
        )
        result: Stopped = await self._commits.batched(_stops, stop)
        return result

    async def get(self, row_id: int) -> RowMapping | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(Transaction).where(Transaction.id == row_id))).first()
        return None if row is None else row._mapping

    async def of_charger(self, charger_id: int) -> list[RowMapping]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(Transaction)
                .where(Transaction.charger_id == charger_id)
                .order_by(Transaction.id)
            )
            return [row._mapping for row in rows]


_KEY = ("charger_id", "connector_id", "id_tag", "meter_start", "started_at")
"""What makes a start the same start sent again (the table's unique constraint)."""

# The batches' statements, built once: a statement built per batch paid its construction and
# its cache key every time (bench/platform.md, 2026-12-06 third session).
_START = {
    name: dialect.insert(Transaction)
    .on_conflict_do_nothing()  # both engines have it
    .returning(Transaction.id, *(getattr(Transaction, key) for key in _KEY))
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def _starts(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """A batch's starts in one INSERT (ON CONFLICT DO NOTHING, RETURNING the new ids with their
    keys); a start sent again gets the id its first sending got, read by its key."""
    stmt = _START[conn.dialect.name]
    new = {tuple(r[1:]): int(r[0]) for r in (await conn.execute(stmt, rows)).all()}
    ids = []
    for row in rows:
        key = tuple(row[name] for name in _KEY)
        tx = new.get(key)
        if tx is None:  # sent again: its first sending is stored (this batch or before)
            tx = await conn.scalar(select(Transaction.id).where(*_same_start(row)))
            assert tx is not None, "the conflicting start must exist"
        ids.append(int(tx))
    return ids


def _same_start(row: dict[str, Any]) -> list[Any]:
    return [getattr(Transaction, name) == row[name] for name in _KEY]


_starts.rank = 0  # type: ignore[attr-defined]  # before stops in the same transaction


@dataclass(frozen=True, slots=True)
class _Stop:
    charger_id: int
    transaction_id: int
    values: dict[str, Any]
    at: datetime


_STOP = (
    update(Transaction)
    .where(
        Transaction.id == bindparam("tx"),
        Transaction.charger_id == bindparam("charger"),
        Transaction.unknown_transaction.is_(False),
    )
    .values(
        meter_stop=bindparam("meter_stop"),
        stopped_at=bindparam("stopped_at"),
        stop_reason=bindparam("stop_reason"),
        stop_id_tag=bindparam("stop_id_tag"),
    )
)


_OURS = select(Transaction.id, Transaction.charger_id, Transaction.connector_id).where(
    Transaction.id.in_(bindparam("ids", expanding=True)),
    Transaction.unknown_transaction.is_(False),
)

# PostgreSQL: a batch's stops in one statement and one round trip, the rows that are ours
# updated and returned (which is how the unknown ones are told apart). The SELECT and the
# executemany UPDATE below were two round trips and two statements through SQLAlchemy per
# window, among the largest costs of a message on PostgreSQL (bench/platform.md). SQLite has no
# round trips (the statements run in one thread) and keeps the two plain statements.
_PG_STOPS = f"""
UPDATE {Transaction.__tablename__} AS t
SET meter_stop = s.meter_stop, stopped_at = s.stopped_at,
    stop_reason = s.stop_reason, stop_id_tag = s.stop_id_tag
FROM unnest($1::integer[], $2::integer[], $3::integer[], $4::timestamptz[], $5::text[],
            $6::text[]) AS s(tx, charger, meter_stop, stopped_at, stop_reason, stop_id_tag)
WHERE t.id = s.tx AND t.charger_id = s.charger AND NOT t.unknown_transaction
RETURNING t.id, t.charger_id, t.connector_id
"""


async def _stops(conn: AsyncConnection, stops: list[_Stop]) -> list[Stopped]:
    """A batch's stops: those of a transaction this charger started with us are stored in
    set-based statements; a stop of a transaction we never gave the charger is kept apart
    (`_stop_unknown`)."""
    latest = _latest(stops)
    if conn.dialect.name == "postgresql":
        ours = await _store_stops_postgresql(conn, latest)
    else:
        ours = await _store_stops(conn, latest)
    results = []
    for s in stops:
        judged = _judged(s, ours)
        results.append(await judged.work(conn) if isinstance(judged, pg_window.Later) else judged)
    return results


def _latest(stops: list[_Stop]) -> list[_Stop]:
    """The same stop twice in a batch (sent again before its answer came) is stored once, with
    the values it was sent with last, as one UPDATE per stop in order would leave them."""
    return list({(s.transaction_id, s.charger_id): s for s in stops}.values())


_Ours = dict[int, tuple[int, int | None]]
"""The stopped transactions that are ours: id -> (charger id, connector id)."""


async def _store_stops(conn: AsyncConnection, stops: list[_Stop]) -> _Ours:
    """One SELECT finds which stops are ours, one executemany UPDATE stores them."""
    found = await conn.execute(_OURS, {"ids": list({s.transaction_id for s in stops})})
    ours = {row.id: (row.charger_id, row.connector_id) for row in found}
    known = [s for s in stops if ours.get(s.transaction_id, (None,))[0] == s.charger_id]
    if known:
        await conn.execute(
            _STOP, [{"tx": s.transaction_id, "charger": s.charger_id, **s.values} for s in known]
        )
    return ours


async def _store_stops_postgresql(conn: AsyncConnection, stops: list[_Stop]) -> _Ours:
    """`_PG_STOPS`: the stops that are ours stored and returned, in one statement."""
    # Through SQLAlchemy's connection, not the driver's: it begins the transaction if this is
    # the batch's first statement, so the stops commit or roll back with the rest.
    rows = await conn.exec_driver_sql(_PG_STOPS, _stop_columns(stops))
    return {row.id: (row.charger_id, row.connector_id) for row in rows}


def _stop_columns(stops: list[_Stop]) -> tuple[list[Any], ...]:
    """`_PG_STOPS`'s parameters: one array per column."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
    for s in stops:
        stopped_at = s.values["stopped_at"]
        if not isinstance(stopped_at, datetime) or stopped_at.tzinfo is None:
            raise ValueError("times are stored as aware datetimes (UTC)")  # as UtcDateTime
        for column, value in zip(
            columns,
            (
                s.transaction_id,
                s.charger_id,
                s.values["meter_stop"],
                stopped_at,
                s.values["stop_reason"],
                s.values["stop_id_tag"],
            ),
            strict=True,
        ):
            column.append(value)
    return columns


def _judged(s: _Stop, ours: _Ours) -> Stopped | pg_window.Later:
    mine = ours.get(s.transaction_id)
    if mine is not None and mine[0] == s.charger_id:
        return Stopped(s.transaction_id, False, mine[1])
    return pg_window.Later(functools.partial(_stop_unknown, s=s))


_stops.rank = 2  # type: ignore[attr-defined]  # after the starts of the same transaction


async def _stop_unknown(conn: AsyncConnection, s: _Stop) -> Stopped:
    """Kept as a flagged row, once however often it is sent."""
    existing = await conn.scalar(
        select(Transaction.id).where(
            Transaction.charger_id == s.charger_id,
            Transaction.unknown_transaction.is_(True),
            Transaction.reported_id == s.transaction_id,
            Transaction.meter_stop == s.values["meter_stop"],
            Transaction.stopped_at == s.values["stopped_at"],
        )
    )
    if existing is not None:
        return Stopped(int(existing), unknown=True, connector_id=None)
    row_id = (
        await conn.execute(
            insert(Transaction)
            .values(
                charger_id=s.charger_id,
                unknown_transaction=True,
                reported_id=s.transaction_id,
                created_at=s.at,
                **s.values,
            )
            .returning(Transaction.id)
        )
    ).scalar_one()
    return Stopped(int(row_id), unknown=True, connector_id=None)


# The starts' and stops' parts of a window written as one statement (PostgreSQL) or in one
# hand-off (SQLite): transaction_parts.py, which builds on this module's statements.
from smartcharge.platform.store import transaction_parts  # noqa: E402

_starts.pg_part = transaction_parts.pg_starts  # type: ignore[attr-defined]
_starts.sqlite_part = transaction_parts.sqlite_starts  # type: ignore[attr-defined]
_stops.pg_part = transaction_parts.pg_stops  # type: ignore[attr-defined]
_stops.sqlite_part = transaction_parts.sqlite_stops  # type: ignore[attr-defined]
