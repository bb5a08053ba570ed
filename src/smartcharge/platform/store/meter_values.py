"""Meter values, appended in batches (group commit).

Many chargers send MeterValues at once; writing each message in its own database transaction
would cost one commit (an fsync on SQLite) per message. Instead `append()` hands a message's
rows to the group commit (group_commit.py) and waits: the rows of every MeterValues message of a
batch go in one INSERT call, in the transaction that also holds that window's status, start and
stop messages (one commit for all, where a writer of its own paid a second transaction per
window: bench/platform.md). While a batch is being written, everything that comes in gathers
for the next one, so under load the batches grow with the load instead of queueing up. Every
waiter returns once its batch is committed (a batch that fails is tried again one message at a
time, so a bad message fails alone), so the caller sends the CALLRESULT only for rows that are
on disk: nothing acknowledged is lost.

The rows go to the driver directly (PostgreSQL: one INSERT of unnested arrays; SQLite:
multi-row INSERTs), not through SQLAlchemy's per-row parameter processing, which was most of the
platform's CPU per message (bench/platform.md). The table is still the model's, and times are
stored as its `UtcDateTime` stores them.

Nothing is stored twice: a charger sends MeterValues again when it never got the answer (the
network dropped it, or the platform was killed after the commit and before the answer). Each row
carries its sample key, a 64-bit hash of what identifies the sample (connector, transaction,
timestamp, measurand, phase, location, context) and its value, unique per charger; a row whose
key is already there is skipped (`ON CONFLICT DO NOTHING`), so the resend is answered and
changes nothing. The value is part of the key because timestamps are often whole seconds: two
different readings within one second are two samples, never one dropped as a "resend".
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from smartcharge.platform.store import pg_window
from smartcharge.platform.store.group_commit import GroupCommit
from smartcharge.platform.store.models import MeterValue

log = logging.getLogger("smartcharge.platform.store")

COLUMNS = (
    "charger_id",
    "connector_id",
    "transaction_id",
    "timestamp",
    "value",
    "measurand",
    "phase",
    "unit",
    "context",
    "location",
    "format",
    "received_at",
    "sample_key",
)
SQLITE_ROWS_PER_INSERT = 500
"""Rows per multi-row INSERT on SQLite (6,500 parameters; SQLite allows 32,766). Not an
executemany: Python's sqlite3 releases and retakes the GIL around every row's step, and with the
event loop busy each retake waits for the GIL's switch interval, so a 10,000-row executemany in
aiosqlite's thread took seconds of wall time (a convoy) while using little CPU."""


_ON_RESEND = "ON CONFLICT (charger_id, sample_key) DO NOTHING"


@functools.cache
def _sqlite_insert(rows: int) -> str:
    one = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return (
        f"INSERT INTO {MeterValue.__tablename__} ({', '.join(COLUMNS)}) "
        f"VALUES {', '.join([one] * rows)} {_ON_RESEND}"
    )


_PG_TYPES = {
    "timestamp": "timestamptz",
    "received_at": "timestamptz",
    "charger_id": "bigint",
    "connector_id": "bigint",
    "transaction_id": "bigint",
    "sample_key": "bigint",
}
_PG_INSERT = (
    f"INSERT INTO {MeterValue.__tablename__} ({', '.join(COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"${i + 1}::{_PG_TYPES.get(c, 'text')}[]" for i, c in enumerate(COLUMNS))
    + f") {_ON_RESEND}"
)


def sample_key(row: dict[str, Any], at: str) -> int:
    """The 64-bit key of a sample within its charger (`at`: its timestamp, as stored)."""
    parts = (
        row["connector_id"],
        row["transaction_id"],
        at,
        row["measurand"],
        row["phase"],
        row["location"],
        row["context"],
        row["value"],
    )
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def insert_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert meter-value rows in the open transaction of `conn`, the fastest way per engine."""
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the engines we support
        await conn.execute(insert(MeterValue), rows)
        return
    text = dialect == "sqlite"
    records = _records(rows, text=text)
    if text:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # in the transaction: our BEGIN IMMEDIATE came first
        for sql, params in _sqlite_inserts(records):
            await driver.execute(sql, params)
    else:
        # Through SQLAlchemy's connection, not asyncpg's: SQLAlchemy begins the transaction at
        # its first statement, and straight to asyncpg this INSERT, when first in its batch,
        # committed on its own, outside the batch's transaction (a batch that failed kept it).
        await conn.exec_driver_sql(_PG_INSERT, _arrays(records))


def _sqlite_inserts(records: list[tuple[Any, ...]]) -> Iterator[tuple[str, list[Any]]]:
    """The multi-row INSERTs of the records on SQLite, with their parameters."""
    for i in range(0, len(records), SQLITE_ROWS_PER_INSERT):
        chunk = records[i : i + SQLITE_ROWS_PER_INSERT]
        yield _sqlite_insert(len(chunk)), [v for r in chunk for v in r]


def pg_part(rows: list[dict[str, Any]]) -> pg_window.Part:
    """The rows as a part of the window's one statement on PostgreSQL (store/pg_window.py)."""
    return pg_window.Part(
        _PG_INSERT, _arrays(_records(rows, text=False)), False, pg_window.no_results(len(rows))
    )


def _arrays(records: list[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """`_PG_INSERT`'s parameters: one array per column."""
    return tuple(list(column) for column in zip(*records, strict=True))


def _records(rows: list[dict[str, Any]], *, text: bool) -> list[tuple[Any, ...]]:
    """The rows as tuples of `COLUMNS`, times as stored (`text`: SQLite's spelling)."""
    times: dict[datetime, Any] = {}  # a message's rows share their times: convert each once

    def utc(value: datetime) -> Any:
        stored = times.get(value)
        if stored is None:
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ValueError("times are stored as aware datetimes (UTC)")
            stored = value.astimezone(UTC)
            if text:  # as SQLAlchemy's SQLite DATETIME stores it: naive UTC, microseconds
                stored = stored.replace(tzinfo=None).isoformat(" ", "microseconds")
            times[value] = stored
        return stored

    records = []
    for r in rows:
        at = utc(r["timestamp"])
        records.append(
            (
                r["charger_id"],
                r["connector_id"],
                r["transaction_id"],
                at,
                r["value"],
                r["measurand"],
                r["phase"],
                r["unit"],
                r["context"],
                r["location"],
                r["format"],
                utc(r["received_at"]),
                sample_key(r, str(at) if text else at.isoformat()),
            )
        )
    return records


class MeterValueWriter:
    """Meter values, written in the group commit's transactions (`GroupCommit`): a MeterValues
    message waits at most `max_delay` seconds for its batch, which starts early once `max_rows`
    rows are waiting; the message's rows are inserted with the batch's other meter values in
    one call (`insert_rows`), in the same transaction (and commit) as the status, start and
    stop messages of that window."""

    def __init__(self, commits: GroupCommit, *, max_delay: float = 0.05) -> None:
        if max_delay < 0:
            raise ValueError("max_delay must not be negative")
        self._commits = commits
        self._max_delay = max_delay
        self.batches = 0  # statements' worth of batches handed to the database
        self.rows_written = 0  # rows committed
        self._batch = self._batch_function()  # once: the group commit groups by identity

    async def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add `rows` (MeterValue column values) and return once they are committed."""
        if not rows:
            return
        await self._commits.batched(self._batch, rows, rows=len(rows), within=self._max_delay)
        self.rows_written += len(rows)

    def _batch_function(self) -> Any:
        """The group commit's batch function for meter values, with its part of the window's
        one statement on PostgreSQL (`pg_part`) and in the window's one hand-off on SQLite
        (`sqlite_part`)."""

        async def insert(
            conn: AsyncConnection, messages: list[Sequence[dict[str, Any]]]
        ) -> list[None]:
            await insert_rows(conn, [row for rows in messages for row in rows])
            self.batches += 1
            return [None] * len(messages)

        def part(messages: list[Sequence[dict[str, Any]]]) -> pg_window.Part:
            self.batches += 1
            whole = pg_part([row for rows in messages for row in rows])
            return dataclasses.replace(whole, results=pg_window.no_results(len(messages)))

        def step(_dialect: Any, messages: list[Sequence[dict[str, Any]]]) -> Any:
            self.batches += 1
            records = _records([row for rows in messages for row in rows], text=True)

            def in_thread(conn: sqlite3.Connection) -> list[None]:
                for sql, params in _sqlite_inserts(records):
                    conn.execute(sql, params)
                return [None] * len(messages)

            return in_thread

        insert.pg_part = part  # type: ignore[attr-defined]
        insert.sqlite_part = step  # type: ignore[attr-defined]
        return insert

    async def flush(self) -> None:
        """Write what is waiting now and wait for every write in progress."""
        await self._commits.drain()
