"""What can go wrong with a device, in plain words, and the sanity checks every reading passes.

A `DeviceError` carries the OCPP ChargePointErrorCode the connector reports while it lasts and a
sentence an installer understands ("the meter did not answer", "the meter's energy register went
backwards"); drivers raise it, `connector.py` turns it into the safe state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ocpp.v16.enums import ChargePointErrorCode

from smartcharge.chargepoint.hardware.ports import MeterReading

METER_FAILURE = ChargePointErrorCode.power_meter_failure.value
INTERNAL_ERROR = ChargePointErrorCode.internal_error.value
READER_FAILURE = ChargePointErrorCode.reader_failure.value

MAX_VOLTAGE_V = 300.0  # a UK phase is 230 V +10 %/-6 %; above 300 V a reading is not a voltage
CURRENT_MARGIN = 1.25  # a meter may read this much over the circuit's rating before it is absurd


class DeviceError(Exception):
    """A device failed: `code` is the OCPP error code, `str(error)` the plain-words reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Circuit:
    """What the installation allows, to tell an impossible reading from a real one."""

    max_current_a: float
    phases: int

    @property
    def max_power_w(self) -> float:
        return self.max_current_a * CURRENT_MARGIN * MAX_VOLTAGE_V * self.phases


def check_reading(
    reading: MeterReading,
    circuit: Circuit,
    previous: MeterReading | None,
    elapsed_s: float,
) -> None:
    """Raise DeviceError(PowerMeterFailure) when `reading` cannot be true: not a number,
    negative, out of the circuit's range, or an energy register that went backwards or grew
    faster than the circuit could deliver since `previous` (`elapsed_s` ago)."""
    values = (
        reading.energy_import_wh,
        reading.energy_export_wh,
        reading.power_w,
        *reading.current_a,
        *reading.voltage_v,
    )
    if not all(math.isfinite(v) for v in values):
        raise DeviceError(METER_FAILURE, "the meter sent a value that is not a number")
    if reading.energy_import_wh < 0 or reading.energy_export_wh < 0:
        raise DeviceError(METER_FAILURE, "the meter's energy register is negative")
    if any(v < 0 or v > MAX_VOLTAGE_V for v in reading.voltage_v):
        raise DeviceError(METER_FAILURE, "the meter reports an impossible voltage")
    limit_a = circuit.max_current_a * CURRENT_MARGIN
    if any(a < 0 or a > limit_a for a in reading.current_a):
        raise DeviceError(
            METER_FAILURE,
            f"the meter reports a current beyond the {circuit.max_current_a:g} A circuit",
        )
    if abs(reading.power_w) > circuit.max_power_w:
        raise DeviceError(
            METER_FAILURE,
            f"the meter reports {reading.power_w / 1000:.0f} kW on a "
            f"{circuit.max_current_a:g} A circuit",
        )
    if previous is None:
        return
    for now, before, what in (
        (reading.energy_import_wh, previous.energy_import_wh, "import"),
        (reading.energy_export_wh, previous.energy_export_wh, "export"),
    ):
        if now < before:
            raise DeviceError(METER_FAILURE, f"the meter's {what} energy register went backwards")
        # A little over what the circuit could deliver, plus the register's last digit.
        if now - before > circuit.max_power_w * max(elapsed_s, 1.0) / 3600.0 + 10.0:
            raise DeviceError(
                METER_FAILURE, f"the meter's {what} energy jumped more than the circuit allows"
            )
