"""Engines: a SQLite file by default, PostgreSQL when given its URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
            )
        else:  # pragma: no cover - an in-memory database has one static connection already
            engine = create_async_engine(url, echo=echo)
        _sqlite_for_servers(engine, sqlite_busy_timeout_ms)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: SQLite or PostgreSQL")


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
