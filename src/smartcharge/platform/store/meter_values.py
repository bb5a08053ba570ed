"""Meter values, appended in batches.

Many chargers send MeterValues at once; writing each message in its own database transaction
would cost one commit (an fsync on SQLite) per message. Instead `append()` adds a message's rows
to a buffer and waits; the buffer is written as one INSERT executed for all its rows, in one
transaction, when it holds `max_rows` rows or `max_delay` seconds after its first row came in,
whichever is first. Every waiter then returns (or raises the write's error), so the caller sends
the CALLRESULT only for rows that are on disk: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import MeterValue

log = logging.getLogger("smartcharge.platform.store")


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
        self._writes: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()  # batches are written one at a time, in order
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
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_later())
        # Shielded: a caller that goes away (its charger disconnected) must not cancel the
        # batch the other callers wait for.
        await asyncio.shield(done)

    async def _flush_later(self) -> None:
        await self._sleep(self._max_delay)
        self._timer = None
        self._flush()

    def _flush(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None
        rows, done = self._rows, self._done
        self._rows, self._done = [], None
        if not rows or done is None:
            return
        task = asyncio.create_task(self._write(rows, done))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, rows: list[dict[str, Any]], done: asyncio.Future[None]) -> None:
        async with self._lock:
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(insert(MeterValue), rows)
            except BaseException as exc:
                log.error("meter values not written rows=%d reason=%s", len(rows), exc)
                if not done.done():
                    done.set_exception(exc)
                    done.exception()  # retrieved: the callers that still wait get it anyway
                if not isinstance(exc, Exception):
                    raise
                return
            self.batches += 1
            self.rows_written += len(rows)
            if not done.done():
                done.set_result(None)

    async def flush(self) -> None:
        """Write what is buffered now and wait for every write in progress."""
        self._flush()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
