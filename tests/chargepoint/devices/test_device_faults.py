"""One fault behaviour for every driver: a device that stops answering, answers garbage or reports
a fault puts its connector in the safe state on that same poll (poll + two timeouts ≤ 1 s):
no current offered, contactor open, the right OCPP error code, a log line; the first sane poll
afterwards resumes charging by itself, and the energy reported never goes backwards."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.chargepoint.hardware.devices.faults import Circuit, DeviceError, check_reading
from smartcharge.chargepoint.hardware.devices.register_maps import METER_MAPS, WIDTH, decode
from smartcharge.chargepoint.hardware.ports import MeterReading, PilotState

from .conftest import Bench, make_bench

Break = Callable[[Bench], None]


async def charging(bench: Bench) -> None:
    drivers = await bench.start()
    bench.sim.plug(1, battery_kwh=60, soc=0.2, max_power_w=11_000)
    drivers.connectors[1].set_offered_current(16)
    drivers.connectors[1].set_contactor(True)
    await drivers.poll()
    await drivers.poll()
    assert bench.sim.connector(1).contactor_closed()
    await bench.clock.advance(60)
    await drivers.poll()


def _silent_meter(b: Bench) -> None:
    b.rig.meter_server.silent = True


def _silent_controller(b: Bench) -> None:
    b.rig.controller_server.silent = True


def _meter_value(quantity: str, value: float) -> Break:
    return lambda b: b.rig.meters[1].set_value(quantity, value)


def _backwards(b: Bench) -> None:
    energy = b.sim.connector(1).simulated_meter.read().energy_import_wh
    b.rig.meters[1].set_value("energy_import", energy - 500)


def _wrong_length(b: Bench) -> None:
    b.rig.meter_server.mangle = lambda frame: frame[:-2]


def _ground_fault(b: Bench) -> None:
    b.sim.inject_fault(1, "GroundFailure")


def _pilot_failure(b: Bench) -> None:
    b.sim.inject_fault(1, "OtherError")


FAULTS: dict[str, tuple[Break, str]] = {
    "meter does not answer": (_silent_meter, "PowerMeterFailure"),
    "controller does not answer": (_silent_controller, "InternalError"),
    "meter frame of the wrong length": (_wrong_length, "PowerMeterFailure"),
    "meter sends NaN": (_meter_value("power", math.nan), "PowerMeterFailure"),
    "negative energy register": (_meter_value("energy_import", -1000.0), "PowerMeterFailure"),
    "energy register goes backwards": (_backwards, "PowerMeterFailure"),
    "1 MW on a 32 A circuit": (_meter_value("power", 1_000_000.0), "PowerMeterFailure"),
    "controller reports an RCD trip": (_ground_fault, "GroundFailure"),
    "controller reports a pilot failure": (_pilot_failure, "EVCommunicationError"),
}


def _repair(b: Bench) -> None:
    b.rig.meter_server.silent = b.rig.controller_server.silent = False
    b.rig.meter_server.mangle = None
    b.rig.meters[1].clear()
    b.sim.clear_fault(1)


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_failing_device_makes_its_connector_safe_and_it_resumes_by_itself(
    bench: Bench, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    breaker, code = FAULTS[fault]
    await charging(bench)
    drivers = bench.drivers
    assert drivers is not None
    connector = drivers.connectors[1]
    reported = connector.meter.read().energy_import_wh
    polls = drivers.device_connectors[1].polls
    caplog.set_level(logging.WARNING, "smartcharge.chargepoint.hardware")

    breaker(bench)
    await drivers.poll()

    # Safe on the very first poll after the break (the config: a poll + two timeouts ≤ 1 s).
    assert drivers.device_connectors[1].polls == polls + 1
    assert connector.error_code() == code
    assert connector.pilot_state() in (PilotState.E, PilotState.F)
    assert connector.offered_current() == 0
    assert not connector.contactor_closed()
    assert any(code in r.getMessage() for r in caplog.records)
    if fault != "controller does not answer":  # the board heard it: nothing flows any more
        assert bench.sim.connector(1).offered_current() == 0
        assert not bench.sim.connector(1).contactor_closed()
    assert connector.meter.read().energy_import_wh >= reported  # never backwards
    whole_line = fault.endswith("does not answer") or "wrong length" in fault  # both on it
    assert (drivers.connectors[2].error_code() == "NoError") is not whole_line

    _repair(bench)
    await drivers.poll()
    await drivers.poll()
    assert connector.error_code() == "NoError"
    assert connector.offered_current() == 16
    assert bench.sim.connector(1).offered_current() == 16
    assert bench.sim.connector(1).contactor_closed()  # charging again, by itself
    assert connector.meter.read().energy_import_wh >= reported


async def test_a_crc_error_on_the_serial_line_is_a_meter_failure() -> None:
    bench = await make_bench("rtu")
    try:
        await charging(bench)
        drivers = bench.drivers
        assert drivers is not None
        meter_pair = bench.rig.pairs[0]
        meter_pair.mangle_a_to_b = lambda frame: frame[:-1] + bytes([frame[-1] ^ 0xFF])
        await drivers.poll()
        assert drivers.connectors[1].error_code() == "PowerMeterFailure"
        assert bench.sim.connector(1).offered_current() == 0
        meter_pair.mangle_a_to_b = None
        await drivers.poll()
        await drivers.poll()
        assert drivers.connectors[1].error_code() == "NoError"
    finally:
        if bench.drivers is not None:
            bench.drivers.close()
        await bench.rig.stop()


# --- garbage, generated -------------------------------------------------------------------------

CIRCUIT = Circuit(32.0, 3)
GOOD = MeterReading(1000.0, 0.0, 7000.0, (10.0, 10.0, 10.0), (230.0, 230.0, 230.0))


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(METER_MAPS)),
    st.lists(st.integers(0, 0xFFFF), min_size=24, max_size=24),
    st.floats(0, 3600),
)
def test_any_register_contents_give_a_sane_reading_or_a_meter_failure(
    model: str, words: list[int], elapsed: float
) -> None:
    m = METER_MAPS[model]
    it = iter(words)
    values = {r: decode(r, [next(it) for _ in range(WIDTH[r.kind])]) for r in m.registers()}
    reading = MeterReading(
        energy_import_wh=values[m.energy_import],
        energy_export_wh=values[m.energy_export],
        power_w=values[m.power],
        current_a=(values[m.current[0]], values[m.current[1]], values[m.current[2]]),
        voltage_v=(values[m.voltage[0]], values[m.voltage[1]], values[m.voltage[2]]),
    )
    try:
        check_reading(reading, CIRCUIT, GOOD, elapsed)
    except DeviceError as exc:
        assert exc.code == "PowerMeterFailure" and exc.reason.startswith("the meter")
        return
    # Accepted: then it is a reading that can be true.
    assert reading.energy_import_wh >= GOOD.energy_import_wh
    assert all(math.isfinite(v) and 0 <= v <= 300 for v in reading.voltage_v)
    assert abs(reading.power_w) <= CIRCUIT.max_power_w


def _on_the_wire(transport: str, frame: bytes) -> None:
    async def run() -> None:
        bench = await make_bench(transport)
        try:
            await charging(bench)
            drivers = bench.drivers
            assert drivers is not None
            before = drivers.connectors[1].meter.read().energy_import_wh
            if transport == "tcp":
                bench.rig.meter_server.mangle = lambda _: frame
            else:
                bench.rig.pairs[0].mangle_a_to_b = lambda _: frame
            await drivers.poll()
            code = drivers.connectors[1].error_code()
            assert code in ("PowerMeterFailure", "NoError")
            if code != "NoError":
                assert bench.sim.connector(1).offered_current() == 0
            assert drivers.connectors[1].meter.read().energy_import_wh >= before
        finally:
            if bench.drivers is not None:
                bench.drivers.close()
            await bench.rig.stop()

    asyncio.run(run())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["tcp", "rtu"]), st.binary(max_size=64))
def test_any_bytes_in_answer_give_a_meter_failure_never_a_crash(
    transport: str, frame: bytes
) -> None:
    _on_the_wire(transport, frame)
