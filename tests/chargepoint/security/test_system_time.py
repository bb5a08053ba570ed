"""SettingSystemTime (system_time.py): the central system's currentTime, adopted over a real
store and security log on a manual clock; garbage and impossible times change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartcharge.chargepoint.config import ChargePointConfig, ConfigError, parse_config
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.system_time import OFFSET_KEY, AdjustedClock, TimeSync
from smartcharge.sim.clock import ManualClock

START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@dataclass
class Rig:
    inner: ManualClock
    clock: AdjustedClock
    store: Store
    log: SecurityLog
    sync: TimeSync

    def events(self, kind: str) -> list[str]:
        return [e.tech_info for e in self.log.entries() if e.event == kind]


def make_rig(tmp_path: Path, *, enabled: bool = True, offset: float = 0.0) -> Rig:
    inner = ManualClock(START)
    clock = AdjustedClock(inner)
    store = Store(tmp_path / "cp.sqlite")
    log = SecurityLog(tmp_path / "security.sqlite")
    events = SecurityEvents(log, store, clock)
    sync = TimeSync(
        clock,
        store,
        record=events.record,
        invalid=events.invalid_message,
        threshold_s=5.0,
        enabled=enabled,
    )
    sync.restore()
    return Rig(inner, clock, store, log, sync)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = make_rig(tmp_path)
    yield r
    r.log.close()
    r.store.close()


def test_a_small_difference_is_left_alone(rig: Rig) -> None:
    assert not rig.sync.central_time("2026-06-01T10:00:04.900Z")
    assert not rig.sync.central_time("2026-06-01T09:59:55Z")
    assert rig.clock.now() == START
    assert rig.events("SettingSystemTime") == []


def test_a_wrong_clock_is_set_logged_notified_and_kept_across_a_restart(
    rig: Rig, tmp_path: Path
) -> None:
    assert rig.sync.central_time("2026-11-21T18:00:00Z", latency_s=0.5)
    assert rig.clock.now() == datetime(2026, 11, 21, 18, 0, 0, 500000, tzinfo=UTC)
    assert rig.clock.monotonic() == 0.0  # delays and timeouts do not jump
    assert rig.events("SettingSystemTime") == [
        "2026-06-01T10:00:00.000Z -> 2026-11-21T18:00:00.500Z (central system time)"
    ]
    head = rig.store.outbox_head()  # a critical event: sent as SecurityEventNotification
    assert head is not None and head.payload["type"] == "SettingSystemTime"
    # The log entry carries the corrected time.
    assert rig.log.entries()[-1].timestamp == datetime(2026, 11, 21, 18, 0, 0, 500000, tzinfo=UTC)
    # Back by more than the threshold works too.
    assert rig.sync.central_time("2026-11-21T17:00:00Z")
    assert rig.clock.now() == datetime(2026, 11, 21, 17, tzinfo=UTC)
    rig.log.close()
    rig.store.close()
    # A restart: the device's own clock starts as wrong as before; the correction comes back.
    again = make_rig(tmp_path)
    try:
        assert again.clock.now() == datetime(2026, 11, 21, 17, tzinfo=UTC)
        assert again.events("SettingSystemTime") != []
    finally:
        again.log.close()
        again.store.close()


@pytest.mark.parametrize(
    "garbage",
    [
        "1970-01-01T00:00:00Z",  # a central system whose clock was reset
        "2025-12-31T23:59:59Z",  # before this software was released
        "2099-01-01T00:00:00Z",  # past any charger's service life
        "9999-12-31T23:59:59Z",
        "not a time",
        "2026-13-01T00:00:00Z",
        "",
        None,
        12345,
        ["2026-11-21T18:00:00Z"],
    ],
)
def test_impossible_or_garbage_times_change_nothing(rig: Rig, garbage: object) -> None:
    assert not rig.sync.central_time(garbage)
    assert rig.clock.now() == START
    assert rig.store.setting(OFFSET_KEY) is None
    assert rig.events("SettingSystemTime") == []
    [refused] = rig.events("InvalidMessages")
    assert "currentTime" in refused


def test_sync_off_leaves_the_clock_and_forgets_an_old_correction(tmp_path: Path) -> None:
    r = make_rig(tmp_path)
    assert r.sync.central_time("2026-11-21T18:00:00Z")
    r.log.close()
    r.store.close()
    off = make_rig(tmp_path, enabled=False)
    try:
        assert off.clock.now() == START  # the charger's own clock is the authority again
        assert not off.sync.central_time("2026-11-21T18:00:00Z")
        assert off.clock.now() == START
    finally:
        off.log.close()
        off.store.close()


@pytest.mark.parametrize("stored", ["nan", "inf", "abc", "1e12", "-1e9"])
def test_a_damaged_stored_correction_is_ignored(tmp_path: Path, stored: str) -> None:
    store = Store(tmp_path / "cp.sqlite")
    store.save_setting(OFFSET_KEY, stored)
    store.close()
    r = make_rig(tmp_path)
    try:
        assert r.clock.now() == START
    finally:
        r.log.close()
        r.store.close()


def config(tmp_path: Path, **extra: object) -> ChargePointConfig:
    data = {"identity": "CP1", "csms_url": "ws://127.0.0.1:9/ocpp", "data_dir": "d"}
    return parse_config({**data, "security": {"profile": 0}, **extra}, base_dir=tmp_path)


def test_sync_is_on_for_real_time_and_off_for_a_simulated_timeline(tmp_path: Path) -> None:
    assert config(tmp_path).sync_clock  # production: real time
    assert not config(tmp_path, simulator={"start_time": "2026-06-01T10:00:00+00:00"}).sync_clock
    assert not config(tmp_path, simulator={"speed": 20}).sync_clock
    on = config(
        tmp_path,
        simulator={"start_time": "2026-06-01T10:00:00+00:00"},
        clock={"sync_from_csms": True},
    )
    assert on.sync_clock
    assert not config(tmp_path, clock={"sync_from_csms": False}).sync_clock
    with pytest.raises(ConfigError) as bad:
        config(tmp_path, simulator={"speed": 20}, clock={"sync_from_csms": True})
    assert "clock.sync_from_csms" in str(bad.value)
    for threshold in (0, -5, 3601, "5"):
        with pytest.raises(ConfigError, match=r"clock\.sync_threshold_s"):
            config(tmp_path, clock={"sync_threshold_s": threshold})
