"""Chargers' messages committed in group (store/group_commit.py) and the id-tag cache
(store/id_tags.py), on SQLite and PostgreSQL: every message stored once and only once, each
caller answered after its own batch's commit, a bad message failing alone, and a change to an
id tag seen at once, whoever makes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import StatementError

from smartcharge.platform.store import Store
from smartcharge.platform.store.group_commit import GroupCommit
from smartcharge.platform.store.models import IdTag, StatusEvent, Transaction

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _status(store: Store, cid: int, n: int) -> Any:
    return store.events.status(
        cid,
        connector_id=1,
        status="Charging",
        error_code="NoError",
        info=str(n),
        timestamp=T0 + timedelta(seconds=n),
        received_at=T0,
    )


async def _count(store: Store, stmt: Any) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(stmt) or 0)


async def test_many_chargers_messages_share_commits_and_each_is_stored_once(
    store: Store,
) -> None:
    cids = [await store.chargers.add(f"CP-{i}", None, at=T0) for i in range(30)]
    before = store.commits.batches
    starts = [
        store.transactions.start(
            cid, connector_id=1, id_tag="T", meter_start=10, started_at=T0, at=T0
        )
        for cid in cids
    ]
    txs = await asyncio.gather(*starts, *(_status(store, cid, i) for i, cid in enumerate(cids)))
    ids = txs[: len(cids)]
    assert len(set(ids)) == len(cids)  # one transaction per charger, platform-wide unique
    assert await _count(store, select(func.count()).select_from(StatusEvent)) == len(cids)
    assert await _count(store, select(func.count()).select_from(Transaction)) == len(cids)
    assert store.commits.batches - before < len(cids)  # shared commits, not one per message
    # Stops of the batch's own starts, with a resend of a start among them: all in one go.
    stops = [
        store.transactions.stop(
            cid, tx, meter_stop=99, stopped_at=T0 + timedelta(hours=1), at=T0, reason="Local"
        )
        for cid, tx in zip(cids, ids, strict=True)
    ]
    again = store.transactions.start(
        cids[0], connector_id=1, id_tag="T", meter_start=10, started_at=T0, at=T0
    )
    results = await asyncio.gather(*stops, again)
    assert all(not r.unknown for r in results[:-1])
    assert [r.connector_id for r in results[:-1]] == [1] * len(cids)
    assert results[-1] == ids[0]  # the resent start got its first id, no second row
    stopped = select(func.count()).where(Transaction.meter_stop == 99)
    assert await _count(store, stopped) == len(cids)
    assert await _count(store, select(func.count()).select_from(Transaction)) == len(cids)


async def test_stops_in_one_batch_are_judged_each_on_their_own(store: Store) -> None:
    a = await store.chargers.add("CP-A", None, at=T0)
    b = await store.chargers.add("CP-B", None, at=T0)
    tx = await store.transactions.start(
        a, connector_id=2, id_tag="T", meter_start=0, started_at=T0, at=T0
    )
    stop: dict[str, Any] = {"stopped_at": T0 + timedelta(hours=1), "at": T0}
    wrong, right, again, unknown = await asyncio.gather(
        store.transactions.stop(b, tx, meter_stop=7, **stop),  # not B's transaction
        store.transactions.stop(a, tx, meter_stop=500, **stop),
        store.transactions.stop(a, tx, meter_stop=500, **stop),  # sent again
        store.transactions.stop(a, 4242, meter_stop=1, **stop),  # never ours
    )
    assert wrong.unknown and unknown.unknown and wrong.row_id != unknown.row_id
    assert right == again and not right.unknown and right.connector_id == 2
    row = await store.transactions.get(tx)
    assert row is not None and row["meter_stop"] == 500 and row["charger_id"] == a


async def test_a_start_and_its_resend_in_one_batch_get_one_transaction(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    start: dict[str, Any] = {
        "connector_id": 1,
        "id_tag": "T",
        "meter_start": 5,
        "started_at": T0,
        "at": T0,
    }
    first, second = await asyncio.gather(
        store.transactions.start(cid, **start), store.transactions.start(cid, **start)
    )
    assert first == second
    assert await _count(store, select(func.count()).select_from(Transaction)) == 1


async def test_a_bad_message_fails_alone_and_the_rest_of_its_batch_is_stored(
    store: Store,
) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    good = [_status(store, cid, n) for n in range(5)]
    bad = store.events.status(  # a naive time is refused: nothing of it may be stored
        cid,
        connector_id=1,
        status="Faulted",
        error_code="OtherError",
        received_at=datetime(2026, 6, 1, 10, 0),
    )
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert results[:5] == [None] * 5
    assert isinstance(results[5], StatementError) and isinstance(results[5].orig, ValueError)
    assert await _count(store, select(func.count()).select_from(StatusEvent)) == 5
    faulted = select(func.count()).where(StatusEvent.status == "Faulted")
    assert await _count(store, faulted) == 0


async def test_a_caller_that_goes_away_does_not_take_the_batch_with_it(store: Store) -> None:
    cid = await store.chargers.add("CP", None, at=T0)
    leaving = asyncio.create_task(_status(store, cid, 1))
    staying = asyncio.create_task(_status(store, cid, 2))
    await asyncio.sleep(0)  # both handed over
    leaving.cancel()
    await staying
    await store.commits.drain()
    # The cancelled caller's message was handed over: it is stored too, once.
    assert await _count(store, select(func.count()).select_from(StatusEvent)) == 2


async def test_nothing_waits_for_the_delay_when_the_queue_is_full(database_url: str) -> None:
    store = Store(database_url)
    await store.migrate()
    commits = GroupCommit(store.engine, max_items=3, max_delay=3600)
    cid = await store.chargers.add("CP", None, at=T0)
    row = {
        "charger_id": cid,
        "connector_id": 1,
        "status": "Available",
        "error_code": "NoError",
        "info": None,
        "vendor_id": None,
        "vendor_error_code": None,
        "timestamp": None,
        "received_at": T0,
    }
    # Three rows fill a batch: written without waiting the hour.
    await asyncio.wait_for(
        asyncio.gather(*(commits.insert(StatusEvent, row) for _ in range(3))), 60
    )
    assert commits.batches == 1 and commits.items == 3
    await store.close()


# --- the id-tag cache ---------------------------------------------------------------------


class Monotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_a_blocked_id_tag_is_refused_at_once(store: Store) -> None:
    await store.id_tags.put("CARD", at=T0)
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Accepted"  # now cached
    await store.id_tags.put("CARD", at=T0, status="Blocked")
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Blocked"


async def test_an_id_tag_changed_or_deleted_by_any_statement_is_seen_at_once(
    store: Store,
) -> None:
    await store.id_tags.put("CARD", at=T0)
    await store.id_tags.put("GONE", at=T0)
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Accepted"
    assert (await store.id_tags.info("GONE", now=T0))["status"] == "Accepted"
    assert (await store.id_tags.info("NEW", now=T0))["status"] == "Invalid"
    async with store.engine.begin() as conn:  # as the web app's privacy erasure does
        await conn.execute(delete(IdTag).where(IdTag.id_tag == "GONE"))
        await conn.execute(update(IdTag).where(IdTag.id_tag == "CARD").values(status="Blocked"))
        await conn.execute(
            text("INSERT INTO id_tags (id_tag, status, created_at) VALUES ('NEW', 'Accepted', :t)"),
            {"t": T0.replace(tzinfo=None) if store.dialect == "sqlite" else T0},
        )
    assert (await store.id_tags.info("GONE", now=T0))["status"] == "Invalid"
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Blocked"
    assert (await store.id_tags.info("NEW", now=T0))["status"] == "Accepted"


async def test_an_expiry_is_judged_at_each_ask_not_when_cached(store: Store) -> None:
    await store.id_tags.put("CARD", at=T0, expiry_date=T0 + timedelta(minutes=1))
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Accepted"
    later = await store.id_tags.info("CARD", now=T0 + timedelta(minutes=2))
    assert later["status"] == "Expired"


async def test_another_process_s_change_is_seen_when_the_entry_expires(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    store, other = Store(url), Store(url)  # two engines: as two processes on one file
    await store.migrate()
    clock = Monotonic()
    store.id_tags.__init__(store.engine, cache_s=30.0, monotonic=clock)  # type: ignore[misc]
    await store.id_tags.put("CARD", at=T0)
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Accepted"
    await other.id_tags.put("CARD", at=T0, status="Blocked")
    clock.t += 29.0  # still within the entry's life: this process has not looked again
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Accepted"
    clock.t += 2.0
    assert (await store.id_tags.info("CARD", now=T0))["status"] == "Blocked"
    await other.close()
    await store.close()


async def test_the_cache_is_bounded(store: Store) -> None:
    clock = Monotonic()
    tags = store.id_tags
    tags.__init__(store.engine, max_cached=10, monotonic=clock)  # type: ignore[misc]
    for i in range(25):  # unknown tags from outside fill it: it never holds more than 10
        assert (await tags.info(f"X{i}", now=T0))["status"] == "Invalid"
        assert len(tags._cache) <= 10
