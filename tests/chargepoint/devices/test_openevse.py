"""The OpenEVSE driver against a RAPI peer on a pty pair: charging, the board's fault states
mapped to IEC 61851 pilot F and OCPP error codes, and the one fault rule (no answer, a bad
checksum, a state the board cannot be in: safe on that poll, resumes by itself)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from smartcharge.chargepoint.hardware.devices.faults import DeviceError
from smartcharge.chargepoint.hardware.devices.openevse import FAULTS, frame, parse
from smartcharge.chargepoint.hardware.ports import PilotState

from .conftest import Bench, make_bench


@pytest.fixture
async def evse() -> AsyncIterator[Bench]:
    bench = await make_bench("rtu", controller="openevse")
    yield bench
    if bench.drivers is not None:
        bench.drivers.close()
    await bench.rig.stop()


async def charging(bench: Bench) -> None:
    drivers = await bench.start()
    bench.sim.plug(1, battery_kwh=60, soc=0.2, max_power_w=11_000)
    await drivers.poll()
    assert drivers.connectors[1].pilot_state() is PilotState.B  # plugged, the board asleep
    drivers.connectors[1].set_offered_current(20)
    await drivers.poll()
    await drivers.poll()
    assert bench.sim.connector(1).offered_current() == 20
    assert bench.sim.connector(1).contactor_closed()
    assert drivers.connectors[1].pilot_state() is PilotState.C


async def test_the_board_charges_at_the_current_offered_and_sleeps_on_zero(evse: Bench) -> None:
    await charging(evse)
    drivers = evse.drivers
    assert drivers is not None
    assert drivers.connectors[1].contactor_closed()
    drivers.connectors[1].set_offered_current(0)
    await drivers.poll()
    assert evse.sim.connector(1).offered_current() == 0
    assert not evse.sim.connector(1).contactor_closed()
    assert evse.rig.openevse is not None and evse.rig.openevse.commands[-1] == "FS"


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("EVCommunicationError", "EVCommunicationError"),
        ("GroundFailure", "GroundFailure"),
        ("PowerSwitchFailure", "PowerSwitchFailure"),
        ("HighTemperature", "HighTemperature"),
        ("OverCurrentFailure", "OverCurrentFailure"),
    ],
)
async def test_the_boards_fault_states_are_pilot_f_with_their_ocpp_code(
    evse: Bench, fault: str, code: str
) -> None:
    await charging(evse)
    drivers = evse.drivers
    assert drivers is not None
    evse.sim.inject_fault(1, fault)
    await drivers.poll()
    c = drivers.connectors[1]
    assert (c.pilot_state(), c.error_code(), c.offered_current()) == (PilotState.F, code, 0)
    assert not evse.sim.connector(1).contactor_closed()  # the board was told to sleep
    evse.sim.clear_fault(1)
    await drivers.poll()
    await drivers.poll()
    assert c.error_code() == "NoError" and evse.sim.connector(1).contactor_closed()


async def test_silence_a_bad_checksum_and_an_impossible_state_are_internal_errors(
    evse: Bench,
) -> None:
    await charging(evse)
    drivers, peer = evse.drivers, evse.rig.openevse
    assert drivers is not None and peer is not None
    c = drivers.connectors[1]
    pair = evse.rig.pairs[-1]
    for break_it in (
        lambda: setattr(peer, "silent", True),
        lambda: setattr(pair, "mangle_a_to_b", lambda b: b.replace(b"^", b"^F")),
        lambda: setattr(peer, "state", 0x42),
    ):
        break_it()
        await drivers.poll()
        assert c.error_code() == "InternalError" and c.offered_current() == 0
        peer.silent, peer.state, pair.mangle_a_to_b = False, None, None
        await drivers.poll()
        await drivers.poll()
        assert c.error_code() == "NoError"
        assert evse.sim.connector(1).contactor_closed()


def test_rapi_frames_carry_the_xor_checksum_and_bad_ones_are_refused() -> None:
    assert frame("GS") == b"$GS^30\r"
    assert parse(b"$OK 03 0^" + b"%02X" % _xor(b"$OK 03 0") + b"\r") == ["OK", "03", "0"]
    with pytest.raises(DeviceError):
        parse(b"$OK 03 0^00\r")
    assert set(FAULTS) == {5, 6, 7, 8, 9, 10, 11}


def _xor(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x
