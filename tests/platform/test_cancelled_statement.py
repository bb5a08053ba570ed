"""A SQLite statement cancelled twice must not keep the write lock (platform/store/database.py).

In CI the web stack's platform once failed every write with "database is locked" and could not
stop: a task was cancelled in the middle of a transaction, and cancelled again while SQLAlchemy
was closing the invalidated connection. The connection was never closed, kept its write lock,
and its graceful close waited forever. Here a real SQLite statement is held inside the driver by
a function the test releases, so each cancellation lands at a moment the driver signals."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.database import create_engine, sqlite_url

GUARD_S = 60.0  # only a failure waits this long


class Gate:
    """A SQL function `gate()` that blocks the driver's thread until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def install(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("gate", 0, self._gate)

    def _gate(self) -> int:
        self.entered.set()
        self.release.wait(GUARD_S)
        return 1


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def engine(tmp_path: Path, gate: Gate) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url(tmp_path / "platform.db"))
    event.listen(engine.sync_engine, "connect", gate.install)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    await engine.dispose()


async def held_writer(engine: AsyncEngine, gate: Gate) -> asyncio.Task[None]:
    """A transaction that has inserted a row and now waits inside the driver, at the gate."""

    async def writer() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            await conn.execute(text("SELECT gate()"))

    task = asyncio.create_task(writer())
    await asyncio.to_thread(gate.entered.wait, GUARD_S)
    assert gate.entered.is_set()
    return task


async def next_write(engine: AsyncEngine) -> list[int]:
    """Another transaction: "database is locked" here was the failure."""
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (2)"))
        return list((await conn.execute(text("SELECT x FROM t"))).scalars().all())


async def test_a_transaction_cancelled_twice_mid_statement_leaves_the_database_writable(
    engine: AsyncEngine, gate: Gate
) -> None:
    invalidated = asyncio.Event()
    event.listen(engine.sync_engine.pool, "invalidate", lambda *_: invalidated.set())
    task = await held_writer(engine, gate)
    try:
        task.cancel()  # a timeout, say: the connection is invalidated and being closed
        await asyncio.wait_for(invalidated.wait(), GUARD_S)
        task.cancel()  # and the stop that follows cancels the same task again
        done, _ = await asyncio.wait([task], timeout=GUARD_S)
        assert task in done and task.cancelled()
    finally:
        gate.release.set()

    assert await next_write(engine) == [2], "the cancelled transaction's row is rolled back"
    closing = [t for t in asyncio.all_tasks() if "graceful_close" in repr(t.get_coro())]
    assert not closing, f"a close still waits: {closing}"


async def test_a_transaction_cancelled_once_is_rolled_back_and_the_next_one_runs(
    engine: AsyncEngine, gate: Gate
) -> None:
    task = await held_writer(engine, gate)
    try:
        task.cancel()
    finally:
        gate.release.set()
    done, _ = await asyncio.wait([task], timeout=GUARD_S)
    assert task in done and task.cancelled()
    assert await next_write(engine) == [2]
