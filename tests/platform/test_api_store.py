"""The REST API's store repositories on SQLite and PostgreSQL: accounts and tokens, scopes,
sessions with energy, DSR events and deliveries, the command log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartcharge.platform.registry import add_charger
from smartcharge.platform.store import Store
from smartcharge.platform.store.accounts import UserExists
from smartcharge.platform.store.history import Scope

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


async def test_accounts_and_tokens(store: Store) -> None:
    ann = await store.accounts.create("Ann@Example.org", role="owner", password_hash="h", at=T0)
    assert (ann.email, ann.role, ann.site) == ("ann@example.org", "owner", None)
    with pytest.raises(UserExists):
        await store.accounts.create("ann@example.org", role="owner", password_hash="h", at=T0)
    with pytest.raises(ValueError):
        await store.accounts.create("x@example.org", role="king", password_hash="h", at=T0)
    await store.accounts.add_token(
        ann.id, "tok-session", kind="session", at=T0, expires_at=T0 + timedelta(hours=1)
    )
    await store.accounts.add_token(ann.id, "tok-bearer", kind="bearer", at=T0, name="script")
    found = await store.accounts.by_token("tok-session", now=T0)
    assert found is not None and found[0].id == ann.id and found[1].kind == "session"
    assert await store.accounts.by_token("tok-session", now=T0 + timedelta(hours=2)) is None
    assert await store.accounts.by_token("nope", now=T0) is None
    assert [t.name for t in await store.accounts.tokens(ann.id, now=T0)] == ["script"]
    # Revoke all but one; the token value itself is nowhere in the database.
    assert await store.accounts.revoke(user_id=ann.id, at=T0, keep="tok-bearer")
    assert await store.accounts.by_token("tok-session", now=T0) is None
    assert await store.accounts.by_token("tok-bearer", now=T0) is not None
    async with store.engine.connect() as conn:
        dump = str((await conn.exec_driver_sql("SELECT * FROM api_tokens")).all())
    assert "tok-bearer" not in dump and "tok-session" not in dump


async def test_scopes_sessions_and_energy(store: Store) -> None:
    await add_charger(store, "A-1", owner="a@example.org")
    await add_charger(store, "S-1", site="Depot")
    a1 = (await store.chargers.credentials("A-1")).id  # type: ignore[union-attr]
    s1 = (await store.chargers.credentials("S-1")).id  # type: ignore[union-attr]
    owner = await store.accounts.login_record("a@example.org")
    assert owner is not None
    site_id = await store.people.site("Depot", at=T0)
    assert [r["identity"] for r in await store.history.chargers(Scope(everything=True))] == [
        "A-1",
        "S-1",
    ]
    assert [r["identity"] for r in await store.history.chargers(Scope(owner_id=owner[0].id))] == [
        "A-1"
    ]
    assert [r["identity"] for r in await store.history.chargers(Scope(site_id=site_id))] == ["S-1"]
    assert await store.history.chargers(Scope()) == []
    assert await store.history.charger(Scope(owner_id=owner[0].id), "S-1") is None

    done = await store.transactions.start(
        a1, connector_id=1, id_tag="T", meter_start=1000, started_at=T0, at=T0
    )
    await store.transactions.stop(
        a1, done, meter_stop=8500, stopped_at=T0 + timedelta(hours=1), at=T0
    )
    running = await store.transactions.start(
        s1, connector_id=1, id_tag="T", meter_start=0, started_at=T0, at=T0
    )
    await store.meter_values.append(
        [
            {
                "charger_id": s1,
                "connector_id": 1,
                "transaction_id": running,
                "timestamp": T0 + timedelta(minutes=m),
                "value": v,
                "measurand": None,
                "phase": None,
                "unit": u,
                "context": None,
                "location": None,
                "format": None,
                "received_at": T0,
            }
            for m, v, u in ((1, "500", "Wh"), (2, "1.2", "kWh"), (3, "231.0", None))
        ]
    )
    await store.meter_values.flush()
    sessions = {s["id"]: s for s in await store.history.sessions(Scope(everything=True))}
    assert sessions[done]["energy_wh"] == 7500 and not sessions[done]["running"]
    # kWh converted to Wh; a running session's energy is its highest register reading so far
    # (231.0, Wh by default, came later but the register never goes back).
    assert sessions[running]["running"] and sessions[running]["energy_wh"] == 1200.0
    only_a = await store.history.sessions(Scope(owner_id=owner[0].id))
    assert [s["id"] for s in only_a] == [done]
    assert await store.history.session(Scope(owner_id=owner[0].id), running) is None
    assert len(await store.history.meter_values(running)) == 3


async def test_dsr_groups_events_deliveries(store: Store) -> None:
    for identity in ("D-1", "D-2"):
        await add_charger(store, identity)
    d1 = (await store.chargers.credentials("D-1")).id  # type: ignore[union-attr]
    d2 = (await store.chargers.credentials("D-2")).id  # type: ignore[union-attr]
    agg = await store.accounts.create(
        "grid@example.org", role="aggregator", password_hash="h", at=T0
    )
    group = await store.dsr.add_group("south", aggregator_id=agg.id, at=T0)
    await store.dsr.set_member(group, d1, member=True)
    await store.dsr.set_member(group, d1, member=True)  # twice: still once
    assert await store.dsr.enrolled(agg.id, ["D-1", "D-2"]) == {"D-1": d1}
    await store.dsr.set_member(group, d2, member=True)
    await store.dsr.add_event(
        "e1",
        aggregator_id=agg.id,
        group_id=group,
        kind="response",
        limit_a=6.0,
        start=T0,
        duration_s=600,
        charger_ids=[d1, d2],
        at=T0,
    )
    await store.dsr.delivered_many("e1", [(d1, "accepted", None), (d2, "offline", None)], at=T0)
    with pytest.raises(ValueError):
        await store.dsr.delivered_many("e1", [(d1, "maybe", None)], at=T0)
    assert await store.dsr.opted_out("e1", d1, at=T0)
    assert await store.dsr.opted_out("e1", d1, at=T0 + timedelta(hours=1))  # the first stays
    assert not await store.dsr.opted_out("e2", d1, at=T0)  # no such event
    rows = {r["charger"]: r for r in await store.dsr.deliveries("e1")}
    assert rows["D-1"]["status"] == "accepted" and rows["D-1"]["opted_out_at"] == T0
    assert rows["D-2"]["status"] == "offline"
    assert [r["identity"] for r in await store.dsr.undelivered(now=T0)] == ["D-2"]
    assert await store.dsr.undelivered(now=T0 + timedelta(seconds=601)) == []  # over
    assert [e["id"] for e in await store.dsr.of_charger(d2)] == ["e1"]
    await store.history.record_command(
        charger_id=d1,
        user_id=agg.id,
        action="Reset",
        message_id=None,
        outcome="offline",
        status=None,
        requested_at=T0,
        answered_at=None,
    )
    assert [(c["action"], c["by"]) for c in await store.history.commands(d1)] == [
        ("Reset", "grid@example.org")
    ]
