"""Engines: a SQLite file by default, PostgreSQL when given its URL."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_, in_greenlet

from smartcharge.platform.store import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a transaction waits for another *process* holding SQLite's write lock (the CLI
adding a charger, say). Within the process the engine has one connection (below)."""
SQLITE_QUEUE_TIMEOUT_S = 60.0
"""How long a caller waits in line for the process's one SQLite connection."""


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_engine(
    url: str, *, echo: bool = False, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> AsyncEngine:
    """An async engine for `url` (`sqlite+aiosqlite:///file` or `postgresql+asyncpg://...`).

    SQLite is set up for a server: WAL (readers never wait for the writer), `synchronous=FULL`
    (a committed batch survives a power cut: we acknowledge only what is on disk), foreign keys
    on, and `BEGIN IMMEDIATE` so that a transaction that reads and then writes waits for the
    write lock instead of failing with "database is locked" (another process, e.g. the CLI adding
    a charger, may hold it briefly).

    The process's own transactions on a SQLite file take turns in order on one pooled
    connection. Since every transaction takes the write lock at BEGIN, several connections would
    not run anything in parallel anyway; they would only meet in SQLite's busy handler, which
    retries with sleeps in no order, so under a burst (thousands of chargers booting) some
    waited past the busy timeout and failed with "database is locked" (bench/platform.md). The
    pool's queue is first come, first served, and the busy timeout is left to arbitrate with
    other processes only.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(
                url,
                echo=echo,
                pool_size=1,
                max_overflow=0,
                pool_timeout=SQLITE_QUEUE_TIMEOUT_S,
                pool_reset_on_return=None,
                module=sqlite_driver.Dbapi(),  # one hand-off to aiosqlite's thread per statement
            )
        else:  # pragma: no cover - an in-memory database has one static connection already
            engine = create_async_engine(url, echo=echo)
        _sqlite_for_servers(engine, sqlite_busy_timeout_ms)
        _close_invalidated_in_order(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: SQLite or PostgreSQL")


def _close_invalidated_in_order(engine: AsyncEngine) -> None:
    """Release the write lock of a connection invalidated by a cancelled statement, always.

    A statement whose task is cancelled invalidates its aiosqlite connection and SQLAlchemy
    terminates it: a shielded graceful close, then, if the task is cancelled again meanwhile
    (a stop cancelling what a timeout already cancelled), aiosqlite's `stop()`. The two race:
    the graceful close clears the connection attribute before the worker thread runs `stop()`'s
    close, so SQLite's connection was never closed, kept its transaction's write lock, every
    later write in the process failed with "database is locked", and the graceful close waited
    forever on a stopped worker (tests/platform/test_cancelled_statement.py). A plain close is
    not enough either: the cancelled statement's cursor is still open, so SQLite defers the
    close, transaction and lock included, until the cursor is collected. Here the transaction is
    rolled back and then the connection closed, both queued behind the running statement in a
    task a second cancellation cannot interrupt. Outside a greenlet (a connection collected as
    garbage) there is no loop to wait on, and the dialect's own force close is the only way.
    """
    dialect = engine.dialect
    force_close = dialect.do_terminate

    def do_terminate(dbapi_connection: Any) -> None:
        if not in_greenlet():
            force_close(dbapi_connection)
            return
        driver = dialect.get_driver_connection(dbapi_connection)
        await_(asyncio.shield(_roll_back_and_close(driver)))

    dialect.do_terminate = do_terminate  # type: ignore[method-assign]


async def _roll_back_and_close(driver: Any) -> None:
    with contextlib.suppress(Exception):  # not in a transaction, or the connection is gone
        await driver.rollback()
    await driver.close()


def _sqlite_for_servers(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
