"""The store on SQLite and PostgreSQL: migrations, registry, idempotent starts, unknown stops,
meter values in batches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, func, select

from smartcharge.platform.registry import add_charger, verify_password
from smartcharge.platform.store import ChargerExists, Store
from smartcharge.platform.store import migrate as migrations
from smartcharge.platform.store.meter_values import insert_rows
from smartcharge.platform.store.models import Charger, MeterValue, User

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


async def test_migrate_is_idempotent_and_at_head(store: Store) -> None:
    assert await store.revision() == migrations.head()
    await store.migrate()
    assert await store.revision() == migrations.head()


async def test_add_charger_stores_only_an_argon2_hash(store: Store) -> None:
    new = await add_charger(store, "CP-1", owner="Owner@Example.org", site="Depot")
    assert 16 <= len(new.password) <= 40 and "cp-1" not in new.password.lower()
    row = await store.chargers.get("CP-1")
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert new.password not in row["password_hash"]
    assert verify_password(row["password_hash"], new.password)
    assert not verify_password(row["password_hash"], new.password + "x")
    async with store.engine.connect() as conn:
        owner = (await conn.execute(select(User).where(User.id == row["owner_id"]))).one()
    assert owner.email == "owner@example.org" and owner.role == "owner"
    with pytest.raises(ChargerExists):
        await add_charger(store, "CP-1")
    other = await add_charger(store, "CP-2")
    assert other.password != new.password


async def test_times_come_back_aware_utc(store: Store) -> None:
    bst = datetime(2026, 6, 1, 11, 0, tzinfo=UTC).astimezone()  # any offset in, UTC out
    cid = await store.chargers.add("CP", None, at=bst)
    async with store.engine.connect() as conn:
        created = await conn.scalar(select(Charger.created_at).where(Charger.id == cid))
    assert created == bst and created.tzinfo == UTC
    with pytest.raises(Exception, match="aware"):
        await store.chargers.add("CP2", None, at=datetime(2026, 6, 1))  # naive: refused


async def test_start_sent_again_gets_the_same_transaction_id(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    other = await store.chargers.add("CP-B", None, at=T0)
    start: dict[str, Any] = {
        "connector_id": 1,
        "id_tag": "TAG",
        "meter_start": 1200,
        "started_at": T0,
        "at": T0,
    }
    first = await store.transactions.start(cid, **start)
    again = await store.transactions.start(cid, **{**start, "at": T0 + timedelta(minutes=3)})
    assert again == first
    # Concurrent resends too.
    both = await asyncio.gather(*(store.transactions.start(cid, **start) for _ in range(5)))
    assert set(both) == {first}
    # Any difference is a new transaction, with an id unique across the platform.
    later = await store.transactions.start(cid, **{**start, "meter_start": 1201})
    elsewhere = await store.transactions.start(other, **start)
    assert len({first, later, elsewhere}) == 3


async def test_stop_of_an_unknown_transaction_is_kept_and_flagged(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    other = await store.chargers.add("CP-B", None, at=T0)
    tx = await store.transactions.start(
        other, connector_id=1, id_tag="T", meter_start=0, started_at=T0, at=T0
    )
    stop: dict[str, Any] = {"meter_stop": 500, "stopped_at": T0 + timedelta(hours=1), "at": T0}
    unknown = await store.transactions.stop(cid, 4242, reason="PowerLoss", **stop)
    assert unknown.unknown
    assert (await store.transactions.stop(cid, 4242, reason="PowerLoss", **stop)) == unknown
    # Another charger's transaction is not this charger's to stop.
    assert (await store.transactions.stop(cid, tx, **stop)).unknown
    row = await store.transactions.get(unknown.row_id)
    assert row is not None
    assert row["unknown_transaction"] and row["reported_id"] == 4242
    assert row["meter_stop"] == 500 and row["stop_reason"] == "PowerLoss"
    known = await store.transactions.stop(other, tx, reason="Local", **stop)
    assert not known.unknown and known.row_id == tx and known.connector_id == 1
    assert (await store.transactions.get(tx))["stopped_at"] == T0 + timedelta(hours=1)  # type: ignore[index]


async def test_id_tag_info(store: Store) -> None:
    await store.id_tags.put("OK", at=T0)
    await store.id_tags.put("OLD", at=T0, expiry_date=T0 - timedelta(days=1))
    await store.id_tags.put("CHILD", at=T0, parent_id_tag="OK", status="Blocked")
    assert await store.id_tags.info("OK", now=T0) == {"status": "Accepted"}
    assert (await store.id_tags.info("OLD", now=T0))["status"] == "Expired"
    assert await store.id_tags.info("CHILD", now=T0) == {
        "status": "Blocked",
        "parentIdTag": "OK",
    }
    assert await store.id_tags.info("NOPE", now=T0) == {"status": "Invalid"}
    await store.id_tags.put("CHILD", at=T0)  # replaced
    assert await store.id_tags.info("CHILD", now=T0) == {"status": "Accepted"}


def _row(cid: int, n: int) -> dict[str, Any]:
    return {
        "charger_id": cid,
        "connector_id": 1,
        "transaction_id": 7,
        "timestamp": T0 + timedelta(seconds=n),
        "value": str(n),
        "measurand": "Power.Active.Import",
        "phase": None,
        "unit": "W",
        "context": "Sample.Periodic",
        "location": None,
        "format": None,
        "received_at": T0,
    }


@contextlib.contextmanager
def commits_of(store: Store) -> Iterator[list[None]]:
    """The commits the store makes inside the block, one item each, complete once the block
    has ended: SQLAlchemy's transactions, and the windows written on PostgreSQL as one
    statement outside a transaction block (store/pg_window.py), each its own commit."""
    commits: list[None] = []
    single_statements = store.commits.one_statement_batches

    def count(_conn: Any) -> None:
        commits.append(None)

    event.listen(store.engine.sync_engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(store.engine.sync_engine, "commit", count)
        commits.extend([None] * (store.commits.one_statement_batches - single_statements))


async def test_meter_values_are_written_in_batches(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    # 60 messages of 3 rows from 60 chargers at once: a handful of commits, not 60.
    with commits_of(store) as commits:
        await asyncio.gather(
            *(
                store.meter_values.append([_row(cid, 3 * i + k) for k in range(3)])
                for i in range(60)
            )
        )
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MeterValue)) == 180
    assert 1 <= len(commits) <= 5, len(commits)
    assert store.meter_values.rows_written == 180


async def test_meter_value_batch_flushes_at_max_rows(database_url: str) -> None:
    store = Store(database_url, meter_batch_rows=10, meter_batch_delay=3600)
    await store.migrate()
    try:
        cid = await store.chargers.add("CP", None, at=T0)
        # The delay is an hour: only the row count can flush these.
        await asyncio.wait_for(
            asyncio.gather(*(store.meter_values.append([_row(cid, i)]) for i in range(20))), 10
        )
        assert store.meter_values.batches == 2
    finally:
        await store.close()


async def test_a_bad_meter_value_fails_alone(store: Store) -> None:
    bad = {**_row(999_999, 0)}  # no such charger: the foreign key fails the whole batch
    cid = await store.chargers.add("CP", None, at=T0)
    results = await asyncio.gather(
        store.meter_values.append([_row(cid, 1)]),
        store.meter_values.append([bad]),
        return_exceptions=True,
    )
    # The batch is rolled back and each message tried alone: the good one is stored.
    assert results[0] is None and isinstance(results[1], Exception)
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MeterValue)) == 1
    await store.meter_values.append([_row(cid, 2)])  # and the writer goes on
    assert store.meter_values.rows_written == 2


async def test_meter_values_share_the_commit_of_status_messages(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    with commits_of(store) as commits:
        await asyncio.gather(
            store.meter_values.append([_row(cid, 1)]),
            store.events.status(
                cid,
                connector_id=1,
                status="Charging",
                error_code="NoError",
                info=None,
                vendor_id=None,
                vendor_error_code=None,
                timestamp=None,
                received_at=T0,
            ),
        )
    assert len(commits) == 1
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MeterValue)) == 1


async def test_meter_values_read_back_as_written(store: Store) -> None:
    """The bulk path (COPY / executemany) stores what the model's types would: UTC, exact."""
    cid = await store.chargers.add("CP", None, at=T0)
    bst = timezone(timedelta(hours=1))
    at = datetime(2026, 6, 1, 11, 0, 0, 123456, tzinfo=bst)
    await store.meter_values.append([{**_row(cid, 0), "timestamp": at, "phase": "L1"}])
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(MeterValue))).one()
    assert row.timestamp == at and row.timestamp.tzinfo == UTC
    assert row.received_at == T0 and (row.phase, row.value, row.unit) == ("L1", "0", "W")
    assert (row.charger_id, row.connector_id, row.transaction_id) == (cid, 1, 7)
    # SQL comparisons with times work as for rows written through the ORM types.
    async with store.engine.connect() as conn:
        later = select(func.count()).where(MeterValue.timestamp > T0 - timedelta(seconds=1))
        assert await conn.scalar(later) == 1


async def test_meter_values_roll_back_with_their_batch(store: Store) -> None:
    """Written in the batch's transaction even as its first statement: a batch that fails
    leaves none of its rows (its messages are then tried one by one)."""
    cid = await store.chargers.add("CP", None, at=T0)
    with contextlib.suppress(RuntimeError):
        async with store.engine.begin() as conn:
            await insert_rows(conn, [_row(cid, 0)])
            raise RuntimeError("the batch fails after its meter values")
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MeterValue)) == 0


async def test_a_naive_time_fails_the_batch_and_writes_nothing(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    naive = {**_row(cid, 1), "timestamp": datetime(2026, 6, 1, 10, 0)}
    with pytest.raises(ValueError, match="aware"):
        await store.meter_values.append([_row(cid, 0), naive])
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MeterValue)) == 0


async def test_a_burst_of_writers_on_one_sqlite_file_takes_turns(tmp_path: Any) -> None:
    """Hundreds of write transactions at once on a real SQLite file, with a busy timeout of
    1 ms: none fails with "database is locked", because the process's transactions queue for
    its one connection instead of meeting in SQLite's busy handler."""
    s = Store(f"sqlite+aiosqlite:///{tmp_path / 'burst.db'}", sqlite_busy_timeout_ms=1)
    await s.migrate()
    try:
        ids = await asyncio.gather(*(s.chargers.add(f"CP-{i}", None, at=T0) for i in range(150)))
        writes = []
        for i, cid in enumerate(ids):
            writes.append(s.chargers.connected(cid, "node", at=T0))
            writes.append(s.chargers.record_boot(cid, {"chargePointVendor": "v"}, at=T0))
            writes.append(
                s.transactions.start(
                    cid, connector_id=1, id_tag=f"T{i}", meter_start=0, started_at=T0, at=T0
                )
            )
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        async with s.engine.connect() as conn:
            booted = await conn.scalar(select(func.count()).where(Charger.vendor == "v"))
        assert booted == 150
    finally:
        await s.close()


async def test_sqlite_busy_timeout_still_waits_for_another_process(tmp_path: Any) -> None:
    """Another connection (as another process would be) holds the write lock for a while: the
    store's transaction waits for it (busy timeout) instead of failing."""
    import sqlite3

    path = tmp_path / "shared.db"
    s = Store(f"sqlite+aiosqlite:///{path}", sqlite_busy_timeout_ms=5_000)
    await s.migrate()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        write = asyncio.create_task(s.chargers.add("CP-1", None, at=T0))
        await asyncio.sleep(0.3)
        assert not write.done()  # waiting for the other connection's lock
        other.execute("COMMIT")
        assert await asyncio.wait_for(write, 10) > 0
    finally:
        other.close()
        await s.close()
