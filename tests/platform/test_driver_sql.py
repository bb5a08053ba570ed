"""The statements every connecting charger runs, on the driver itself (store/driver_sql.py), and
boots in a group commit's one statement or hand-off, on a real PostgreSQL and a real SQLite
file: the same answers SQLAlchemy's statements gave, committed when they return, bad values
refused with nothing written, and no SQLAlchemy statement (no BEGIN, no ROLLBACK) on the way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, update

from smartcharge.platform.store import Store, driver_sql
from smartcharge.platform.store.models import Charger, IdTag, Site, User
from smartcharge.platform.store.operator_models import LocalList

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
PREFIX = "WEB-"


class _Statements:
    def __init__(self, store: Store) -> None:
        self.executed: list[str] = []
        event.listen(store.engine.sync_engine, "before_cursor_execute", self._execute)

    def _execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.executed.append(statement)


async def _row(store: Store, cid: int) -> Any:
    async with store.engine.connect() as conn:
        return (await conn.execute(select(Charger).where(Charger.id == cid))).mappings().one()


async def test_credentials_and_the_connection_record_go_past_sqlalchemy(store: Store) -> None:
    cid = await store.chargers.add("CP-1", "hash-1", at=T0)
    await store.chargers.raise_security_profile(cid, 2)
    seen = _Statements(store)
    got = await store.chargers.credentials("CP-1")
    assert got is not None
    assert (got.id, got.identity, got.password_hash, got.security_profile) == (
        cid,
        "CP-1",
        "hash-1",
        2,
    )
    assert not got.pending_accepted and got.pending_password_hash is None
    assert await store.chargers.credentials("CP-2") is None
    at = datetime(2026, 6, 1, 11, 0, 0, 123456, tzinfo=UTC)
    await store.chargers.connected(cid, "node-a", at=at)
    assert seen.executed == []  # neither the reads nor the write went through SQLAlchemy
    row = await _row(store, cid)  # read back through SQLAlchemy: the types it stores
    assert row["connected_node"] == "node-a"
    assert row["connected_at"] == at and row["last_seen_at"] == at
    assert await store.chargers.connected_node("CP-1") == "node-a"


async def test_a_pending_rotation_reads_back(store: Store) -> None:
    cid = await store.chargers.add("CP-1", "old", at=T0)
    assert await store.chargers.begin_rotation(cid, "new")
    got = await store.chargers.credentials("CP-1")
    assert got is not None and got.pending_password_hash == "new" and not got.pending_accepted
    await store.chargers.rotation_accepted(cid, "new", at=T0)
    got = await store.chargers.credentials("CP-1")
    assert got is not None and got.pending_accepted


async def test_a_naive_time_or_a_failing_statement_changes_nothing(store: Store) -> None:
    cid = await store.chargers.add("CP-1", None, at=T0)
    with pytest.raises(ValueError, match="aware"):
        await store.chargers.connected(cid, "node-a", at=datetime(2026, 6, 1, 11, 0))
    with pytest.raises(Exception) as failed:  # NOT NULL: the driver's own error
        await driver_sql.execute(store.engine, "UPDATE chargers SET identity = NULL")
    assert "null" in str(failed.value).lower()
    row = await _row(store, cid)
    assert row["identity"] == "CP-1" and row["connected_node"] is None
    # The connection went back to the pool fine: the next statements work.
    assert await driver_sql.execute(store.engine, "UPDATE chargers SET imsi = $1", "x") == 1
    assert await driver_sql.fetchrow(store.engine, "SELECT imsi FROM chargers") == ("x",)
    assert await driver_sql.fetchrow(store.engine, "SELECT imsi FROM chargers WHERE id = 0") is None


async def test_site_of_reads_the_charger_s_site(store: Store) -> None:
    async with store.engine.begin() as conn:
        site = (
            await conn.execute(insert(Site).values(name="depot", created_at=T0).returning(Site.id))
        ).scalar()
    assert isinstance(site, int)
    on_site = await store.chargers.add("CP-1", None, at=T0, site_id=site)
    alone = await store.chargers.add("CP-2", None, at=T0)
    assert await store.sites.site_of(on_site) == site
    assert await store.sites.site_of(alone) is None
    assert await store.sites.site_of(alone + 100) is None


async def _old_rule(store: Store, cid: int) -> bool:
    """What the local-list sync decided with its two SQLAlchemy reads."""
    version, sent, clear_cache = await store.cards.list_state(cid)
    wanted = await store.cards.for_charger(cid, exclude_prefix=PREFIX)
    return not (version == 0 and not (sent or wanted or clear_cache))


async def test_anything_to_keep_agrees_with_the_list_state_and_the_cards(store: Store) -> None:
    async with store.engine.begin() as conn:
        site = (
            await conn.execute(insert(Site).values(name="depot", created_at=T0).returning(Site.id))
        ).scalar()
        users = []
        for name, site_id in (("owner", None), ("site-user", site), ("stranger", None)):
            users.append(
                (
                    await conn.execute(
                        insert(User)
                        .values(
                            email=f"{name}@example.org",
                            role="owner",
                            password_hash="x",
                            site_id=site_id,
                            created_at=T0,
                        )
                        .returning(User.id)
                    )
                ).scalar()
            )
    owner, site_user, stranger = users
    add = store.chargers.add
    bare = await add("BARE", None, at=T0)
    owned = await add("OWNED", None, at=T0, owner_id=owner)
    on_site = await add("ON-SITE", None, at=T0, site_id=site)
    remote_only = await add("REMOTE", None, at=T0, owner_id=stranger)
    listed = await add("LISTED", None, at=T0)
    cleared = await add("CLEARED", None, at=T0)
    emptied = await add("EMPTIED", None, at=T0)

    async def card(tag: str, user: Any) -> None:
        async with store.engine.begin() as conn:
            await conn.execute(
                insert(IdTag).values(id_tag=tag, status="Accepted", owner_id=user, created_at=T0)
            )

    await card("OWNERS-CARD", owner)
    await card("SITE-CARD", site_user)
    await card(f"{PREFIX}STRANGER", stranger)  # the web app's own tags never go on a list
    await card("NOBODYS", None)
    await store.cards.save_list(listed, at=T0, outcome="x", version=3, entries={})
    await store.cards.save_list(cleared, at=T0, outcome="x", clear_cache=True)
    await store.cards.save_list(emptied, at=T0, outcome="x", version=0, entries={"A": {}})
    expected = {bare: False, owned: True, on_site: True, remote_only: False, listed: True}
    expected |= {cleared: True, emptied: True}
    for cid, anything in expected.items():
        assert await _old_rule(store, cid) is anything, cid
        assert await store.cards.anything_to_keep(cid, exclude_prefix=PREFIX) is anything, cid
    # Without a prefix to leave out, the stranger's web tag counts.
    assert await store.cards.anything_to_keep(remote_only)
    # A cleared cache flag, a version back to 0 and an empty list: nothing left.
    async with store.engine.begin() as conn:
        await conn.execute(update(LocalList).values(clear_cache=False, version=0, entries="{}"))
    assert not await store.cards.anything_to_keep(listed, exclude_prefix=PREFIX)


async def test_boots_in_a_window_are_one_statement_and_the_later_boot_wins(store: Store) -> None:
    a = await store.chargers.add("CP-A", None, at=T0)
    b = await store.chargers.add("CP-B", None, at=T0)
    before = store.commits.one_statement_batches
    seen = _Statements(store)
    later = T0 + timedelta(seconds=1)
    boot = {"chargePointVendor": "V", "chargePointModel": "M1", "firmwareVersion": "1.0"}
    await asyncio.gather(
        store.chargers.record_boot(a, boot, at=T0),
        store.chargers.record_boot(b, {**boot, "iccid": "8944"}, at=T0),
        store.chargers.record_boot(a, {**boot, "chargePointModel": "M2"}, at=later),
        store.events.status(
            a, connector_id=1, status="Available", error_code="NoError", received_at=T0
        ),
    )
    assert store.commits.one_statement_batches == before + 1
    assert not any("UPDATE" in s for s in seen.executed)
    row_a, row_b = await _row(store, a), await _row(store, b)
    assert (row_a["model"], row_a["booted_at"], row_a["last_seen_at"]) == ("M2", later, later)
    assert (row_b["model"], row_b["iccid"], row_b["vendor"], row_b["imsi"]) == (
        "M1",
        "8944",
        "V",
        None,
    )


async def test_a_bad_boot_in_a_window_fails_alone(store: Store) -> None:
    a = await store.chargers.add("CP-A", None, at=T0)
    b = await store.chargers.add("CP-B", None, at=T0)
    naive = datetime(2026, 6, 1, 10, 0)
    results = await asyncio.gather(
        store.chargers.record_boot(a, {"chargePointVendor": "V", "chargePointModel": "M"}, at=T0),
        store.chargers.record_boot(
            b, {"chargePointVendor": "W", "chargePointModel": "M"}, at=naive
        ),
        return_exceptions=True,
    )
    assert results[0] is None and "aware" in str(results[1])
    row_a, row_b = await _row(store, a), await _row(store, b)
    assert row_a["vendor"] == "V" and row_a["booted_at"] == T0
    assert row_b["vendor"] is None and row_b["booted_at"] is None


async def test_the_security_profile_is_raised_never_lowered(store: Store) -> None:
    cid = await store.chargers.add("CP-1", None, at=T0)
    steps = [(2, True), (1, False), (2, False), (3, True), (2, False)]
    for profile, raised in steps:
        assert await store.chargers.raise_security_profile(cid, profile) is raised
    got = await store.chargers.credentials("CP-1")
    assert got is not None and got.security_profile == 3
    assert not await store.chargers.raise_security_profile(cid + 1, 3)  # no such charger


async def test_last_seen_times_in_one_statement_and_a_naive_one_changes_nothing(
    store: Store,
) -> None:
    ids = [await store.chargers.add(f"CP-{n}", None, at=T0) for n in range(3)]
    seen = _Statements(store)
    times = {cid: T0 + timedelta(seconds=n) for n, cid in enumerate(ids)}
    await store.chargers.seen({**times, ids[-1] + 100: T0})  # one no longer there: no harm
    assert not any("UPDATE" in s for s in seen.executed)
    for cid, at in times.items():
        assert (await _row(store, cid))["last_seen_at"] == at
    later = {ids[0]: T0 + timedelta(hours=1), ids[1]: datetime(2026, 6, 1, 12, 0)}
    with pytest.raises(ValueError, match="aware"):
        await store.chargers.seen(later)
    assert [(await _row(store, cid))["last_seen_at"] for cid in ids] == list(times.values())
