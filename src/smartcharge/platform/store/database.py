"""Engines: a SQLite file by default, PostgreSQL when given its URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url` (`sqlite+aiosqlite:///file` or `postgresql+asyncpg://...`).

    SQLite is set up for a server: WAL (readers never wait for the writer), `synchronous=FULL`
    (a committed batch survives a power cut: we acknowledge only what is on disk), foreign keys
    on, and `BEGIN IMMEDIATE` so that a transaction that reads and then writes waits for the
    write lock instead of failing with "database is locked" (another process, e.g. the CLI adding
    a charger, may hold it briefly).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        _sqlite_for_servers(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: SQLite or PostgreSQL")


def _sqlite_for_servers(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
