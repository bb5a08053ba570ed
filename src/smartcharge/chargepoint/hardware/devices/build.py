"""The real charger as one `Hardware` bundle, built from `[hardware]` (kind = "devices").

Devices on the same serial port or TCP host share one `ModbusLine`. `run()` is the poll loop
(started by the composition root before the first boot, like a board's firmware); `start()` reads
every device once first, so the station's first look already sees the devices' real state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from smartcharge.chargepoint.hardware.config import HardwareConfig, Line
from smartcharge.chargepoint.hardware.devices.connector import DeviceConnector
from smartcharge.chargepoint.hardware.devices.controller import Controller
from smartcharge.chargepoint.hardware.devices.evse_din import EvseDin
from smartcharge.chargepoint.hardware.devices.faults import (
    INTERNAL_ERROR,
    READER_FAILURE,
    Circuit,
    DeviceError,
)
from smartcharge.chargepoint.hardware.devices.gpio import GpioPanel
from smartcharge.chargepoint.hardware.devices.modbus_line import ModbusLine
from smartcharge.chargepoint.hardware.devices.modbus_meter import ModbusMeter
from smartcharge.chargepoint.hardware.devices.openevse import OpenEvse
from smartcharge.chargepoint.hardware.devices.pn532 import Pn532Reader
from smartcharge.chargepoint.hardware.devices.register_maps import METER_MAPS
from smartcharge.chargepoint.hardware.devices.serial_port import SerialPort
from smartcharge.chargepoint.hardware.ports import (
    ConnectorHardware,
    Indicator,
    NetworkLink,
    RfidReader,
    TamperSensor,
)

log = logging.getLogger("smartcharge.chargepoint.hardware")
# How long the station's tick waits for its fresh poll (a poll over TCP takes a few ms; a silent
# device up to twice its timeout).
FRESH_WAIT_S = 0.25


class NoReader:
    """No card reader fitted: cards come only through the central system or the owner."""

    def on_card(self, callback: Callable[[str], None]) -> None:
        pass


class NoTamperSwitch:
    def on_tamper(self, callback: Callable[[str], None]) -> None:
        pass


class NoIndicator:
    def show(self, connector_id: int, status: str) -> None:
        pass


class WiredNetwork:
    """A real charger's uplink is physically up; the OCPP link finds out when it is not."""

    def is_up(self) -> bool:
        return True

    def on_change(self, callback: Callable[[bool], None]) -> None:
        pass


class DeviceHardware:
    """Implements `Hardware` over real devices."""

    connectors: dict[int, ConnectorHardware]
    rfid: RfidReader
    tamper: TamperSensor
    indicator: Indicator
    network: NetworkLink

    def __init__(
        self,
        config: HardwareConfig,
        *,
        connectors: int,
        max_current_a: float,
        phases: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        assert config.meter is not None and config.controller is not None
        self.config = config
        self.lines: dict[str, ModbusLine] = {}
        self._polling = asyncio.Lock()
        self._polled_at = float("-inf")  # when the last poll ended (event loop time)
        circuit = Circuit(max_current_a, phases)
        meter_line = self._line(config.meter)
        self.device_connectors: dict[int, DeviceConnector] = {}
        for n in range(1, connectors + 1):
            meter = ModbusMeter(
                meter_line, METER_MAPS[config.meter.model], config.meter.units[n - 1], circuit
            )
            self.device_connectors[n] = DeviceConnector(
                n, self._controller(n), meter, max_current_a=max_current_a, monotonic=monotonic
            )
        self.connectors = dict(self.device_connectors)
        self.reader: Pn532Reader | None = None
        self.gpio: GpioPanel | None = None
        self.rfid = NoReader()
        self.tamper = NoTamperSwitch()
        self.indicator = NoIndicator()
        if config.reader is not None:
            port = SerialPort(config.reader, code=READER_FAILURE, what="card reader")
            self.reader = self.rfid = Pn532Reader(port)
        if config.gpio is not None:
            self.gpio = self.tamper = self.indicator = GpioPanel(config.gpio)
        self.network = WiredNetwork()

    def _line(self, config: Line) -> ModbusLine:
        key = config.describe()
        if key not in self.lines:
            self.lines[key] = ModbusLine(config)
        return self.lines[key]

    def _controller(self, n: int) -> Controller:
        config = self.config.controller
        assert config is not None
        if config.model == "openevse":
            return OpenEvse(SerialPort(config, code=INTERNAL_ERROR, what="controller"))
        return EvseDin(self._line(config), config.units[n - 1])

    def on_change(self, callback: Callable[[], None]) -> None:
        """`callback()` whenever a connector's fault or pilot state changes (the station's poke)."""
        for c in self.device_connectors.values():
            c.on_change = callback

    def restore_registers(self, registers: Mapping[int, float]) -> None:
        """The energy reported before the restart ({connector: Wh}): never report less."""
        for n, energy_wh in registers.items():
            self.device_connectors[n].device_meter.restore(float(energy_wh))

    async def poll(self) -> None:
        polls = [c.poll_once() for c in self.device_connectors.values()]
        if self.reader is not None:
            polls.append(self.reader.poll())
        await asyncio.gather(*polls)

    def open_gpio(self) -> None:
        """Claim the GPIO lines and watch the tamper switch (a failure is logged: the charger
        still charges, and `hardware probe` names the problem)."""
        if self.gpio is None:
            return
        try:
            self.gpio.open()
        except DeviceError as exc:
            log.error("tamper switch and LEDs unavailable: %s", exc)
            return
        self.gpio.watch()

    async def run(self) -> None:
        """The poll loop, until cancelled: a poll at most `poll_interval_s` after the last one
        (the station's own polls through `fresh` count)."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                wait = self._polled_at + self.config.poll_interval_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                await self._poll_alone()
        finally:
            self.close()

    async def _poll_alone(self) -> None:
        async with self._polling:  # one poll at a time on the lines
            await self.poll()
            self._polled_at = asyncio.get_running_loop().time()

    async def fresh(self) -> None:
        """Poll now, for the station's tick: the MeterValues it sends then carry a reading
        milliseconds old, not up to a poll interval old (issue 12: a reading reaches the central
        system within 200 ms). Waits at most FRESH_WAIT_S: a device that does not answer must
        not hold the tick back; its poll goes on, and its fault shows as on any other poll."""
        poll = asyncio.ensure_future(self._poll_alone())
        done, _ = await asyncio.wait({poll}, timeout=FRESH_WAIT_S)
        if done:
            poll.result()
        else:
            poll.add_done_callback(_log_failure)

    def close(self) -> None:
        if self.gpio is not None:
            self.gpio.close()
        if self.reader is not None:
            self.reader.port.close()
        for line in self.lines.values():
            with contextlib.suppress(Exception):
                line.close()


def _log_failure(poll: asyncio.Future[None]) -> None:
    if not poll.cancelled() and poll.exception() is not None:
        log.error("device poll failed", exc_info=poll.exception())
