"""Stopping the platform while a background pass has a statement in flight (platform/background.py).

In CI the platform's stop once waited forever: the plan keeper was cancelled mid-query, the
rollback of the interrupted transaction raised an ordinary exception (the id-tag cache's rollback
listener read an invalidated connection), the loop logged it as a failed pass and slept on. These
tests interrupt a real statement at a moment the statement itself signals. On SQLite it is a
function of the test that holds the statement in the driver until the test has cancelled the
pass (an interrupted SQLite statement still runs to its end: a long query burnt 6.5 s of CPU); on
PostgreSQL a long query, which the driver cancels on the server."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from sqlalchemy import event, text

from smartcharge.platform.background import failed_pass
from smartcharge.platform.store import Store

SLOW = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000) "
    "SELECT count(*) FROM n"
)
GUARD_S = 60.0  # only a failure waits this long
HELD = text("SELECT held_until_released()")


def _started(store: Store) -> threading.Event:
    """Set when a statement reaches the database driver."""
    started = threading.Event()

    def before(*_args: Any) -> None:
        started.set()

    event.listen(store.engine.sync_engine, "before_cursor_execute", before)
    return started


async def _in_flight(started: threading.Event) -> None:
    # The statement runs in the driver now; interrupting it from here is what a stop does.
    await asyncio.to_thread(started.wait, GUARD_S)
    assert started.is_set()


class Release:
    """The SQLite statement's hold: released once the test has cancelled the pass."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def held_until_released(self) -> int:
        # Runs in the driver's thread, inside the statement.
        return int(self.event.wait(GUARD_S))

    def set(self) -> None:
        self.event.set()


async def _slow_pass(store: Store, release: Release) -> None:
    async with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection  # aiosqlite's connection
            await driver.create_function("held_until_released", 0, release.held_until_released)
            await conn.execute(HELD)
        else:
            await conn.execute(SLOW)


async def test_a_pass_cancelled_mid_statement_ends_cancelled(store: Store) -> None:
    started, release = _started(store), Release()
    task = asyncio.create_task(_slow_pass(store, release))
    await _in_flight(started)
    task.cancel()
    release.set()  # the statement ends only now: the cancel came while it was in the driver
    done, _ = await asyncio.wait([task], timeout=GUARD_S)
    assert task in done
    assert task.cancelled(), f"ended with {task.exception()!r} instead of being cancelled"


async def test_a_loop_that_logs_failed_passes_still_stops(store: Store) -> None:
    log = logging.getLogger("test.background")
    started, release = _started(store), Release()
    passes = 0

    async def loop() -> None:
        nonlocal passes
        while True:
            passes += 1
            try:
                try:
                    await _slow_pass(store, release)
                except asyncio.CancelledError:  # what a driver or a listener may turn it into
                    raise RuntimeError("rollback failed") from None
            except Exception:
                failed_pass(log, "pass failed")
            await asyncio.sleep(3600)

    task = asyncio.create_task(loop())
    await _in_flight(started)
    task.cancel()
    release.set()
    done, _ = await asyncio.wait([task], timeout=GUARD_S)
    assert task in done and task.cancelled()
    assert passes == 1


async def test_a_failed_pass_that_was_not_cancelled_is_logged_and_the_loop_goes_on(
    caplog: Any,
) -> None:
    log = logging.getLogger("test.background")

    async def one_pass() -> str:
        try:
            raise RuntimeError("the database went away")
        except Exception:
            failed_pass(log, "pass failed")
        return "went on"

    with caplog.at_level(logging.ERROR, logger="test.background"):
        assert await one_pass() == "went on"
    assert "pass failed" in caplog.text and "the database went away" in caplog.text
