"""A group commit's window as one statement on PostgreSQL (store/pg_window.py) and in one
hand-off on SQLite (store/sqlite_window.py), on a real PostgreSQL and a real SQLite file: every
kind of message of a window written that way with the results each caller got on the ordinary
path (on PostgreSQL the work that needs more than the statement done after its commit), a
window that fails stored message by message, and work without a part keeping the ordinary
transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from smartcharge.platform.store import Store
from smartcharge.platform.store.models import MeterValue, StatusEvent, Transaction

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


class _Statements:
    """What SQLAlchemy executes and commits (the one statement goes past it, to the driver)."""

    def __init__(self, store: Store) -> None:
        self.executed: list[str] = []
        self.commits = 0
        engine = store.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)

    def _execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.executed.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.commits += 1


def _status(store: Store, cid: int, n: int) -> Any:
    return store.events.status(
        cid, connector_id=1, status="Charging", error_code="NoError", info=str(n), received_at=T0
    )


def _meter(cid: int, n: int) -> dict[str, Any]:
    return {
        "charger_id": cid,
        "connector_id": 1,
        "transaction_id": None,
        "timestamp": T0 + timedelta(seconds=n),
        "value": str(n),
        "measurand": None,
        "phase": None,
        "unit": "Wh",
        "context": None,
        "location": None,
        "format": None,
        "received_at": T0,
    }


async def _count(store: Store, model: Any) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_window_of_every_kind_is_one_statement_with_each_caller_s_result(
    store: Store,
) -> None:
    a = await store.chargers.add("CP-A", None, at=T0)
    b = await store.chargers.add("CP-B", None, at=T0)
    start: dict[str, Any] = {"connector_id": 2, "id_tag": "T", "meter_start": 5, "at": T0}
    stored = await store.transactions.start(a, started_at=T0, **start)
    stop: dict[str, Any] = {"stopped_at": T0 + timedelta(hours=1), "at": T0}
    before = store.commits.one_statement_batches
    seen = _Statements(store)
    (new, new_again, old_again, _s1, _s2, _m, right, wrong, unknown) = await asyncio.gather(
        store.transactions.start(b, started_at=T0, **start),
        store.transactions.start(b, started_at=T0, **start),  # sent twice in the window
        store.transactions.start(a, started_at=T0, **start),  # sent again, its first stored
        _status(store, a, 1),
        _status(store, b, 2),
        store.meter_values.append([_meter(a, 1), _meter(a, 2)]),
        store.transactions.stop(a, stored, meter_stop=500, **stop),
        store.transactions.stop(b, stored, meter_stop=7, **stop),  # not B's transaction
        store.transactions.stop(a, 4242, meter_stop=1, **stop),  # never ours
    )
    assert store.commits.one_statement_batches == before + 1
    # Only PostgreSQL's work after the commit went through SQLAlchemy: the old start's id
    # read back and the two stops we never gave out kept as flagged rows, each in its own
    # transaction. On SQLite all of it was in the window's one hand-off.
    assert seen.commits == (3 if store.dialect == "postgresql" else 0)
    assert not any("status_events" in s or "meter_values" in s for s in seen.executed)
    assert new == new_again != stored and old_again == stored
    assert not right.unknown and right.row_id == stored and right.connector_id == 2
    assert wrong.unknown and unknown.unknown and wrong.row_id != unknown.row_id
    assert await _count(store, StatusEvent) == 2
    assert await _count(store, MeterValue) == 2
    assert await _count(store, Transaction) == 4  # two starts, two flagged stops
    row = await store.transactions.get(stored)
    assert row is not None and row["meter_stop"] == 500 and row["stopped_at"] == stop["stopped_at"]
    # A resend of the same stops and meter values: answered alike, nothing stored twice.
    again = await asyncio.gather(
        store.transactions.stop(a, stored, meter_stop=500, **stop),
        store.transactions.stop(a, 4242, meter_stop=1, **stop),
        store.meter_values.append([_meter(a, 1), _meter(a, 2)]),
    )
    assert again[:2] == [right, unknown]
    assert await _count(store, MeterValue) == 2
    assert await _count(store, Transaction) == 4


async def test_a_window_that_fails_stores_nothing_then_each_message_on_its_own(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    before = store.commits.one_statement_batches
    results = await asyncio.gather(
        *(_status(store, cid, n) for n in range(4)),
        store.meter_values.append([_meter(cid, 1)]),
        _status(store, cid + 1000, 9),  # no such charger: the statement fails
        return_exceptions=True,
    )
    # The window was tried whole, as one statement, which stored nothing; then each alone.
    assert "one by one now items=6" in caplog.text
    assert "ForeignKeyViolation" in caplog.text or "FOREIGN KEY constraint failed" in caplog.text
    assert store.commits.one_statement_batches == before
    assert results[:5] == [None] * 5
    # The error the caller got on the ordinary path, where its message was tried alone.
    assert isinstance(results[5], IntegrityError)
    assert await _count(store, StatusEvent) == 4 and await _count(store, MeterValue) == 1


async def test_work_without_a_part_keeps_the_ordinary_transaction(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    before = store.commits.one_statement_batches
    seen = _Statements(store)

    async def work(conn: Any) -> int:
        return int(await conn.scalar(text("SELECT 41 + 1")))

    answer, _ = await asyncio.gather(store.commits.run(work), _status(store, cid, 1))
    assert answer == 42 and await _count(store, StatusEvent) == 1
    assert store.commits.one_statement_batches == before and seen.commits == 1
