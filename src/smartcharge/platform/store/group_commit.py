"""Group commit: the writes of many chargers' messages in one database transaction.

A StatusNotification, a BootNotification, a StartTransaction or a StopTransaction must be stored
before it is answered; in its own transaction each one paid a BEGIN, a COMMIT (an fsync on
SQLite) and the pool's hand-offs, 1 to 3 ms of CPU per message (bench/platform.md). Here each
caller hands over its work, rows to insert or a function of the connection, and waits; the
work of everyone who came in while the previous batch was being written goes in the next batch,
one transaction, one commit. A batch starts `max_delay` seconds after its first piece of work
came in (meter values: their own `meter_batch_ms`, the earliest deadline wins), or once
`max_items` pieces or `max_rows` rows are waiting, so that even at a few messages a second a
commit serves several; what came in while the previous batch was written goes at its own
first deadline too (at once if that has passed while writing). Meter values share these
transactions (store/meter_values.py): one commit per window for everything chargers send, not
one per kind.
Every caller returns only once its batch is committed (or gets the error), so the answer still
follows the commit.

Rows of the same table in a batch go in one executemany. A window whose work all has a part
for it is written without SQLAlchemy's statements: on PostgreSQL as one statement
(store/pg_window.py), on SQLite in one hand-off to aiosqlite's thread (store/sqlite_window.py).
If a batch fails, it is rolled back and each piece of work is run again in its own ordinary
transaction, so one bad message (say a status of a charger deleted meanwhile) fails alone, with
the error it always got, and the others are stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store import pg_window, sqlite_window

log = logging.getLogger("smartcharge.platform.store")

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[Any]]
Batch = Callable[[AsyncConnection, list[Any]], Awaitable[list[Any]]]
"""A batch function: the work of several callers (`args`, one each) in set-based statements
on `conn`; one result per argument, in order. `rank` (attribute, default 1) orders the groups
within a transaction: starts (0) before anything else, stops (2) after everything else.
`pg_part` (attribute, optional): args -> `pg_window.Part`, the same work as a part of the
window's one statement on PostgreSQL; `sqlite_part` (optional): (dialect, args) ->
`sqlite_window.Step`, the same work on the plain `sqlite3` connection."""


class _Item:
    __slots__ = ("arg", "batch", "done", "rows")

    def __init__(self, batch: Batch, arg: Any, rows: int = 0) -> None:
        self.batch, self.arg, self.rows = batch, arg, rows
        self.done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()


async def _each(conn: AsyncConnection, works: list[Work]) -> list[Any]:
    return [await work(conn) for work in works]


def _inserts(model: Any) -> Batch:
    statement = insert(model)  # built once: per batch it paid its construction and cache key

    async def insert_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[Any]:
        await conn.execute(statement, rows)  # one executemany for the batch's rows
        return [None] * len(rows)

    pg_part = pg_window.unnest_part(model.__table__)
    if pg_part is not None:  # its columns are written as they are (pg_window.unnest_part)
        insert_rows.pg_part = pg_part  # type: ignore[attr-defined]
        insert_rows.sqlite_part = sqlite_window.rows_part(model.__table__)  # type: ignore[attr-defined]
    return insert_rows


class GroupCommit:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_items: int = 1000,
        max_rows: int = 500,
        max_delay: float = 0.05,
    ) -> None:
        if max_items < 1 or max_rows < 1 or max_delay < 0:
            raise ValueError("max_items, max_rows must be at least 1 and max_delay not negative")
        self._engine = engine
        self._max_items, self._max_rows, self._max_delay = max_items, max_rows, max_delay
        self._queue: list[_Item] = []
        self._rows = 0  # rows waiting in the queue (meter values)
        self._writing: asyncio.Task[None] | None = None
        # A timer handle, not a sleeping task: one less task (and wake-up) per batch.
        self._timer: asyncio.Handle | None = None
        # When the timer fires: kept here, since uvloop hands back a plain Handle, without
        # `when()`, for a deadline under a millisecond away.
        self._deadline = 0.0
        self._due = False  # what waits is to be written as soon as the writer can
        self._insert_batches: dict[Any, Batch] = {}
        self.batches = 0
        self.items = 0
        self._fast_path = engine.dialect.name  # pg_window.py, sqlite_window.py
        # Of them, written as one statement (pg_window.py) or in one hand-off (sqlite_window.py).
        self.one_statement_batches = 0

    async def insert(self, model: Any, row: dict[str, Any]) -> None:
        """Insert `row` into `model`'s table; return once it is committed. Give every row of a
        model the same keys (the batch's rows go in one executemany)."""
        batch = self._insert_batches.get(model)
        if batch is None:
            batch = self._insert_batches[model] = _inserts(model)
        await self._submit(_Item(batch, row))

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`await work(conn)` inside a batch's transaction; its result once committed. `work`
        may run twice (the batch failed: then alone), so it must only use `conn`."""
        result: T = await self._submit(_Item(_each, work))
        return result

    async def batched(
        self, batch: Batch, arg: Any, *, rows: int = 0, within: float | None = None
    ) -> Any:
        """`batch(conn, [arg, ...])` for this and the other callers' `arg`s of the same batch
        function in the transaction; this one's result once committed. May run twice (then
        alone), so it must only use `conn`. `rows`: how many rows it writes (toward
        `max_rows`); `within`: the longest it may wait for its batch, instead of `max_delay`."""
        return await self._submit(_Item(batch, arg, rows), within)

    async def drain(self) -> None:
        """Write what is waiting now, and wait until everything handed over so far is written."""
        self._start()
        while self._writing is not None:
            await asyncio.gather(asyncio.shield(self._writing), return_exceptions=True)
            self._start()

    def _start(self) -> None:
        """What waits is due: written now, or right after the batch being written."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._due = bool(self._queue)
        if self._writing is None and self._queue:
            self._writing = asyncio.create_task(self._write_all())

    async def _submit(self, item: _Item, delay: float | None = None) -> Any:
        self._queue.append(item)
        self._rows += item.rows
        delay = self._max_delay if delay is None else delay
        full = len(self._queue) >= self._max_items or self._rows >= self._max_rows
        if full or not delay:
            self._start()
        elif not self._due:
            # Armed while a batch is being written too: what comes in meanwhile waits for its
            # own deadline, not only for that write (a few milliseconds), so that a window
            # holds what a window's time brings (fewer, fuller commits: bench/platform.md).
            loop = asyncio.get_running_loop()
            at = loop.time() + delay
            if self._timer is None or at < self._deadline:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer, self._deadline = loop.call_at(at, self._start), at
        # A caller that goes away (its charger disconnected) cancels only its own future: the
        # batch does not wait on it, so the others' commit and its own work still happen. (No
        # shield: one future and callback less per message.)
        return await item.done

    async def _write_all(self) -> None:
        try:
            while self._queue and self._due:
                batch = self._take()
                # What is left of a queue that was due (more than a batch holds) goes next.
                self._due = bool(self._queue)
                await self._write(batch)
        finally:
            self._writing = None
            if self._queue and self._due:  # pragma: no cover - a cancellation at shutdown
                self._writing = asyncio.create_task(self._write_all())

    def _take(self) -> list[_Item]:
        """The next batch: up to `max_items` pieces of work and about `max_rows` rows."""
        taken = rows = 0
        for item in self._queue:
            if taken == self._max_items or (taken and rows + item.rows > self._max_rows):
                break
            taken += 1
            rows += item.rows
        batch = self._queue[:taken]
        del self._queue[:taken]
        self._rows -= rows
        return batch

    async def _write(self, batch: list[_Item]) -> None:
        try:
            results = await self._transaction(batch)
        except Exception as exc:
            if len(batch) == 1 and self._fast_path not in ("postgresql", "sqlite"):
                _fail(batch[0], exc)
                return
            reason = getattr(exc, "orig", None) or exc  # not the statement and its values
            if len(batch) > 1:  # one alone on PostgreSQL: tried once more, on the ordinary path
                log.warning(
                    "group commit failed, one by one now items=%d reason=%s: %s",
                    len(batch),
                    type(reason).__name__,
                    reason,
                )
            for item in batch:
                try:
                    # The ordinary path: each caller gets its error as it always did.
                    result = (await self._transaction([item], one_statement=False))[0]
                except Exception as one:
                    _fail(item, one)
                else:
                    _succeed(item, result)
            return
        except BaseException as exc:  # cancelled: the callers must not wait forever
            for item in batch:
                _fail(item, exc)
            raise
        self.batches += 1
        self.items += len(batch)
        for item, result in zip(batch, results, strict=True):
            _succeed(item, result)

    async def _transaction(self, batch: list[_Item], *, one_statement: bool = True) -> list[Any]:
        results: list[Any] = [None] * len(batch)
        groups: dict[Batch, list[int]] = {}
        for i, item in enumerate(batch):
            groups.setdefault(item.batch, []).append(i)
        ordered = sorted(groups.items(), key=lambda group: getattr(group[0], "rank", 1))
        # A value the parts cannot take (a naive time, say) raises while they are built, before
        # anything is sent; the window is then tried one by one on the ordinary path.
        outs = await self._fast(ordered, batch) if one_statement else None
        if outs is None:
            async with self._engine.begin() as conn:
                outs = [await fn(conn, [batch[i].arg for i in idx]) for fn, idx in ordered]
        for (_fn, indexes), out in zip(ordered, outs, strict=True):
            for i, result in zip(indexes, out, strict=True):
                results[i] = result
        return results

    async def _fast(
        self, ordered: list[tuple[Batch, list[int]]], batch: list[_Item]
    ) -> list[list[Any]] | None:
        """The window as one statement (PostgreSQL) or in one hand-off (SQLite) when all its
        work has a part for it; None when not."""
        fns = [fn for fn, _ in ordered]
        if self._fast_path == "postgresql" and all(hasattr(fn, "pg_part") for fn in fns):
            parts = [_part(fn, [batch[i].arg for i in idx]) for fn, idx in ordered]
            outs = await pg_window.write(self._engine, parts)
        elif self._fast_path == "sqlite" and all(hasattr(fn, "sqlite_part") for fn in fns):
            dialect = self._engine.dialect
            steps = [_step(fn, dialect, [batch[i].arg for i in idx]) for fn, idx in ordered]
            outs = await sqlite_window.write(self._engine, steps)
        else:
            return None
        self.one_statement_batches += 1
        return outs


def _part(fn: Batch, args: list[Any]) -> pg_window.Part:
    part: pg_window.Part = fn.pg_part(args)  # type: ignore[attr-defined]
    return part


def _step(fn: Batch, dialect: Any, args: list[Any]) -> sqlite_window.Step:
    step: sqlite_window.Step = fn.sqlite_part(dialect, args)  # type: ignore[attr-defined]
    return step


def _succeed(item: _Item, result: Any) -> None:
    if isinstance(result, pg_window.Failed):  # its work after the window's commit failed
        _fail(item, result.error)
    elif not item.done.done():
        item.done.set_result(result)


def _fail(item: _Item, exc: BaseException) -> None:
    if not item.done.done():
        item.done.set_exception(exc)
        item.done.exception()  # retrieved: a caller that went away does not log it as lost
