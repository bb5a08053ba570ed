"""Each meter's driver reads its protocol-level simulator (real Modbus frames over TCP and over a
pty serial line) and reports what the simulated EV really draws."""

from __future__ import annotations

import pytest

from smartcharge.chargepoint.hardware.devices.register_maps import METER_MAPS, decode, encode

from .conftest import make_bench


@pytest.mark.parametrize("model", sorted(METER_MAPS))
async def test_R11_each_meter_model_reads_the_energy_the_ev_draws(
    model: str, transport: str
) -> None:
    bench = await make_bench(transport, model)
    try:
        drivers = await bench.start()
        sim = bench.sim
        sim.plug(1, battery_kwh=60, soc=0.2, max_power_w=11_000)
        drivers.connectors[1].set_offered_current(16)
        await drivers.poll()
        await drivers.poll()  # the board closed its relay once the car asked
        assert sim.connector(1).contactor_closed()
        await bench.clock.advance(3600)
        await drivers.poll()
        truth = sim.connector(1).simulated_meter.read()
        seen = drivers.connectors[1].meter.read()
        assert truth.energy_import_wh > 10_000  # an hour at 16 A on three phases
        assert seen.energy_import_wh == pytest.approx(truth.energy_import_wh, abs=10)
        assert seen.power_w == pytest.approx(truth.power_w, rel=1e-3, abs=1)
        assert seen.current_a == pytest.approx(truth.current_a, abs=0.01)
        assert seen.voltage_v == pytest.approx(truth.voltage_v, abs=0.1)
        assert drivers.connectors[2].meter.read().power_w == 0  # its own meter, its own id
        assert drivers.connectors[1].error_code() == "NoError"
    finally:
        if bench.drivers is not None:
            bench.drivers.close()
        await bench.rig.stop()


@pytest.mark.parametrize("model", sorted(METER_MAPS))
def test_every_register_round_trips_through_its_encoding(model: str) -> None:
    for register in METER_MAPS[model].registers():
        for value in (0.0, 230.1, 7360.0, 123_456.0):
            assert decode(register, encode(register, value)) == pytest.approx(
                value, rel=1e-6, abs=register.scale
            )


async def test_a_restart_restores_the_register_and_a_replaced_meter_counts_on() -> None:
    """The energy reported never goes back: after a restart the meter's register (kept by the
    meter, restored here by the simulation) is read afresh, not judged as a jump; a replaced
    meter that starts lower is counted on from what was reported before."""
    bench = await make_bench("tcp")
    try:
        drivers = await bench.start()
        await drivers.poll()  # the charger's first look, before its store says what it reported
        bench.sim.restore_registers({1: 52_000.0, 2: 0.0})  # the meters kept their registers
        drivers.restore_registers({1: 52_000.0, 2: 9_000.0})  # connector 2's meter was replaced
        await drivers.poll()
        assert drivers.connectors[1].error_code() == "NoError"
        # Below what was reported: a fault until a second reading confirms a new meter.
        assert drivers.connectors[2].error_code() == "PowerMeterFailure"
        assert drivers.connectors[2].meter.read().energy_import_wh == 9_000
        await drivers.poll()
        assert drivers.connectors[2].error_code() == "NoError"
        assert drivers.connectors[1].meter.read().energy_import_wh == pytest.approx(52_000, abs=5)
        assert drivers.connectors[2].meter.read().energy_import_wh == pytest.approx(9_000, abs=5)
    finally:
        if bench.drivers is not None:
            bench.drivers.close()
        await bench.rig.stop()
