"""The EVSE-DIN / SimpleEVSE controller board over Modbus RTU (register_maps.py).

The board closes its relay by itself while the car asks for energy (state C) and a current is
offered; the charge point offers a current (register 1000) and can turn charging off (register
1004 bit 0), which opens the relay. Its vehicle state maps onto IEC 61851 pilot states; a
"failure" (diode check) is pilot F with EVCommunicationError, an RCD trip GroundFailure.
"""

from __future__ import annotations

from ocpp.v16.enums import ChargePointErrorCode

from smartcharge.chargepoint.hardware.devices.controller import NO_ERROR, ControllerState
from smartcharge.chargepoint.hardware.devices.faults import INTERNAL_ERROR, DeviceError
from smartcharge.chargepoint.hardware.devices.modbus_line import ModbusLine
from smartcharge.chargepoint.hardware.devices.register_maps import (
    EVSE_DIN_COUNT,
    EVSE_DIN_CURRENT,
    EVSE_DIN_FIRST,
    EVSE_DIN_RCD,
    EVSE_DIN_STATE,
    EVSE_DIN_TURN_OFF,
    EVSE_DIN_VEHICLE,
)
from smartcharge.chargepoint.hardware.ports import PilotState

_PILOT = {1: PilotState.A, 2: PilotState.B, 3: PilotState.C, 4: PilotState.D, 5: PilotState.F}
_PWM_ON = 2
MAX_AMPS = 80  # the board's own limit; a larger value in register 1000 is garbage


class EvseDin:
    def __init__(self, line: ModbusLine, unit: int) -> None:
        self.line = line
        self.unit = unit

    def describe(self) -> str:
        return f"EVSE-DIN controller (Modbus id {self.unit} on {self.line.where})"

    async def poll(self) -> ControllerState:
        words = await self.line.read(
            "holding",
            EVSE_DIN_FIRST,
            EVSE_DIN_COUNT,
            self.unit,
            code=INTERNAL_ERROR,
            what="controller",
        )
        reg = dict(zip(range(EVSE_DIN_FIRST, EVSE_DIN_FIRST + EVSE_DIN_COUNT), words, strict=True))
        vehicle, amps, state = reg[EVSE_DIN_VEHICLE], reg[EVSE_DIN_CURRENT], reg[EVSE_DIN_STATE]
        if vehicle not in _PILOT or state not in (1, 2, 3) or amps > MAX_AMPS:
            raise DeviceError(INTERNAL_ERROR, "the controller sent values it cannot hold")
        pwm = state == _PWM_ON and amps >= 6
        turned_off = bool(reg[EVSE_DIN_TURN_OFF] & 1)
        pilot = _PILOT[vehicle]
        closed = pilot in (PilotState.C, PilotState.D) and pwm and not turned_off
        if reg[EVSE_DIN_RCD]:
            return ControllerState(
                pilot,
                ChargePointErrorCode.ground_failure.value,
                closed,
                amps if pwm else 0.0,
                "the controller's residual current device tripped",
            )
        if pilot is PilotState.F:
            return ControllerState(
                pilot,
                ChargePointErrorCode.ev_communication_error.value,
                False,
                0.0,
                "the controller reports a pilot failure (diode check)",
            )
        return ControllerState(pilot, NO_ERROR, closed, float(amps) if pwm else 0.0)

    async def apply(self, offered_a: float, enabled: bool) -> None:
        amps = int(offered_a) if enabled and offered_a >= 6 else 0
        await self.line.write(
            EVSE_DIN_TURN_OFF, 0 if amps else 1, self.unit, code=INTERNAL_ERROR, what="controller"
        )
        await self.line.write(
            EVSE_DIN_CURRENT, amps, self.unit, code=INTERNAL_ERROR, what="controller"
        )
