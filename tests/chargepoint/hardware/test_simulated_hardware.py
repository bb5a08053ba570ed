"""SimulatedHardware: the bundle, the simulator user's actions, peripherals and snapshot()."""

from __future__ import annotations

import logging

import orjson
import pytest

from smartcharge.chargepoint.hardware.ports import Hardware, PilotState
from smartcharge.chargepoint.hardware.simulated import (
    SimulatedHardware,
    SimulatedNetwork,
    SimulatedRfidReader,
)
from smartcharge.sim.clock import ManualClock


def test_is_a_hardware_bundle(hardware: SimulatedHardware) -> None:
    bundle: Hardware = hardware  # mypy checks the protocol; here: the objects are wired
    assert sorted(bundle.connectors) == [1, 2]
    assert bundle.connectors[2] is hardware.connector(2)
    assert bundle.rfid is hardware.simulated_rfid
    assert bundle.network.is_up()


def test_builds_the_configured_connectors(clock: ManualClock) -> None:
    hw = SimulatedHardware(clock, connectors=3, max_current_a=16.0, phases=1)
    assert sorted(hw.connectors) == [1, 2, 3]
    c = hw.connector(3)
    assert (c.max_current_a, c.phases) == (16.0, 1)
    with pytest.raises(ValueError, match="connectors"):
        SimulatedHardware(clock, connectors=0)


def test_plug_and_unplug(hardware: SimulatedHardware) -> None:
    ev = hardware.plug(1, battery_kwh=60.0, soc=30.0, max_power_w=11_000.0)
    assert ev.phases == 3  # uses every phase of the supply by default
    assert hardware.connector(1).ev is ev
    assert hardware.connector(1).pilot_state() is PilotState.B
    assert hardware.plug(2, battery_kwh=40.0, soc=0.0, max_power_w=3700.0, phases=1).phases == 1
    assert hardware.unplug(1) is ev
    assert hardware.connector(1).pilot_state() is PilotState.A


def test_plugging_into_an_occupied_or_unknown_connector_is_refused(
    hardware: SimulatedHardware,
) -> None:
    ev = hardware.plug(1, battery_kwh=60.0, soc=30.0, max_power_w=11_000.0)
    with pytest.raises(ValueError, match="connector 1 already has an EV plugged in"):
        hardware.plug(1, battery_kwh=50.0, soc=10.0, max_power_w=7400.0)
    assert hardware.connector(1).ev is ev
    with pytest.raises(ValueError, match=r"no connector 3; this charger has connectors 1\.\.2"):
        hardware.plug(3, battery_kwh=50.0, soc=10.0, max_power_w=7400.0)
    with pytest.raises(ValueError, match="no connector"):
        hardware.unplug(0)
    with pytest.raises(ValueError, match="soc"):
        hardware.plug(2, battery_kwh=50.0, soc=101.0, max_power_w=7400.0)
    assert hardware.connector(2).ev is None


def test_cards_reach_every_listener(hardware: SimulatedHardware) -> None:
    seen: list[str] = []
    hardware.rfid.on_card(seen.append)
    hardware.rfid.on_card(lambda tag: seen.append(tag.lower()))
    hardware.present_card("ABC123")
    assert seen == ["ABC123", "abc123"]
    assert hardware.simulated_rfid.presented == ["ABC123"]


def test_a_failing_listener_does_not_silence_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = SimulatedRfidReader()
    seen: list[str] = []

    def broken(tag: str) -> None:
        raise RuntimeError("boom")

    reader.on_card(broken)
    reader.on_card(seen.append)
    with caplog.at_level(logging.ERROR):
        reader.present("TAG")
    assert seen == ["TAG"]
    assert "rfid listener" in caplog.text


def test_tamper(hardware: SimulatedHardware) -> None:
    seen: list[str] = []
    hardware.tamper.on_tamper(seen.append)
    hardware.tamper_with()
    hardware.tamper_with("lid forced")
    assert seen == ["enclosure opened", "lid forced"]


def test_network_listeners_hear_only_changes() -> None:
    net = SimulatedNetwork()
    seen: list[bool] = []
    net.on_change(seen.append)
    net.set_up(True)
    net.set_up(False)
    net.set_up(False)
    assert not net.is_up()
    net.set_up(True)
    assert seen == [False, True]


def test_indicator_remembers_the_last_status_per_connector(hardware: SimulatedHardware) -> None:
    hardware.indicator.show(1, "Preparing")
    hardware.indicator.show(1, "Charging")
    hardware.indicator.show(2, "Available")
    assert hardware.simulated_indicator.statuses == {1: "Charging", 2: "Available"}
    assert hardware.snapshot()["connectors"]["1"]["indicator"] == "Charging"


def test_faults_and_pause_through_the_bundle(hardware: SimulatedHardware) -> None:
    hardware.inject_fault(2, "GroundFailure")
    assert hardware.connector(2).error_code() == "GroundFailure"
    hardware.clear_fault(2)
    assert hardware.connector(2).error_code() == "NoError"
    with pytest.raises(ValueError, match="no EV"):
        hardware.set_ev_paused(1, True)
    hardware.plug(1, battery_kwh=60.0, soc=30.0, max_power_w=11_000.0)
    hardware.set_ev_paused(1, True)
    assert hardware.snapshot()["connectors"]["1"]["ev"]["paused"] is True


async def test_snapshot_is_hardware_truth_and_json_able(
    hardware: SimulatedHardware, clock: ManualClock
) -> None:
    empty = hardware.snapshot()
    assert empty["network_up"] is True
    assert set(empty["connectors"]) == {"1", "2"}
    assert empty["connectors"]["2"]["ev"] is None and empty["connectors"]["2"]["soc"] is None

    hardware.set_meter_error(1, 0.05)
    hardware.plug(1, battery_kwh=60.0, soc=20.0, max_power_w=7400.0, phases=1)
    c = hardware.connector(1)
    c.set_offered_current(32.0)
    c.set_contactor(True)
    await clock.advance(3600)
    hardware.set_network(False)
    snap = hardware.snapshot()
    one = snap["connectors"]["1"]
    assert snap["network_up"] is False
    assert one["ev_connected"] is True
    assert one["pilot"] == "C"
    assert one["offered_current_a"] == 32.0
    assert one["contactor_closed"] is True
    assert one["cable_locked"] is True
    assert one["error_code"] == "NoError"
    assert one["true_power_w"] == pytest.approx(7360.0)
    assert one["power_w"] == pytest.approx(1.05 * 7360.0)
    assert one["true_energy_wh"] == pytest.approx(7360.0)
    assert one["energy_wh"] == pytest.approx(1.05 * 7360.0)
    assert one["current_a"] == pytest.approx([1.05 * 32.0, 0.0, 0.0])
    assert one["soc"] == pytest.approx(20.0 + 7360.0 / 600.0)
    assert orjson.loads(orjson.dumps(snap)) == snap


async def test_registers_carry_over_a_restart_and_never_go_back(
    hardware: SimulatedHardware, clock: ManualClock
) -> None:
    hardware.restore_registers({1: 12_345.0, 2: 0.0})
    assert hardware.connector(1).meter.read().energy_import_wh == 12_345.0
    hardware.plug(1, battery_kwh=60.0, soc=20.0, max_power_w=7400.0, phases=1)
    c = hardware.connector(1)
    c.set_offered_current(32.0)
    c.set_contactor(True)
    await clock.advance(3600)
    hardware.restore_registers({1: 12_345.0})  # the store lags the meter: no step back
    assert c.meter.read().energy_import_wh == pytest.approx(12_345.0 + 7360.0)
    assert c.simulated_meter.true_energy_wh == pytest.approx(12_345.0 + 7360.0)
    with pytest.raises(ValueError, match="no connector 3"):
        hardware.restore_registers({2: 99.0, 3: 1.0})
    assert hardware.connector(2).meter.read().energy_import_wh == 0.0
    with pytest.raises(ValueError, match="energy_wh"):
        hardware.restore_registers({2: -1.0})
