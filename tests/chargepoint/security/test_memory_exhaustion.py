"""MemoryExhaustion (security/events.py): a real SQLite file that is full (its page count capped
with `PRAGMA max_page_count`, then filled through the store's own API) gives SQLITE_FULL; the
events are kept in memory, MemoryExhaustion is recorded once per episode, and everything is
written, in order and with its own time, once space returns."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartcharge.chargepoint.memory import LowMemory, available_mb
from smartcharge.chargepoint.security.events import UNWRITTEN_KEPT, SecurityEvents
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.storage import storage_full
from smartcharge.chargepoint.store import Store
from smartcharge.sim.clock import ManualClock

START = datetime(2026, 6, 1, 10, tzinfo=UTC)


def fill(db: sqlite3.Connection, write: Callable[[int, str], object]) -> None:
    """Cap the file at its current size, then write until SQLite says it is full, with ever
    smaller values until not even a short one fits."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    n = 0
    for size in (2000, 200, 20, 1):
        with pytest.raises(sqlite3.OperationalError) as failed:
            while True:
                n += 1
                write(n, "x" * size)
        assert storage_full(failed.value)


def fill_log(rig: Rig) -> None:
    fill(rig.log._db, lambda n, text: rig.log.append("InvalidMessages", text, START))


def fill_store(rig: Rig) -> None:
    """Every table the test writes to has its own pages: fill each."""
    fill(rig.store._db, lambda n, text: rig.store.save_setting(f"fill.{n}", text))
    filler = {"vendorId": "fill"}
    fill(
        rig.store._db,
        lambda n, text: rig.store.enqueue("DataTransfer", {**filler, "data": text}, now=START),
    )


def make_room(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA max_page_count = 1073741823")


@dataclass
class Rig:
    clock: ManualClock
    store: Store
    log: SecurityLog
    events: SecurityEvents

    def logged(self) -> list[tuple[str, str, datetime]]:
        return [(e.event, e.tech_info, e.timestamp) for e in self.log.entries()]

    def outbox(self) -> list[str]:
        """The outbox's SecurityEventNotifications, as JSON text."""
        rows = self.store._db.execute(
            "SELECT payload FROM outbox WHERE action = 'SecurityEventNotification' ORDER BY seq"
        ).fetchall()
        return [r[0] for r in rows]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = ManualClock(START)
    store = Store(tmp_path / "cp.sqlite")
    log = SecurityLog(tmp_path / "security.sqlite")
    yield Rig(clock, store, log, SecurityEvents(log, store, clock))
    log.close()
    store.close()


async def test_a_full_security_log_keeps_events_in_memory_and_writes_them_later(rig: Rig) -> None:
    rig.events.record("StartupOfTheDevice", "boot 1")
    fill_log(rig)
    before = len(rig.log.entries())
    assert rig.events.record("TamperDetectionActivated", "lid") is None
    await rig.clock.advance(5)
    assert rig.events.record("InvalidTLSVersion", "tls 1.0") is None
    await rig.clock.advance(5)
    assert rig.events.record("ResetOrReboot", "Soft reset") is None
    assert rig.events.full_since == "security log"
    assert len(rig.log.entries()) == before  # nothing could be written
    assert not rig.events.probe()  # still full
    make_room(rig.log._db)
    assert rig.events.probe()
    assert rig.events.full_since is None
    written = rig.logged()[before:]
    assert [(e, t) for e, _, t in written] == [
        ("TamperDetectionActivated", START),
        ("MemoryExhaustion", START),  # once for the episode, however many writes failed
        ("InvalidTLSVersion", datetime(2026, 6, 1, 10, 0, 5, tzinfo=UTC)),
        ("ResetOrReboot", datetime(2026, 6, 1, 10, 0, 10, tzinfo=UTC)),
    ]
    assert written[1][1].startswith("security log: database or disk is full")
    assert rig.log.verify().ok
    # The critical ones go to the central system, in order.
    kinds = [p for p in rig.outbox() if "TamperDetection" in p or "MemoryExh" in p or "Reset" in p]
    assert len(kinds) == 3 and "MemoryExhaustion" in kinds[1]
    # The next episode is a new one: MemoryExhaustion again.
    fill_log(rig)
    rig.events.record("InvalidMessages", "z")
    make_room(rig.log._db)
    assert rig.events.probe()
    assert [e for e, _, _ in rig.logged()].count("MemoryExhaustion") == 2


async def test_a_full_store_keeps_notifications_pending_until_space_returns(rig: Rig) -> None:
    fill_store(rig)
    rig.events.record("TamperDetectionActivated", "lid")
    assert rig.events.full_since == "store"
    # The log took both, the outbox neither: they stay pending in the log (durable).
    assert [e for e, _, _ in rig.logged()] == ["TamperDetectionActivated", "MemoryExhaustion"]
    assert [p.event for p in rig.log.pending_notifications()] == [
        "TamperDetectionActivated",
        "MemoryExhaustion",
    ]
    assert rig.outbox() == []
    assert not rig.events.probe()
    assert rig.events.storage_failed("samples", sqlite3.OperationalError("disk I/O error")) is False
    make_room(rig.store._db)
    assert rig.events.probe()
    assert len(rig.outbox()) == 2 and rig.log.pending_notifications() == []
    assert rig.events.probe()  # nothing to do outside an episode
    assert rig.store.setting("storage.probe") is not None


def test_memory_is_bounded_while_full(rig: Rig) -> None:
    fill_log(rig)
    before = len(rig.log.entries())
    for n in range(UNWRITTEN_KEPT + 9):
        rig.events.record("InvalidMessages", f"flood {n}")
    assert rig.events.lost == 10  # 1,009 events and MemoryExhaustion; the oldest 10 went
    make_room(rig.log._db)
    assert rig.events.probe()
    assert len(rig.log.entries()) - before == UNWRITTEN_KEPT
    assert rig.log.entries()[-1].tech_info == f"flood {UNWRITTEN_KEPT + 8}"


def test_low_memory_is_one_memory_exhaustion_per_episode(tmp_path: Path) -> None:
    now = available_mb()
    assert now is not None and now > 1  # this machine's real MemAvailable
    recorded: list[tuple[str, str]] = []
    watch = LowMemory(now * 10, lambda event, info: recorded.append((event, info)))
    watch.check()
    watch.check()
    assert [e for e, _ in recorded] == ["MemoryExhaustion"]
    assert recorded[0][1].startswith("memory: ") and "MB available, below" in recorded[0][1]
    watch.min_free_mb = 1  # memory is back
    watch.check()
    assert not watch.low and len(recorded) == 1
    watch.min_free_mb = now * 10  # a new episode
    watch.check()
    assert len(recorded) == 2
    off = LowMemory(0, lambda event, info: recorded.append((event, info)))
    off.check()
    assert len(recorded) == 2


def test_no_meminfo_means_no_reading(tmp_path: Path) -> None:
    assert available_mb(tmp_path / "missing") is None
    garbage = tmp_path / "meminfo"
    garbage.write_text("MemAvailable: lots kB\n")
    assert available_mb(garbage) is None
    garbage.write_text("MemTotal: 100 kB\n")
    assert available_mb(garbage) is None
