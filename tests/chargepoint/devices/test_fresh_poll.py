"""The station's tick reads the devices first (`DeviceHardware.fresh`), so the MeterValues it sends
carry a reading of that moment, not one up to a poll interval old (issue 12: a Modbus reading
reaches the central system within 200 ms); a device that does not answer does not hold the tick
back, and its fault still shows."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import Bench
from .test_device_faults import charging

GUARD_S = 20.0  # only for a failure; the evidence is the state


async def test_a_tick_reads_the_energy_of_now(bench: Bench) -> None:
    await charging(bench)
    drivers = bench.drivers
    assert drivers is not None
    before = drivers.connectors[1].meter.read().energy_import_wh
    await bench.clock.advance(60)  # a minute of charging since the last poll
    now = bench.sim.connector(1).simulated_meter.read().energy_import_wh
    assert now > before
    await asyncio.wait_for(drivers.fresh(), GUARD_S)
    # the meter's float32 register holds it to about 7 digits
    assert drivers.connectors[1].meter.read().energy_import_wh == pytest.approx(now, rel=1e-6)


async def test_a_silent_meter_does_not_hold_the_tick_and_its_fault_still_shows(
    bench: Bench,
) -> None:
    await charging(bench)
    drivers = bench.drivers
    assert drivers is not None
    bench.rig.meter_server.silent = True
    # The tick goes on after FRESH_WAIT_S (0.25 s), before the request and its retry time out
    # (2 x 0.3 s): the connector is not faulted yet when the tick samples.
    await asyncio.wait_for(drivers.fresh(), GUARD_S)
    assert drivers.connectors[1].error_code() == "NoError"
    deadline = asyncio.get_running_loop().time() + GUARD_S
    while drivers.connectors[1].error_code() != "PowerMeterFailure":
        assert asyncio.get_running_loop().time() < deadline, "the poll never reported the fault"
        await asyncio.sleep(0.01)
    assert drivers.connectors[1].offered_current() == 0
