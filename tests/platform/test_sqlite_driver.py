"""SQLite statements make one round trip to aiosqlite's thread each (store/sqlite_driver.py),
and give the same results and errors as through SQLAlchemy's own adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store.database import create_engine, sqlite_url


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url(tmp_path / "platform.db"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER UNIQUE)"))
    yield engine
    await engine.dispose()


class RoundTrips:
    """Counts the functions handed to the aiosqlite connection's thread."""

    def __init__(self) -> None:
        self.count = 0

    async def watch(self, conn: AsyncConnection) -> None:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        handoff = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await handoff(fn, *args, **kwargs)

        driver._execute = counted


async def test_each_statement_is_one_round_trip_with_its_results(engine: AsyncEngine) -> None:
    trips = RoundTrips()
    async with engine.connect() as conn:
        await trips.watch(conn)
        await conn.begin()
        assert trips.count == 1  # BEGIN IMMEDIATE (store/database.py)
        await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), [{"x": 1}, {"x": 2}, {"x": 3}])
        assert trips.count == 2  # an executemany
        inserted = await conn.execute(text("INSERT INTO t (x) VALUES (4)"))
        assert (inserted.lastrowid, inserted.rowcount, trips.count) == (4, 1, 3)
        returned = await conn.execute(text("INSERT INTO t (x) VALUES (5) RETURNING id, x"))
        assert (returned.all(), trips.count) == ([(5, 5)], 4)
        updated = await conn.execute(text("UPDATE t SET x = x + 10 WHERE x <= 2"))
        assert (updated.rowcount, trips.count) == (2, 5)
        rows = await conn.execute(text("SELECT id, x FROM t ORDER BY id"))
        assert list(rows.keys()) == ["id", "x"]
        assert rows.all() == [(1, 11), (2, 12), (3, 3), (4, 4), (5, 5)]
        assert trips.count == 6
        await conn.commit()
        assert trips.count == 7
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 5


async def test_a_failing_statement_raises_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (x) VALUES (7)"))
            await conn.execute(text("INSERT INTO t (x) VALUES (7)"))  # UNIQUE
    async with engine.begin() as conn:  # rolled back: neither row is there, and it writes
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        await conn.execute(text("INSERT INTO t (x) VALUES (7)"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT x FROM t"))).scalars().all() == [7]
