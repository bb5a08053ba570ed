"""`[hardware]` tables per part (meter, controller, reader, gpio): good ones load, bad ones give
a ConfigError naming the key, and the simulator stays the default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smartcharge.chargepoint.config import ConfigError, parse_config

BASE: dict[str, Any] = {
    "identity": "CP-1",
    "csms_url": "ws://127.0.0.1:9000/ocpp",
    "data_dir": "data",
    "security": {"profile": 0},
}
DEVICES: dict[str, Any] = {
    "kind": "devices",
    "meter": {"model": "sdm630", "port": "/dev/ttyUSB0", "units": [1, 2]},
    "controller": {"model": "evse-din", "port": "/dev/ttyUSB0", "units": [11, 12]},
    "reader": {"model": "pn532", "port": "/dev/ttyS0"},
    "gpio": {"chip": "/dev/gpiochip0", "tamper_line": 17, "led_fault": 24},
}


def load(hardware: dict[str, Any], **top: Any) -> Any:
    return parse_config({**BASE, **top, "hardware": hardware}, base_dir=Path("/tmp"))


def test_the_simulator_is_the_default() -> None:
    config = parse_config(BASE, base_dir=Path("/tmp"))
    assert config.hardware.kind == "simulated" and config.hardware.meter is None


def test_a_reference_build_loads() -> None:
    hw = load(DEVICES).hardware
    assert hw.meter.model == "sdm630" and hw.meter.units == [1, 2]
    assert hw.controller.units == [11, 12] and hw.reader.port == "/dev/ttyS0"
    assert hw.gpio.tamper_line == 17


def _with(part: str, **keys: Any) -> dict[str, Any]:
    return {**DEVICES, part: {**DEVICES[part], **keys}}


@pytest.mark.parametrize(
    ("hardware", "top", "message"),
    [
        ({"kind": "devices"}, {}, "hardware.meter: required"),
        ({**DEVICES, "kind": "simulated"}, {}, 'hardware.meter: only used with kind = "devices"'),
        (_with("meter", model="sdm999"), {}, "hardware.meter.model"),
        (_with("meter", units=[1]), {}, "hardware.meter.units: must list 2 Modbus ids"),
        (_with("meter", units=[0, 1]), {}, "hardware.meter.units.0"),
        (_with("meter", host="10.0.0.2:502"), {}, "set either port"),
        (_with("meter", port="COM3"), {}, "must be a device path"),
        (_with("controller", units=[1, 12]), {}, "clash with the meters' Modbus ids"),
        (_with("controller", model="openevse"), {}, "connectors: must be 1"),
        (_with("controller", timeout_s=0.5), {"hardware_poll": 0.6}, "poll_interval_s"),
        (_with("reader", host="10.0.0.2:4000", port=None), {}, "serial port"),
        (_with("gpio", tamper_line=5000), {}, "hardware.gpio.tamper_line"),
    ],
)
def test_bad_hardware_tables_name_the_key(
    hardware: dict[str, Any], top: dict[str, Any], message: str
) -> None:
    if "hardware_poll" in top:
        hardware = {**hardware, "poll_interval_s": top.pop("hardware_poll")}
    if hardware.get("reader", {}).get("port", "") is None:
        hardware = {**hardware, "reader": {k: v for k, v in hardware["reader"].items() if v}}
    with pytest.raises(ConfigError) as err:
        load(hardware, **top)
    assert message in str(err.value)


async def test_simulated_devices_run_the_simulator_through_the_real_drivers() -> None:
    """kind = "simulated-devices": the control API's world is behind Modbus TCP devices."""
    from smartcharge.chargepoint.hardware.choose import HardwareRunner, build_hardware
    from smartcharge.chargepoint.hardware.device_sims.wired import WiredSimulation
    from smartcharge.sim.clock import ManualClock

    config = load({"kind": "simulated-devices"}, connectors=1)
    clock = ManualClock(datetime(2026, 6, 6, 12, tzinfo=UTC))
    hw = build_hardware(config, clock)
    assert isinstance(hw, WiredSimulation)
    runner = HardwareRunner(config, hw, dict, lambda: None)
    await runner.start()
    try:
        assert runner.simulator is hw.world and runner.control is not None
        hw.plug(1, battery_kwh=60, soc=20, max_power_w=11_000)  # the simulator's user, as ever
        await hw.poll()
        assert hw.connectors[1].pilot_state().value == "B"  # read over Modbus from the board
        assert hw.rig.controller_server.requests > 0 and hw.rig.meter_server.requests > 0
    finally:
        await runner.stop()
