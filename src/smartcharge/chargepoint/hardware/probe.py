"""`smartcharge chargepoint hardware probe` and `... hardware test`: the installer's tools.

`probe` reads every configured device once and says, per device, what it read or, in plain words,
why it could not (wrong port, wrong Modbus id, no answer, wrong register map). `walk_through` is
the installer's check of a finished charger: plug-in, a card, the tamper switch, the contactor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from smartcharge.chargepoint.config import ChargePointConfig
from smartcharge.chargepoint.hardware.devices.build import DeviceHardware
from smartcharge.chargepoint.hardware.devices.connector import DeviceConnector
from smartcharge.chargepoint.hardware.devices.faults import DeviceError, check_reading
from smartcharge.chargepoint.hardware.ports import PilotState

HINTS = {
    "meter": "check its Modbus id, wiring (A/B), baud rate and parity, and the model",
    "controller": "check its Modbus id or serial port, wiring and baud rate",
    "card reader": "check its serial port, wiring (TX/RX crossed) and power",
    "GPIO": "check the chip and line numbers in [hardware.gpio]",
}


@dataclass(frozen=True, slots=True)
class Finding:
    part: str  # "meter", "controller", "card reader", "GPIO"
    device: str
    ok: bool
    detail: str  # what it read, or why it failed and what to check


def build(config: ChargePointConfig) -> DeviceHardware:
    return DeviceHardware(
        config.hardware,
        connectors=config.connectors,
        max_current_a=config.max_current_a,
        phases=config.phases,
    )


async def _one(part: str, device: str, read: Callable[[], Awaitable[str]]) -> Finding:
    try:
        return Finding(part, device, True, await read())
    except DeviceError as exc:
        return Finding(part, device, False, f"{exc.reason}: {HINTS[part]}")


async def probe(config: ChargePointConfig) -> list[Finding]:
    """Read every configured device once."""
    if config.hardware.kind != "devices":
        return [Finding("hardware", "the simulator", True, "simulated: nothing to probe")]
    hw = build(config)
    findings: list[Finding] = []
    try:
        for n, c in hw.device_connectors.items():
            meter, controller = c.device_meter, c.controller
            findings.append(
                await _one("meter", f"{meter.describe()}, connector {n}", _meter_reader(c))
            )
            findings.append(
                await _one(
                    "controller", f"{controller.describe()}, connector {n}", _board_reader(c)
                )
            )
        if hw.reader is not None:
            reader = hw.reader

            async def read_card() -> str:
                uid = await reader.read_card()
                return "no card in the field" if uid is None else f"card {uid.hex().upper()} seen"

            findings.append(await _one("card reader", reader.describe(), read_card))
        if hw.gpio is not None:
            gpio = hw.gpio

            async def read_gpio() -> str:
                gpio.open()
                if gpio.config.tamper_line is None:
                    return "LEDs claimed"
                return "enclosure open" if gpio.opened() else "enclosure closed"

            findings.append(await _one("GPIO", gpio.describe(), read_gpio))
    finally:
        hw.close()
    return findings


def _meter_reader(c: DeviceConnector) -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        r = await c.device_meter.fetch()
        check_reading(r, c.device_meter.circuit, None, 0.0)
        amps = "/".join(f"{a:.1f}" for a in r.current_a)
        return (
            f"{r.voltage_v[0]:.0f} V, {amps} A, {r.power_w / 1000:.2f} kW, "
            f"{r.energy_import_wh / 1000:.1f} kWh imported"
        )

    return read


def _board_reader(c: DeviceConnector) -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        s = await c.controller.poll()
        state = f"pilot {s.pilot.value}, offering {s.offered_a:g} A"
        return state if s.error_code == "NoError" else f"{state}, fault: {s.reason}"

    return read


Say = Callable[[str], None]


async def _wait(what: str, ok: Callable[[], Awaitable[bool]], timeout_s: float, say: Say) -> bool:
    say(what)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await ok():
            say("  ok")
            return True
        await asyncio.sleep(0.25)  # a person is doing something: poll the devices meanwhile
    say("  not seen in time")
    return False


async def walk_through(hw: DeviceHardware, say: Say, timeout_s: float = 120.0) -> list[str]:
    """The installer's checks on connector 1; the names of the checks that failed."""
    c = hw.device_connectors[1]
    failed: list[str] = []
    cards: list[str] = []
    hw.rfid.on_card(cards.append)
    tampers: list[str] = []
    hw.tamper.on_tamper(tampers.append)

    async def polled(check: Callable[[], bool]) -> bool:
        await hw.poll()
        return check()

    async def contactor() -> bool:
        c.set_offered_current(6.0)
        c.set_contactor(True)
        await hw.poll()
        r = c.meter.read()
        return c.contactor_closed() and max(r.current_a) > 1.0

    checks = [
        (
            "plug-in",
            "Plug the car (or a test box in state B) into connector 1.",
            lambda: polled(lambda: c.pilot_state() in (PilotState.B, PilotState.C)),
        ),
        ("card", "Hold a card to the reader.", lambda: polled(lambda: bool(cards))),
        (
            "tamper",
            "Open the enclosure (the tamper switch).",
            lambda: polled(lambda: bool(tampers)),
        ),
        ("contactor", "Let the car ask for energy: the contactor closes at 6 A.", contactor),
    ]
    if hw.reader is None:
        checks = [x for x in checks if x[0] != "card"]
    if hw.gpio is None or hw.gpio.config.tamper_line is None:
        checks = [x for x in checks if x[0] != "tamper"]
    try:
        for name, what, ok in checks:
            if not await _wait(what, ok, timeout_s, say):
                failed.append(name)
    finally:
        c.set_offered_current(0.0)
        c.set_contactor(False)
        await hw.poll()
    return failed
