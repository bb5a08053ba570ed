"""The GPIO panel (tamper switch, status LEDs) through libgpiod.

The tests marked gpio_sim run against a simulated chip made in gpio-sim's configfs: the test
pulls the tamper line through sysfs and reads the LED lines back, so requests, bias, debounced edge
events and output values are the kernel's own. Where this machine's kernel has no gpio-sim, they
run in a guest kernel that has it (tests/support/gpio_guest.py). Everywhere, the plain-words
failures an installer meets: no chip at the configured path, a device node that is not a GPIO
chip (libgpiod asks the kernel, as it would on a board).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gpio_guest import GPIO_SIM

from smartcharge.chargepoint.hardware.config import GpioConfig
from smartcharge.chargepoint.hardware.devices.faults import DeviceError
from smartcharge.chargepoint.hardware.devices.gpio import GpioPanel

TAMPER, AVAILABLE, CHARGING, FAULT = 0, 1, 2, 3


@dataclass
class SimChip:
    device: Path  # /dev/gpiochipN
    lines: Path  # sysfs folder of the chip's sim_gpioN attributes

    def pull(self, line: int, *, up: bool) -> None:
        """What the wiring does to an input line (a switch to ground, a pull-up resistor)."""
        (self.lines / f"sim_gpio{line}" / "pull").write_text("pull-up" if up else "pull-down")

    def value(self, line: int) -> int:
        return int((self.lines / f"sim_gpio{line}" / "value").read_text())


@pytest.fixture
def sim_chip() -> Iterator[SimChip]:
    device = GPIO_SIM / f"smartcharge-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    bank = device / "bank0"
    device.mkdir()
    try:
        bank.mkdir()
        (bank / "num_lines").write_text("8")
        (device / "live").write_text("1")
        dev_name = (device / "dev_name").read_text().strip()
        chip_name = (bank / "chip_name").read_text().strip()
        lines = Path("/sys/devices/platform") / dev_name / chip_name
        yield SimChip(Path("/dev") / chip_name, lines)
    finally:
        with contextlib.suppress(OSError):
            (device / "live").write_text("0")
        with contextlib.suppress(OSError):
            bank.rmdir()
        device.rmdir()


async def until(what: str, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for the kernel to show `predicate`; the timeout only guards against a failure."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def panel_on(chip: SimChip) -> GpioPanel:
    return GpioPanel(
        GpioConfig(
            chip=str(chip.device),
            tamper_line=TAMPER,
            led_available=AVAILABLE,
            led_charging=CHARGING,
            led_fault=FAULT,
        )
    )


@pytest.mark.gpio_sim
async def test_opening_the_enclosure_calls_the_tamper_listeners(sim_chip: SimChip) -> None:
    panel = panel_on(sim_chip)
    panel.open()
    try:
        sim_chip.pull(TAMPER, up=False)  # lid shut: the switch holds the line low
        await until("the shut lid to read as shut", lambda: not panel.opened())
        opened = asyncio.Event()
        seen: list[str] = []

        def tampered(why: str) -> None:
            seen.append(why)
            opened.set()

        panel.on_tamper(tampered)
        panel.watch()
        sim_chip.pull(TAMPER, up=True)  # lid opened: the pull-up wins
        await asyncio.wait_for(opened.wait(), 20)
        assert panel.opened()
        assert seen == ["enclosure opened (tamper switch)"]
    finally:
        panel.close()


@pytest.mark.gpio_sim
async def test_the_leds_show_the_connectors_status(sim_chip: SimChip) -> None:
    panel = panel_on(sim_chip)
    panel.open()
    try:
        leds = (AVAILABLE, CHARGING, FAULT)
        assert [sim_chip.value(n) for n in leds] == [0, 0, 0]
        panel.show(1, "Available")
        assert [sim_chip.value(n) for n in leds] == [1, 0, 0]
        panel.show(1, "Charging")
        assert [sim_chip.value(n) for n in leds] == [0, 1, 0]
        panel.show(2, "Faulted")  # one connector charging, the other faulted
        assert [sim_chip.value(n) for n in leds] == [0, 1, 1]
    finally:
        panel.close()


@pytest.mark.gpio_sim
def test_lines_held_by_another_program_are_named(sim_chip: SimChip) -> None:
    first = panel_on(sim_chip)
    first.open()
    try:
        with pytest.raises(DeviceError, match="another program is using these GPIO lines"):
            panel_on(sim_chip).open()
    finally:
        first.close()


def test_a_missing_gpio_chip_is_named_in_plain_words() -> None:
    panel = GpioPanel(GpioConfig(chip="/dev/gpiochip-missing", tamper_line=17, led_fault=24))
    with pytest.raises(DeviceError, match="there is no GPIO chip at /dev/gpiochip-missing"):
        panel.open()


def test_a_device_that_is_not_a_gpio_chip_is_named_in_plain_words() -> None:
    panel = GpioPanel(GpioConfig(chip="/dev/null", tamper_line=17, led_fault=24))
    with pytest.raises(DeviceError, match=r"^/dev/null is not a GPIO chip$"):
        panel.open()
