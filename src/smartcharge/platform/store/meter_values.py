"""Meter values, appended in batches (group commit).

Many chargers send MeterValues at once; writing each message in its own database transaction
would cost one commit (an fsync on SQLite) per message. Instead `append()` adds a message's rows
to a buffer and waits. The buffer is written as one INSERT executed for all its rows, in one
transaction, when it holds `max_rows` rows or `max_delay` seconds after its first row came in,
whichever is first; and while a batch is being written, everything that comes in gathers for
the next one, which is written as soon as the previous one is done. So under load the batches
grow with the load instead of queueing up behind each other: one commit serves as many messages
as arrived during the previous commit. Every waiter then returns (or raises the write's error),
so the caller sends the CALLRESULT only for rows that are on disk: nothing acknowledged is lost.

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

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    if text:
        for i in range(0, len(records), SQLITE_ROWS_PER_INSERT):
            chunk = records[i : i + SQLITE_ROWS_PER_INSERT]
            await driver.execute(_sqlite_insert(len(chunk)), [v for r in chunk for v in r])
    else:
        await driver.execute(_PG_INSERT, *(list(column) for column in zip(*records, strict=True)))


class MeterValueWriter:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_rows: int = 500,
        max_delay: float = 0.05,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_rows < 1 or max_delay < 0:
            raise ValueError("max_rows must be at least 1 and max_delay not negative")
        self._engine = engine
        self._max_rows = max_rows
        self._max_delay = max_delay
        self._sleep = sleep
        self._rows: list[dict[str, Any]] = []
        self._done: asyncio.Future[None] | None = None  # resolves when the buffer is written
        self._timer: asyncio.Task[None] | None = None
        self._writing: asyncio.Task[None] | None = None  # one batch at a time, in order
        self.batches = 0
        self.rows_written = 0

    async def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add `rows` (MeterValue column values) and return once they are committed."""
        if not rows:
            return
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        done = self._done
        self._rows.extend(rows)
        if len(self._rows) >= self._max_rows:
            self._flush()
        elif self._timer is None and self._writing is None:
            self._timer = asyncio.create_task(self._flush_later())
        # Shielded: a caller that goes away (its charger disconnected) must not cancel the
        # batch the other callers wait for.
        await asyncio.shield(done)

    async def _flush_later(self) -> None:
        await self._sleep(self._max_delay)
        self._timer = None
        self._flush()

    def _flush(self) -> None:
        """Write the buffer now, unless a write is in progress: then it follows that one."""
        if self._writing is not None:
            return
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None
        rows, done = self._rows, self._done
        self._rows, self._done = [], None
        if not rows or done is None:
            return
        self._writing = asyncio.create_task(self._write(rows, done))

    async def _write(self, rows: list[dict[str, Any]], done: asyncio.Future[None]) -> None:
        try:
            async with self._engine.begin() as conn:
                await insert_rows(conn, rows)
        except BaseException as exc:
            log.error("meter values not written rows=%d reason=%s", len(rows), exc)
            if not done.done():
                done.set_exception(exc)
                done.exception()  # retrieved: the callers that still wait get it anyway
            self._next_batch()
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        self.rows_written += len(rows)
        if not done.done():
            done.set_result(None)
        self._next_batch()

    def _next_batch(self) -> None:
        # What came in during this write has waited at least as long as the write took.
        self._writing = None
        if self._rows:
            self._flush()

    async def flush(self) -> None:
        """Write what is buffered now and wait for every write in progress."""
        self._flush()
        while self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)
            self._flush()
