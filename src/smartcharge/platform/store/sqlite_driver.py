"""SQLite through aiosqlite with one hand-off to its thread per statement.

aiosqlite runs SQLite in a thread of its own, and SQLAlchemy's adapter makes one round trip to
that thread and back for each step of a statement: open a cursor, execute, fetch the rows,
close the cursor (three or four per statement). Each round trip wakes the thread, takes the GIL
from the event loop and wakes the loop again; a group commit's transaction made about twenty of
them, and on a quiet machine they were most of what SQLite cost beyond PostgreSQL per message
(bench/platform.md). Here a statement is one function run in aiosqlite's thread, which opens a
cursor, executes, fetches and closes it, and hands back the description, the rows, the row count
and the last row id: one round trip.

Everything else is SQLAlchemy's own adapter, so a statement that fails or whose await is
cancelled is handled exactly as before (the connection is invalidated, the transaction rolled
back: store/database.py). Server-side cursors (`stream()`) keep the adapter's own cursor.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any] | None, int, int | None]
"""What a statement left: its cursor's description, rows (None without a description), row
count and last row id."""


def _statement(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """One statement, run in aiosqlite's thread from start to end."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()  # closed here: no cursor is left open if the caller stops waiting


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor with no driver cursor behind it: each statement runs whole in the thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not the adapter's __init__: that opens a driver cursor, a round trip of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:  # the rows are all fetched in the thread
        pass

    async def _async_soft_close(self) -> None:
        pass  # nothing is open: the rows are here and the description is kept

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's queue to its thread, as SQLAlchemy's adapter itself uses it for
            # `isolation_level`: one function, one round trip.
            outcome: _Outcome = await driver._execute(
                _statement, driver._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor  # type: ignore[assignment]  # a subclass: mypy reads the base as exact


class Dbapi(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with `_Cursor` (pass as `create_async_engine`'s
    `module`)."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)
