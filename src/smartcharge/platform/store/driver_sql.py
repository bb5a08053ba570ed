"""Plain SQL on the database driver itself, for the few statements every connecting charger runs.

Through SQLAlchemy a read on PostgreSQL is BEGIN, the SELECT and, when the pool takes the
connection back, ROLLBACK (asyncpg's connection is not in autocommit): three round trips, plus
the statement's construction, its compiled-cache lookup and the result's processing. That is
about 1 ms of the event loop's CPU per read or single-row write, where asyncpg alone takes
0.1 ms, and a charger reconnecting after a node restart ran five of them (its credentials, its
connection record, its local list's state and cards, its site). In a reconnect storm of 5,000
chargers they were half of the loop's work (bench/platform.md, sixth session).

Here a statement is plain SQL with `$1, $2, ...` parameters, run on the pooled connection's
driver:

- PostgreSQL: one statement outside a transaction block, so it is atomic on its own and
  committed when it returns; one round trip.
- SQLite: in one hand-off to aiosqlite's thread; a write between BEGIN IMMEDIATE and COMMIT,
  as every transaction of the process takes the write lock (store/database.py).

Values go in as the driver takes them: `bind` runs a column's own bind processing (times as
aware UTC on PostgreSQL and naive UTC text on SQLite, naive times refused), as SQLAlchemy would.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeDecorator


@functools.cache
def _qmark(sql: str) -> str:
    """`$n` as SQLite's numbered `?n` (the same parameter, by position)."""
    return re.sub(r"\$(\d+)", r"?\1", sql)


def bind(engine: AsyncEngine, column: ColumnElement[Any], value: Any) -> Any:
    """`value` as `column` is stored on this engine (the column type's bind processing)."""
    dialect = engine.dialect
    column_type: Any = column.type
    if isinstance(column_type, TypeDecorator):
        value = column_type.process_bind_param(value, dialect)
        column_type = column_type.impl_instance
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name == "postgresql" or process is None:
        return value  # asyncpg encodes Python values itself
    return process(value)


async def fetchrow(engine: AsyncEngine, sql: str, *params: Any) -> tuple[Any, ...] | None:
    """The first row of a read, as a tuple; None when there is none."""
    async with engine.connect() as conn:
        driver = await _driver(conn)
        try:
            if engine.dialect.name == "postgresql":
                row = await driver.fetchrow(sql, *params)
                return None if row is None else tuple(row)
            found: tuple[Any, ...] | None = await driver._execute(
                _sqlite_read, driver._conn, _qmark(sql), params
            )
            return found
        except (asyncpg.PostgresError, sqlite3.Error):
            raise  # the statement failed; the connection is fine
        except BaseException:
            # Cancelled or the link broke mid-statement: the pool must not hand it out again.
            await conn.invalidate()
            raise


async def execute(engine: AsyncEngine, sql: str, *params: Any) -> int:
    """A write of one statement, committed when this returns; the rows it changed."""
    async with engine.connect() as conn:
        driver = await _driver(conn)
        try:
            if engine.dialect.name == "postgresql":
                status: str = await driver.execute(sql, *params)  # "UPDATE 1"
                return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0
            changed: int = await driver._execute(_sqlite_write, driver._conn, _qmark(sql), params)
            return changed
        except (asyncpg.PostgresError, sqlite3.Error):
            raise  # rolled back; the connection is fine
        except BaseException:
            await conn.invalidate()
            raise


async def _driver(conn: AsyncConnection) -> Any:
    # SQLAlchemy has begun nothing on this connection: the statement here is the only one.
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


def _sqlite_read(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else tuple(row)


def _sqlite_write(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        changed = conn.execute(sql, params).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return changed
