"""`[hardware]` in the charge point's TOML file: which drivers run the connectors.

`kind = "simulated"` (the default, for the demo and tests) runs the whole-charger simulator;
`kind = "devices"` runs real parts, one table each (docs/hardware.md):

    [hardware.meter]        # an energy meter per connector, over Modbus RTU or Modbus TCP
    model = "sdm630"        # sdm630 | sdm72d-m | abb-b23
    port = "/dev/ttyUSB0"   # a serial line (RTU) ... or host = "192.0.2.10:502" (TCP)
    units = [1, 2]          # the Modbus id of connector 1's meter, connector 2's, ...

    [hardware.controller]   # the board that drives pilot, contactor and cable lock
    model = "evse-din"      # evse-din (Modbus, one id per connector) | openevse (RAPI serial)
    port = "/dev/ttyUSB1"
    units = [11, 12]

    [hardware.reader]       # optional: the RFID reader
    model = "pn532"
    port = "/dev/ttyS0"

    [hardware.gpio]         # optional: tamper switch and status LEDs through libgpiod
    chip = "/dev/gpiochip0"
    tamper_line = 17
"""

from __future__ import annotations

from typing import Annotated, Literal

from smartcharge.chargepoint.config_fields import (
    KeyProblem,
    float_range,
    host_port,
    int_range,
    split_host_port,
)
from smartcharge.chargepoint.config_model import AfterValidator, Field, Table, model_validator

ModbusId = Annotated[int, AfterValidator(int_range(1, 247))]
GpioLine = Annotated[int, AfterValidator(int_range(0, 1023))]


def _device_path(value: str) -> str:
    if not value.startswith("/dev/") or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError("must be a device path such as /dev/ttyUSB0")
    return value


DevicePath = Annotated[str, AfterValidator(_device_path)]


class Line(Table):
    """Where a device is: a serial line (`port`, with its settings) or a TCP `host`."""

    port: DevicePath | None = None
    host: Annotated[str, AfterValidator(host_port)] | None = None
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    # A device that has not answered within this is treated as not answering (item: 1 s safe).
    timeout_s: Annotated[float, AfterValidator(float_range(0.05, 0.5))] = 0.3

    @model_validator(mode="after")
    def _one_place(self) -> Line:
        if (self.port is None) == (self.host is None):
            raise KeyProblem("port", "set either port (a serial line) or host (Modbus TCP)")
        return self

    @property
    def address(self) -> tuple[str, int]:
        assert self.host is not None
        return split_host_port(self.host)

    def describe(self) -> str:
        return self.port if self.port is not None else f"tcp://{self.host}"


class MeterConfig(Line):
    """`[hardware.meter]`: one energy meter per connector, all on the same line."""

    model: Literal["sdm630", "sdm72d-m", "abb-b23"]
    units: Annotated[list[ModbusId], Field(min_length=1, max_length=8)] = [1]


class ControllerConfig(Line):
    """`[hardware.controller]`: the EVSE controller(s). An EVSE-DIN board per connector on one
    Modbus line (`units`); an OpenEVSE board speaks RAPI on its own serial line (one connector)."""

    model: Literal["evse-din", "openevse"]
    units: Annotated[list[ModbusId], Field(min_length=1, max_length=8)] = [1]

    @model_validator(mode="after")
    def _openevse_serial(self) -> ControllerConfig:
        if self.model == "openevse" and self.port is None:
            raise KeyProblem("port", "an OpenEVSE board is reached over a serial port")
        return self


class ReaderConfig(Line):
    """`[hardware.reader]`: the RFID card reader (a PN532 on a UART)."""

    model: Literal["pn532"] = "pn532"
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 115200

    @model_validator(mode="after")
    def _serial(self) -> ReaderConfig:
        if self.port is None:
            raise KeyProblem("port", "the PN532 reader is reached over a serial port")
        return self


class GpioConfig(Table):
    """`[hardware.gpio]`: tamper switch and status LEDs on one GPIO chip (libgpiod v2)."""

    chip: DevicePath = "/dev/gpiochip0"
    tamper_line: GpioLine | None = None
    tamper_active_low: bool = True  # a switch that closes to ground while the lid is shut
    led_available: GpioLine | None = None
    led_charging: GpioLine | None = None
    led_fault: GpioLine | None = None


class HardwareConfig(Table):
    """`[hardware]`: which hardware adapter drives the connectors (see the module)."""

    # "simulated-devices": the simulator behind its devices on the wire, driven by the real
    # drivers (device_sims/wired.py): the whole stack through the drivers, on a laptop.
    kind: Literal["simulated", "devices", "simulated-devices"] = "simulated"
    meter_error_fraction: Annotated[float, AfterValidator(float_range(-0.5, 0.5))] = 0.0
    # How often the device drivers read the meters and controllers (seconds).
    poll_interval_s: Annotated[float, AfterValidator(float_range(0.1, 1.0))] = 0.25
    meter: MeterConfig | None = None
    controller: ControllerConfig | None = None
    reader: ReaderConfig | None = None
    gpio: GpioConfig | None = None

    @model_validator(mode="after")
    def _devices_complete(self) -> HardwareConfig:
        if self.kind != "devices":
            for part in ("meter", "controller", "reader", "gpio"):
                if getattr(self, part) is not None:
                    raise KeyProblem(part, 'only used with kind = "devices"')
            return self
        if self.meter is None:
            raise KeyProblem("meter", 'required with kind = "devices"')
        if self.controller is None:
            raise KeyProblem("controller", 'required with kind = "devices"')
        for line in (self.meter, self.controller):
            # A silent device must be caught within a second: one poll plus a request and its
            # one retry (modbus_line.py).
            if self.poll_interval_s + 2 * line.timeout_s > 1.0:
                raise KeyProblem(
                    "poll_interval_s", "plus twice a device's timeout_s must be at most 1"
                )
        return self

    def check_connectors(self, connectors: int) -> None:
        """Raise KeyProblem when the device tables do not give one device per connector."""
        if self.kind != "devices":
            return
        assert self.meter is not None and self.controller is not None
        if len(self.meter.units) != connectors:
            raise KeyProblem("hardware.meter.units", f"must list {connectors} Modbus ids")
        if self.controller.model == "openevse":
            if connectors != 1:
                raise KeyProblem("connectors", "must be 1 with an OpenEVSE controller")
        elif len(self.controller.units) != connectors:
            raise KeyProblem("hardware.controller.units", f"must list {connectors} Modbus ids")
        if (
            self.meter.port is not None
            and self.meter.port == self.controller.port
            and set(self.meter.units) & set(self.controller.units)
        ):
            raise KeyProblem("hardware.controller.units", "clash with the meters' Modbus ids")
