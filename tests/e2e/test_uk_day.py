"""Whole UK-rule days on the station harness (tests/support/station_harness.py): the station as
a boot builds it, on a manual clock, with no network at all (R7). A simulated day runs in well
under a second of real time because the harness skips the ticks in which nothing can change;
the equivalence test shows the skipping changes nothing the station records.

Monday 1 June 2026 is in BST (UTC+1): 16:00Z is 17:00 UK time (peak).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from station_harness import StationHarness, assert_offline_weekday

from smartcharge.ocpp import uk_extension

MONDAY_17_00_UK = "2026-06-01T16:00:00+00:00"
TUESDAY_17_30_UK = datetime.fromisoformat("2026-06-02T16:30:00+00:00")
CAR = {"battery_kwh": 200.0, "soc": 10.0, "max_power_w": 11000.0}

Make = Callable[..., StationHarness]


@pytest.fixture
async def station(tmp_path: Path) -> AsyncIterator[Make]:
    made: list[StationHarness] = []

    def make(start: str, **kw: Any) -> StationHarness:
        h = StationHarness(tmp_path / f"s{len(made)}", start, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.close()


async def test_R17_R7_a_whole_day_offline_charges_only_in_the_default_hours_with_delays(
    station: Make,
) -> None:
    """Plugged in on a weekday at 17:00 with no network for the next 24 h 30 min: charging
    starts at 22:00 plus a delay, stops before 08:00, starts again after 11:00 plus a delay
    and stops before 16:00 (R14, R17, R24), all with no network (R7)."""
    h = station(MONDAY_17_00_UK, charging={"random_delay_max_s": 600})
    h.set_network(False)
    h.start_session(1, "UK1", **CAR)
    await h.until(lambda: h.state(1)["limit_cause"] == "default_hours", timeout_s=5)
    assert h.state(1)["limit_a"] == 0.0
    assert "charging starts at Mon 22:00" in h.state(1)["limit_reason"]
    began = time.perf_counter()
    await h.run_until(TUESDAY_17_30_UK)
    took = time.perf_counter() - began
    assert_offline_weekday(h.rate_changes(1), 600)
    # Every sampled meter value of the day was kept for when the network returns (R7, R9).
    queued = sum(1 for action, _ in outbox(h) if action == "MeterValues")
    assert queued >= 24 * 60  # MeterValueSampleInterval: 60 s
    # Only a guard against a hang: the figure itself is printed for the record.
    print(f"a simulated day of {h.ticks} ticks in {took:.3f} s")
    assert took < 30


async def test_R17_R7_the_weekday_plug_in_through_the_device_drivers(tmp_path: Path) -> None:
    """The offline weekday above, with the station on its real drivers: an SDM630 meter and an
    EVSE-DIN board per connector over Modbus TCP, simulated at the protocol level by the
    simulated EV physics. Every tick the harness runs reads the devices over the wire first and
    writes the tick's decision back before time moves on, as the charger's poll loop does."""
    from smartcharge.chargepoint.hardware.config import HardwareConfig
    from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
    from smartcharge.chargepoint.hardware.devices.build import DeviceHardware
    from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
    from smartcharge.sim.clock import ManualClock

    clock = ManualClock(datetime.fromisoformat(MONDAY_17_00_UK))
    world = SimulatedHardware(clock, connectors=2, max_current_a=32.0)
    rig = DeviceRig(world)
    table = await rig.start()
    drivers = DeviceHardware(
        HardwareConfig.model_validate(table),
        connectors=2,
        max_current_a=32.0,
        phases=3,
        monotonic=clock.monotonic,
    )
    drivers.network = world.simulated_network  # the charger's uplink is the world's cable
    await drivers.poll()
    h = StationHarness(
        tmp_path,
        MONDAY_17_00_UK,
        clock=clock,
        world=world,
        drivers=drivers,
        charging={"random_delay_max_s": 600},
    )
    try:
        h.set_network(False)
        h.start_session(1, "UK1", **CAR)
        await h.until(lambda: h.state(1)["limit_cause"] == "default_hours", timeout_s=60)
        assert h.state(1)["limit_a"] == 0.0
        assert "charging starts at Mon 22:00" in h.state(1)["limit_reason"]
        await h.run_until(TUESDAY_17_30_UK)
        assert_offline_weekday(h.rate_changes(1), 600)
        assert rig.meter_server.requests > 100 and rig.controller_server.requests > 100
        truth = world.connector(1).simulated_meter.read().energy_import_wh
        reported = drivers.connectors[1].meter.read().energy_import_wh
        assert truth > 20_000 and abs(reported - truth) < 0.02 * truth  # read over Modbus
    finally:
        await h.close()
        await rig.stop()


async def test_skipping_quiet_ticks_records_what_ticking_every_second_records(
    station: Make,
) -> None:
    """The same evening twice, once ticking every second and once jumping over the quiet
    ticks: across the 22:00 boundary, a random delay, a scheduled DSR event starting and
    ending and "charge now", the rate changes, causes and queued meter values are the same."""
    runs = []
    for per_second in (True, False):
        h = station(
            "2026-06-01T20:45:00+00:00", per_second=per_second, charging={"random_delay_max_s": 600}
        )
        h.set_network(False)
        h.start_session(1, "UK1", **CAR)
        h.start_session(2, "UK2", **CAR)
        await h.until(lambda h=h: h.state(1)["limit_cause"] == "default_hours", timeout_s=5)
        event = {"id": "e1", "kind": "scheduled", "limitA": 10, "durationS": 900}
        event["start"] = "2026-06-01T21:40:00+00:00"  # 22:40 UK time
        assert (await h.uk(uk_extension.DSR_EVENT, event))[0] == "Accepted"
        await h.run_until(datetime.fromisoformat("2026-06-01T21:20:00+00:00"))
        assert (await h.uk(uk_extension.CHARGE_NOW, {"connectorId": 2}))[0] == "Accepted"
        await h.run_until(datetime.fromisoformat("2026-06-01T22:15:00+00:00"))
        runs.append((h.rate_changes(1), h.rate_changes(2), outbox(h), h.ticks))
    every, skipping = runs
    assert every[:3] == skipping[:3]
    assert len(every[0]) >= 3 and any(cause == "dsr" for _, _, cause in every[0])
    assert skipping[3] * 10 < every[3]  # it did skip


async def test_R26_response_dsr_at_18_lowers_the_rate_at_once(station: Make) -> None:
    """A weekday evening: the owner chose "charge now" at 17:00; a response DSR event received
    in advance for 18:00 lowers the rate at 18:00 with no random delay."""
    h = station(MONDAY_17_00_UK, charging={"random_delay_max_s": 1800})
    h.start_session(1, "UK1", **CAR)
    await h.until(lambda: h.station.connectors[1].tx_local_id is not None, timeout_s=5)
    assert (await h.uk(uk_extension.CHARGE_NOW, {"connectorId": 1}))[0] == "Accepted"
    await h.until(lambda: h.state(1)["limit_a"] == 32.0, timeout_s=5)
    six_pm = datetime.fromisoformat("2026-06-01T17:00:00+00:00")  # 18:00 UK time
    event = {"id": "evening", "kind": "response", "limitA": 8, "durationS": 1800}
    status, _ = await h.uk(uk_extension.DSR_EVENT, {**event, "start": six_pm.isoformat()})
    assert status == "Accepted"
    await h.until(lambda: h.state(1)["limit_a"] == 8.0, timeout_s=3600 + 30)
    assert h.state(1)["limit_cause"] == "dsr"
    assert h.state(1)["limit_reason"] == "reduced by a grid event until Mon 18:30"
    at, _, cause = h.rate_changes(1)[-1]
    assert cause == "dsr" and six_pm <= at <= six_pm + timedelta(seconds=5)


def outbox(h: StationHarness) -> list[tuple[str, str]]:
    with sqlite3.connect(h.store_path) as db:
        return list(db.execute("SELECT action, payload FROM outbox ORDER BY seq"))
