"""SimulatedConnector: pilot states, offered current, contactor, cable lock and faults."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from smartcharge.chargepoint.hardware.ports import ConnectorHardware, PilotState
from smartcharge.chargepoint.hardware.simulated import FAULT_CODES, SimulatedConnector
from smartcharge.sim.clock import ManualClock
from smartcharge.sim.ev import SimulatedEV


@pytest.fixture
def clock() -> ManualClock:
    # Time stands still unless a test advances it (the fixtures are per module, not in a
    # conftest, so no module named `conftest` of ours can shadow another test folder's).
    return ManualClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def connector(clock: ManualClock) -> SimulatedConnector:
    return SimulatedConnector(1, clock, max_current_a=32.0, phases=3)


def car(**kw: Any) -> SimulatedEV:
    params: dict[str, Any] = {"battery_kwh": 60.0, "soc": 20.0, "max_power_w": 11_000.0}
    return SimulatedEV(**(params | kw))


def test_is_a_connector_hardware(connector: SimulatedConnector) -> None:
    port: ConnectorHardware = connector  # checked by mypy; here: the attributes exist
    assert port.connector_id == 1
    assert port.meter is connector.simulated_meter


def test_pilot_follows_the_ev_and_the_offer(connector: SimulatedConnector) -> None:
    assert connector.pilot_state() is PilotState.A
    connector.plug(car())
    assert connector.pilot_state() is PilotState.B  # connected, no PWM yet
    connector.set_offered_current(16.0)
    assert connector.pilot_state() is PilotState.C
    connector.set_offered_current(5.9)  # below 6 A the PWM is off
    assert connector.offered_current() == 0.0
    assert connector.pilot_state() is PilotState.B
    connector.set_offered_current(6.0)
    assert connector.pilot_state() is PilotState.C
    connector.set_ev_paused(True)
    assert connector.pilot_state() is PilotState.B  # SuspendedEV
    connector.set_ev_paused(False)
    assert connector.pilot_state() is PilotState.C
    connector.unplug()
    assert connector.pilot_state() is PilotState.A


def test_a_full_ev_stays_in_b(connector: SimulatedConnector) -> None:
    connector.plug(car(soc=100.0))
    connector.set_offered_current(32.0)
    assert connector.pilot_state() is PilotState.B


async def test_pilot_drops_to_b_when_the_battery_fills(
    connector: SimulatedConnector, clock: ManualClock
) -> None:
    connector.plug(car(battery_kwh=1.0, soc=99.0))
    connector.set_offered_current(32.0)
    connector.set_contactor(True)
    assert connector.pilot_state() is PilotState.C
    await clock.advance(3600)
    assert connector.pilot_state() is PilotState.B
    assert connector.ev is not None and connector.ev.soc == 100.0


@pytest.mark.parametrize(
    ("code", "pilot"),
    [("EVCommunicationError", PilotState.E), ("GroundFailure", PilotState.F)],
)
def test_faults_show_on_the_pilot_and_stop_the_draw(
    connector: SimulatedConnector, code: str, pilot: PilotState
) -> None:
    connector.plug(car())
    connector.set_offered_current(32.0)
    connector.set_contactor(True)
    assert connector.meter.read().power_w > 0
    connector.inject_fault(code)
    assert connector.pilot_state() is pilot
    assert connector.error_code() == code
    assert connector.meter.read().power_w == 0.0  # the EV stops whatever the contactor does
    connector.clear_fault()
    assert connector.error_code() == "NoError"
    assert connector.pilot_state() is PilotState.C
    assert connector.meter.read().power_w > 0


def test_fault_without_an_ev(connector: SimulatedConnector) -> None:
    connector.inject_fault("HighTemperature")
    assert connector.pilot_state() is PilotState.F


def test_unknown_fault_codes_are_refused(connector: SimulatedConnector) -> None:
    assert "GroundFailure" in FAULT_CODES and "NoError" not in FAULT_CODES
    for code in ("NoError", "Meltdown", ""):
        with pytest.raises(ValueError, match="unknown fault code"):
            connector.inject_fault(code)
    assert connector.error_code() == "NoError"


def test_offered_current_is_clamped_at_the_hardware_max(connector: SimulatedConnector) -> None:
    connector.set_offered_current(63.0)
    assert connector.offered_current() == 32.0
    connector.set_offered_current(0)
    assert connector.offered_current() == 0.0


@pytest.mark.parametrize("amps", [-1.0, math.nan, True])
def test_nonsense_offers_are_refused(connector: SimulatedConnector, amps: float) -> None:
    connector.set_offered_current(16.0)
    with pytest.raises(ValueError):
        connector.set_offered_current(amps)
    assert connector.offered_current() == 16.0


def test_contactor(connector: SimulatedConnector) -> None:
    assert not connector.contactor_closed()
    connector.set_contactor(True)
    assert connector.contactor_closed()
    connector.set_contactor(False)
    assert not connector.contactor_closed()


def test_cable_lock(connector: SimulatedConnector) -> None:
    assert not connector.cable_locked
    assert connector.unlock()  # nothing to release
    connector.plug(car())
    assert connector.cable_locked
    connector.inject_fault("ConnectorLockFailure")
    assert connector.unlock() is False
    assert connector.cable_locked
    connector.clear_fault()
    assert connector.unlock() is True
    assert not connector.cable_locked
    connector.unplug()
    connector.plug(car())
    assert connector.cable_locked  # locks again on the next plug-in


def test_one_ev_at_a_time(connector: SimulatedConnector) -> None:
    connector.plug(car())
    with pytest.raises(ValueError, match="already has an EV"):
        connector.plug(car())
    connector.unplug()
    with pytest.raises(ValueError, match="no EV"):
        connector.unplug()
    with pytest.raises(ValueError, match="no EV"):
        connector.set_ev_paused(True)


def test_rejects_impossible_hardware(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="phases"):
        SimulatedConnector(1, clock, phases=2)
    with pytest.raises(ValueError, match="max_current_a"):
        SimulatedConnector(1, clock, max_current_a=5.0)
