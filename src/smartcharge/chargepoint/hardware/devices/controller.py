"""What every EVSE controller driver gives the connector (evse_din.py, openevse.py): its state in
IEC 61851 terms and OCPP error codes, and the two commands the charge point sends it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smartcharge.chargepoint.hardware.ports import PilotState

NO_ERROR = "NoError"


@dataclass(frozen=True, slots=True)
class ControllerState:
    pilot: PilotState
    error_code: str  # OCPP ChargePointErrorCode; NoError when the board reports none
    contactor_closed: bool
    offered_a: float  # what the pilot PWM offers now
    reason: str = ""  # the board's own fault, in plain words


class Controller(Protocol):
    def describe(self) -> str: ...

    async def poll(self) -> ControllerState:
        """Read the board; DeviceError when it does not answer or answers garbage."""
        ...

    async def apply(self, offered_a: float, enabled: bool) -> None:
        """Offer `offered_a` (0: PWM off) and allow the contactor to close (`enabled`)."""
        ...
