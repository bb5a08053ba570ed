"""PostgreSQL: a group commit's window in one statement, one round trip.

A window on PostgreSQL was BEGIN, the starts' INSERT, the status rows' executemany, the meter
values' INSERT, the stops' UPDATE and COMMIT: six round trips, each a socket write, a wake-up
and a pass through SQLAlchemy and asyncpg, which together were about two fifths of the
platform's CPU per message on the real mix (bench/platform.md, fifth session). Here the
window's statements are the parts of one statement (data-modifying `WITH` clauses, each its
rows as unnested arrays) sent to asyncpg outside a transaction block: PostgreSQL runs a single
statement atomically, so it commits all of it or none of it, and it has committed when the
answer comes back, before any caller is answered (`synchronous_commit` as the server has it).

The parts see the database as it was before the statement (one snapshot), not one another's
rows. That changes nothing here: a charger learns a transaction's id from the start's answer,
which follows the commit, so a stop or a meter value in the same window cannot name a start of
that window; a start sent twice in the window is stored once (`ON CONFLICT DO NOTHING` sees
the rows the same INSERT wrote before). What needs more than the one statement (a start sent
again after its first sending was stored, whose id is read back; a stop of a transaction we
never gave that charger, kept as a flagged row) is `Later`: work run once the window is
committed, each in a transaction of its own, its caller answered after it.

A batch function takes this path when it has a `pg_part` (args -> `Part`) and every other
function of the window has one too; otherwise the window is an ordinary transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, Boolean, DateTime, FromClause, Integer, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeDecorator

_DIALECT = postgresql.dialect()
_PLAIN_TYPES = (BigInteger, Boolean, DateTime, Integer, String, Text)
"""Column types whose values asyncpg encodes in arrays as they are (after a TypeDecorator's
own bind processing); a model with any other column keeps the ordinary path."""


@dataclass(frozen=True, slots=True)
class Part:
    """One batch function's share of the window's statement."""

    sql: str  # one INSERT or UPDATE, its parameters $1, $2, ... (arrays), RETURNING if `returns`
    params: Sequence[Any]
    returns: bool
    # The RETURNING rows (tuples) -> one result per argument, in order (a `Later` for work left).
    results: Callable[[list[tuple[Any, ...]]], list[Any]]


@dataclass(frozen=True, slots=True)
class Later:
    """Work for after the window's commit, in a transaction of its own; its result is the
    caller's (its error too)."""

    work: Callable[[AsyncConnection], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Failed:
    """A caller's error, in place of its result."""

    error: BaseException


def no_results(count: int) -> Callable[[list[tuple[Any, ...]]], list[Any]]:
    return lambda _rows: [None] * count


@functools.cache
def _shifted(sql: str, by: int) -> str:
    """`sql` with its parameters $n renumbered $n+by (its place in the window's statement)."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + by}", sql)


def statement(parts: Sequence[Part]) -> tuple[str, list[Any]]:
    """The window's one statement and its parameters: each part a `WITH` clause; the result is
    one row, a column per part that returns rows (an array of them, or NULL for none)."""
    clauses: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    for i, part in enumerate(parts):
        clauses.append(f"p{i} AS ({_shifted(part.sql, len(params))})")
        params.extend(part.params)
        if part.returns:
            selects.append(f"(SELECT array_agg(p{i}) FROM p{i})")
    return f"WITH {', '.join(clauses)} SELECT {', '.join(selects) or 'NULL'}", params


async def write(engine: AsyncEngine, parts: Sequence[Part]) -> list[list[Any]]:
    """Run the window's statement (committed when it returns), then its `Later` work; the
    results per part (a `Failed` where a `Later` failed). An error of the statement is raised:
    nothing of the window was stored."""
    sql, params = statement(parts)
    async with engine.connect() as conn:
        # The driver's connection, not SQLAlchemy's execute: SQLAlchemy would open a transaction
        # block (BEGIN and COMMIT, two round trips more) around the one statement.
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        try:
            row = await driver.fetchrow(sql, *params)
        except asyncpg.PostgresError:
            raise  # the statement failed and was rolled back; the connection is fine
        except BaseException:
            # Cancelled or the link broke mid-statement: the pool must not hand it out again.
            await conn.invalidate()
            raise
    assert row is not None
    returned = iter(row)
    results = [part.results(list(next(returned) or ()) if part.returns else []) for part in parts]
    for out in results:
        for i, result in enumerate(out):
            if isinstance(result, Later):
                out[i] = await _later(engine, result)
    return results


async def _later(engine: AsyncEngine, later: Later) -> Any:
    try:
        async with engine.begin() as conn:
            return await later.work(conn)
    except Exception as exc:
        return Failed(exc)


def _plain(column_type: Any) -> Any:
    return column_type.impl if isinstance(column_type, TypeDecorator) else column_type


def unnest_insert(table: FromClause, keys: Sequence[str]) -> str:
    """`INSERT INTO table (keys) SELECT * FROM unnest($1::type[], ...)`."""
    types = [_plain(table.c[key].type).compile(dialect=_DIALECT) for key in keys]
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    return f"INSERT INTO {table.description} ({', '.join(keys)}) SELECT * FROM unnest({arrays})"


def unnest_part(table: FromClause) -> Callable[[list[dict[str, Any]]], Part] | None:
    """Rows of `table` (each with the same keys) as a part: one INSERT of unnested arrays.
    None when a column is of a type this path does not encode, or has a default computed in
    Python (SQLAlchemy fills it in for a row that leaves it out; the arrays would not): the
    table then keeps the ordinary path."""
    for column in table.columns:
        if not isinstance(_plain(column.type), _PLAIN_TYPES):
            return None
        if column.default is not None or column.onupdate is not None:
            return None
    statements = functools.cache(lambda keys: unnest_insert(table, keys))

    def part(rows: list[dict[str, Any]]) -> Part:
        keys = tuple(rows[0])
        return Part(statements(keys), columns(table, keys, rows), False, no_results(len(rows)))

    return part


def unnest_update(table: FromClause, key: str, keys: Sequence[str]) -> str:
    """`UPDATE table SET keys FROM unnest($1::type[], ...) WHERE table.key = the first array`."""
    names = [key, *keys]
    types = [_plain(table.c[name].type).compile(dialect=_DIALECT) for name in names]
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    sets = ", ".join(f"{name} = v.{name}" for name in keys)
    return (
        f"UPDATE {table.description} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)})"
        f" WHERE {table.description}.{key} = v.{key}"
    )


def update_part(table: FromClause, key: str, keys: Sequence[str]) -> Callable[[list[Any]], Part]:
    """(key value, {column: value}) pairs, each with `keys`, as a part: one UPDATE of unnested
    arrays. Of two for the same row the later wins, as in the ordinary path's executemany (an
    UPDATE joined to the same row twice would take either)."""
    sql = unnest_update(table, key, keys)

    def part(args: list[Any]) -> Part:
        last = {row_key: values for row_key, values in args}
        rows = [{key: row_key, **values} for row_key, values in last.items()]
        return Part(sql, columns(table, [key, *keys], rows), False, no_results(len(args)))

    return part


def columns(
    table: FromClause, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> list[list[Any]]:
    """The rows' values as one array per column, each through its column type's own bind
    processing (`UtcDateTime` refuses naive times and stores UTC, as on the ordinary path)."""
    arrays = []
    for key in keys:
        column_type = table.c[key].type
        values = [row[key] for row in rows]
        if isinstance(column_type, TypeDecorator):
            values = [column_type.process_bind_param(v, _DIALECT) for v in values]
        arrays.append(values)
    return arrays
