"""The charge point's hardware, as small interfaces the rest of the software depends on.

A real charger implements these over GPIO, PWM and Modbus; `hardware.simulated` implements them
with a simulated EV, meter, contactor and reader so that the whole stack runs on a laptop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class PilotState(StrEnum):
    """IEC 61851-1 control pilot states."""

    A = "A"  # no vehicle
    B = "B"  # vehicle connected, not asking for energy
    C = "C"  # vehicle connected, asking for energy
    D = "D"  # as C, with ventilation required
    E = "E"  # no power / short circuit on the pilot
    F = "F"  # EVSE fault


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One reading of a connector's energy meter (what the meter says, errors included)."""

    energy_import_wh: float  # register since manufacture
    energy_export_wh: float
    power_w: float  # active import power, all phases
    current_a: tuple[float, float, float]  # per phase L1, L2, L3
    voltage_v: tuple[float, float, float]
    soc_percent: float | None = None  # when the vehicle reports it


class Meter(Protocol):
    def read(self) -> MeterReading: ...


class ConnectorHardware(Protocol):
    """Pilot, contactor, cable lock and meter of one connector."""

    connector_id: int
    meter: Meter

    def pilot_state(self) -> PilotState: ...

    def set_offered_current(self, amps: float) -> None:
        """Set the pilot PWM to offer `amps`; below 6 A the PWM is off and the EV may not draw."""
        ...

    def offered_current(self) -> float: ...

    def set_contactor(self, closed: bool) -> None: ...

    def contactor_closed(self) -> bool: ...

    def unlock(self) -> bool:
        """Release the cable lock; True when it opened."""
        ...

    def error_code(self) -> str:
        """OCPP ChargePointErrorCode of the connector's current fault, 'NoError' when none."""
        ...


class RfidReader(Protocol):
    def on_card(self, callback: Callable[[str], None]) -> None:
        """Call `callback(id_tag)` each time a card is presented."""
        ...


class TamperSensor(Protocol):
    def on_tamper(self, callback: Callable[[str], None]) -> None:
        """Call `callback(description)` each time the enclosure is opened or tampered with."""
        ...


class Indicator(Protocol):
    def show(self, connector_id: int, status: str) -> None:
        """Show a connector's OCPP status on the charger's light/display."""
        ...


class NetworkLink(Protocol):
    """Whether the charger's uplink is physically up (always True on real hardware)."""

    def is_up(self) -> bool: ...

    def on_change(self, callback: Callable[[bool], None]) -> None: ...


class Hardware(Protocol):
    """Everything the charge point drives, as one bundle built by the composition root."""

    connectors: dict[int, ConnectorHardware]
    rfid: RfidReader
    tamper: TamperSensor
    indicator: Indicator
    network: NetworkLink
