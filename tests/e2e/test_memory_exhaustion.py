"""MemoryExhaustion end to end: a charging, offline charger whose SQLite files fill up (each
capped at its size with `PRAGMA max_page_count`, then filled through the store's and the log's
own API until SQLite answers SQLITE_FULL) keeps charging, records MemoryExhaustion once, and when
space returns writes and delivers everything: the event and the transaction's stop."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from cp_harness import MakeCP
from ocpp.v16 import call

from smartcharge.chargepoint.storage import storage_full

START = datetime(2026, 6, 1, 10, tzinfo=UTC)


def fill(db: sqlite3.Connection, write: Callable[[int, str], object]) -> None:
    """Cap the file at its current size and write until full, with ever smaller values."""
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    n = 0
    for size in (2000, 200, 20, 1):
        try:
            while True:
                n += 1
                write(n, "x" * size)
        except sqlite3.OperationalError as exc:
            assert storage_full(exc)


async def test_a_full_disk_does_not_stop_charging_and_nothing_is_lost(make_cp: MakeCP) -> None:
    cp = await make_cp(identity="FULL1", manual=True)
    await cp.until_status(1, "Available")
    cp.hw.plug(1, battery_kwh=200.0, soc=10.0, max_power_w=11000.0)
    assert (await cp.call(call.RemoteStartTransaction(id_tag="F1", connector_id=1))).status == (
        "Accepted"
    )
    await cp.until(lambda: cp.state(1)["transaction_id"] is not None and cp.state(1)["limit_a"] > 0)
    tx = cp.state(1)["transaction_id"]
    cp.hw.set_network(False)  # offline: the outbox keeps what it holds
    app = cp.app
    assert app.station is not None and app.security is not None
    store, security_log = app.station.store, app.security.log
    fill(security_log._db, lambda n, text: security_log.append("InvalidMessages", text, START))
    fill(store._db, lambda n, text: store.save_setting(f"fill.{n}", text))
    filler = {"vendorId": "fill"}
    fill(
        store._db,
        lambda n, text: store.enqueue("DataTransfer", {**filler, "data": text}, now=START),
    )
    fill(store._db, lambda n, text: store.add_samples([(START, 1, 0.0, float(n))]))
    logged = len(security_log.entries())

    # Charging goes on: the car still gets its current and energy.
    energy = cp.hw.connectors[1].meter.read().energy_import_wh
    await cp.advance(20)  # 20 simulated seconds: several sample flushes failed by now
    assert cp.hw.connectors[1].meter.read().energy_import_wh > energy
    assert cp.state(1)["limit_a"] > 0 and not cp.task.done()
    assert app.security.events.full_since is not None
    # The car leaves: its StopTransaction cannot be stored yet, so the session stays open.
    cp.hw.unplug(1)
    await cp.advance(20)
    assert not cp.task.done()
    assert [s.transaction_id for s in store.open_sessions()] == [tx]
    assert not cp.hw.connectors[1].contactor_closed()  # the charger still acted on the unplug
    assert len(security_log.entries()) == logged  # MemoryExhaustion waits in memory

    for db in (store._db, security_log._db):
        db.execute("PRAGMA max_page_count = 1073741823")
    cp.hw.set_network(True)
    await cp.until(lambda: cp.state(1)["transaction_id"] is None)
    await cp.until(
        lambda: any(r.payload["transaction_id"] == tx for r in cp.peer.of("StopTransaction"))
    )
    await cp.until(lambda: "MemoryExhaustion" in cp.peer.security_events())
    await cp.advance(10)
    assert cp.peer.security_events().count("MemoryExhaustion") == 1
    assert [e.event for e in security_log.entries()].count("MemoryExhaustion") == 1
    [stop] = [r for r in cp.peer.of("StopTransaction") if r.payload["transaction_id"] == tx]
    assert stop.payload["reason"] == "EVDisconnected"
    assert security_log.verify().ok
    assert app.security.events.full_since is None


async def test_low_memory_is_recorded_and_notified_once(make_cp: MakeCP) -> None:
    # A threshold above what any test machine has: memory is "low" from the first look on.
    cp = await make_cp(
        identity="LOWMEM", manual=True, security={"profile": 0, "min_free_memory_mb": 1e6}
    )
    await cp.until(lambda: "MemoryExhaustion" in cp.peer.security_events(), timeout=400)
    await cp.advance(40)  # 40 simulated seconds: more looks, still one episode
    assert cp.app.security is not None
    told = [e for e in cp.app.security.log.entries() if e.event == "MemoryExhaustion"]
    assert len(told) == 1 and told[0].tech_info.startswith("memory: ")
    assert cp.peer.security_events().count("MemoryExhaustion") == 1
