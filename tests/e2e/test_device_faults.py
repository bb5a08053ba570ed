"""The whole charger on its device drivers (SDM630 meters and EVSE-DIN boards over Modbus TCP,
simulated at the protocol level) against the `ocpp` package's central system: a meter answering
garbage makes the connector Faulted with PowerMeterFailure and stops the energy, the session is
kept, and charging resumes by itself when the meter is sane; nothing is lost or sent twice and
the energy reported never goes backwards."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from cp_harness import MakeCP, Running
from csms_peer import CentralSystemPeer
from ocpp.v16 import call

from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.sim.clock import SimulatedClock

SATURDAY_NOON_UK = "2026-06-06T11:00:00+00:00"
SPEED = 10.0


@pytest.fixture
async def rig() -> AsyncIterator[DeviceRig]:
    clock = SimulatedClock(datetime.fromisoformat(SATURDAY_NOON_UK), SPEED)
    r = DeviceRig(SimulatedHardware(clock, connectors=2))
    yield r
    await r.stop()


def energies(peer: CentralSystemPeer) -> list[float]:
    out = []
    for m in peer.of("MeterValues"):
        for value in m.payload["meter_value"]:
            for sample in value["sampled_value"]:
                if sample.get("measurand", "Energy.Active.Import.Register") == (
                    "Energy.Active.Import.Register"
                ):
                    out.append(float(sample["value"]))
    return out


async def charging(make_cp: MakeCP, rig: DeviceRig) -> Running:
    table = await rig.start()
    table["poll_interval_s"] = 0.1
    world = rig.hardware
    cp = await make_cp(
        simulator={"speed": SPEED, "start_time": SATURDAY_NOON_UK},
        hardware=table,
        use_clock=world.clock,
    )
    await cp.until_status(1, "Available")
    await cp.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="10"))
    world.plug(1, battery_kwh=100.0, soc=10.0, max_power_w=11000.0)
    res = await cp.call(call.RemoteStartTransaction(id_tag="DEV1", connector_id=1))
    assert res.status == "Accepted"
    await cp.until_status(1, "Charging")
    await cp.until(lambda: world.connector(1).contactor_closed())
    return cp


async def test_a_meter_answering_garbage_faults_the_connector_and_charging_resumes(
    make_cp: MakeCP, rig: DeviceRig, peer: CentralSystemPeer
) -> None:
    cp = await charging(make_cp, rig)
    world = rig.hardware
    tx = cp.state(1)["transaction_id"]
    await cp.until(lambda: len(energies(peer)) >= 2)

    rig.meters[1].set_value("power", math.nan)
    await cp.until_status(1, "Faulted")
    faulted = [r.payload for r in peer.of("StatusNotification") if r.payload["status"] == "Faulted"]
    assert faulted[-1]["connector_id"] == 1 and faulted[-1]["error_code"] == "PowerMeterFailure"
    await cp.until(lambda: world.connector(1).offered_current() == 0)
    assert not world.connector(1).contactor_closed()  # the board opened it
    assert cp.state(1)["transaction_id"] == tx  # the session is kept
    assert peer.status.get((cp.identity, 2)) == "Available"  # the other connector is untouched

    rig.meters[1].clear()
    await cp.until_status(1, "Charging")
    await cp.until(lambda: world.connector(1).contactor_closed())
    assert cp.state(1)["transaction_id"] == tx
    seen = len(energies(peer))
    await cp.until(lambda: len(energies(peer)) >= seen + 2)

    values = energies(peer)
    assert values == sorted(values)  # never backwards
    assert peer.of("StopTransaction") == [] and peer.duplicates == []
    assert len(peer.of("StartTransaction")) == 1
