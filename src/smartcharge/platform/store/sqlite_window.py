"""SQLite: a group commit's window in one hand-off to aiosqlite's thread.

A window on SQLite was BEGIN IMMEDIATE, the starts' INSERT, the status rows' executemany, the
meter values, the stops' SELECT and UPDATE and COMMIT: seven statements through SQLAlchemy,
each a hand-off to aiosqlite's thread and back, and SQLAlchemy's execution of each (its
compiled-statement path, its result) was the largest single cost of a message on SQLite on the
real mix (bench/platform.md, fifth session). Here a batch function with a `sqlite_part` hands
over its work as a plain function of the `sqlite3` connection, with its values already in the
form SQLAlchemy would store them (its own bind processors); the window's functions run in
aiosqlite's thread between one BEGIN IMMEDIATE and one COMMIT, in the order of their ranks as
on the ordinary path, and the whole transaction is rolled back if any of them fails. Nothing
is answered before that COMMIT has returned.

A window with any work without a `sqlite_part` is an ordinary transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, FromClause
from sqlalchemy.ext.asyncio import AsyncEngine

Step = Callable[[sqlite3.Connection], list[Any]]
"""One batch function's work in the thread: one result per argument, in order."""


def _transaction(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[list[Any]]:
    """Run in aiosqlite's thread: the window's transaction from BEGIN to COMMIT."""
    conn.execute("BEGIN IMMEDIATE")  # the write lock now, as the engine's own transactions
    try:
        results = [step(conn) for step in steps]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return results


async def write(engine: AsyncEngine, steps: Sequence[Step]) -> list[list[Any]]:
    """The window's steps in one transaction, in one hand-off; their results once committed.
    An error is raised with nothing of the window stored."""
    async with engine.connect() as conn:
        # The process's one SQLite connection, taken in turn from the pool as every
        # transaction of the process takes it (store/database.py); SQLAlchemy has begun nothing
        # on it, so the transaction here is the only one.
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        try:
            results: list[list[Any]] = await driver._execute(_transaction, driver._conn, steps)
        except sqlite3.Error:
            raise  # rolled back in the thread; the connection is fine
        except BaseException:
            # Cancelled while the thread runs it: it still commits or rolls back there, but the
            # pool must not hand the connection out before it is known to be clean.
            await conn.invalidate()
            raise
    return results


class Rows:
    """A table's rows as SQLite stores them through SQLAlchemy (its bind processors: times as
    naive UTC text, booleans as integers, naive times refused)."""

    def __init__(self, table: FromClause, dialect: Dialect) -> None:
        self.table = table
        self._inserts: dict[tuple[tuple[str, ...], int, str], str] = {}
        self._processors: dict[str, Any] = {
            column.key: column.type.dialect_impl(dialect).bind_processor(dialect)
            for column in table.columns
        }

    def value(self, key: str, value: Any) -> Any:
        process = self._processors[key]
        return value if process is None else process(value)

    def values(self, keys: tuple[str, ...], row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(self.value(key, row[key]) for key in keys)

    def insert(self, keys: tuple[str, ...], count: int, suffix: str = "") -> str:
        """A multi-row INSERT of `count` rows (not an executemany: see meter_values.py)."""
        sql = self._inserts.get((keys, count, suffix))
        if sql is None:
            one = "(" + ", ".join("?" * len(keys)) + ")"
            sql = self._inserts[keys, count, suffix] = (
                f"INSERT INTO {self.table.description} ({', '.join(keys)}) "
                f"VALUES {', '.join([one] * count)} {suffix}"
            )
        return sql


ROWS_PER_INSERT = 500
"""Rows per multi-row INSERT (at most 20 columns: 10,000 parameters; SQLite allows 32,766)."""


def insert_many(
    conn: sqlite3.Connection, rows: Rows, keys: tuple[str, ...], values: list[Any]
) -> None:
    """`values` (tuples of `keys`) inserted in multi-row INSERTs."""
    for i in range(0, len(values), ROWS_PER_INSERT):
        chunk = values[i : i + ROWS_PER_INSERT]
        conn.execute(rows.insert(keys, len(chunk)), [v for row in chunk for v in row])


def rows_of(table: FromClause) -> Callable[[Dialect], Rows]:
    """`Rows` of `table` for a dialect, made once per dialect."""
    made: dict[int, Rows] = {}

    def rows(dialect: Dialect) -> Rows:
        found = made.get(id(dialect))
        if found is None:
            found = made[id(dialect)] = Rows(table, dialect)
        return found

    return rows


def rows_part(table: FromClause) -> Callable[[Dialect, list[dict[str, Any]]], Step]:
    """Rows of `table` (each with the same keys) as a step: multi-row INSERTs."""
    rows_for = rows_of(table)

    def part(dialect: Dialect, given: list[dict[str, Any]]) -> Step:
        rows = rows_for(dialect)
        keys = tuple(given[0])
        values = [rows.values(keys, row) for row in given]

        def step(conn: sqlite3.Connection) -> list[Any]:
            insert_many(conn, rows, keys, values)
            return [None] * len(values)

        return step

    return part


def update_part(
    table: FromClause, key: str, keys: Sequence[str]
) -> Callable[[Dialect, list[Any]], Step]:
    """(key value, {column: value}) pairs, each with `keys`, as a step: one executemany UPDATE,
    in order (of two for the same row the later wins)."""
    rows_for = rows_of(table)
    sql = f"UPDATE {table.description} SET {', '.join(f'{k} = ?' for k in keys)} WHERE {key} = ?"

    def part(dialect: Dialect, args: list[Any]) -> Step:
        rows = rows_for(dialect)
        values = [
            (*(rows.value(k, given[k]) for k in keys), rows.value(key, row_key))
            for row_key, given in args
        ]

        def step(conn: sqlite3.Connection) -> list[Any]:
            conn.executemany(sql, values)
            return [None] * len(values)

        return step

    return part
