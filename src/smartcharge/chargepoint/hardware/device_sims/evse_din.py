"""An EVSE-DIN controller board on Modbus, in front of a simulated connector.

Behaves as the board does: register 1000 is the offered current, 1004 bit 0 turns charging off;
the board's relay closes by itself while the car asks for energy (state C or D) and at least 6 A
is offered, and opens otherwise. The vehicle state comes from the simulated EV; a fault injected
into the simulated connector shows as the board's failure state or RCD trip.
"""

from __future__ import annotations

from ocpp.v16.enums import ChargePointErrorCode
from pymodbus.constants import ExcCodes
from pymodbus.simulator import SimDevice

from smartcharge.chargepoint.hardware.device_sims.meters import blocks
from smartcharge.chargepoint.hardware.devices.register_maps import (
    EVSE_DIN_COUNT,
    EVSE_DIN_CURRENT,
    EVSE_DIN_FIRST,
    EVSE_DIN_TURN_OFF,
)
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.hardware.simulated.connector import SimulatedConnector

_VEHICLE = {PilotState.A: 1, PilotState.B: 2, PilotState.C: 3, PilotState.D: 4}
FIRMWARE = 17


class SimulatedEvseDin:
    def __init__(self, unit: int, connector: SimulatedConnector) -> None:
        self.unit = unit
        self.connector = connector
        self.current_a = 0
        self.turned_off = True
        self.writes = 0
        self.words: dict[int, int] = {}  # raw registers served instead of the truth (garbage)

    def sim_device(self) -> SimDevice:
        layout = blocks([(EVSE_DIN_FIRST, EVSE_DIN_COUNT)], "holding")
        return SimDevice(self.unit, simdata=layout, action=self._action)  # type: ignore[arg-type]

    def _offered(self) -> int:
        return self.current_a if not self.turned_off and self.current_a >= 6 else 0

    def drive(self) -> None:
        """The board's own logic: the PWM offers the current; the relay follows the car."""
        c = self.connector
        c.set_offered_current(float(self._offered()))
        c.set_contactor(self._offered() >= 6 and c.pilot_state() in (PilotState.C, PilotState.D))

    async def _action(
        self,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if values is not None:
            for i, value in enumerate(values):
                where = address + i
                if where == EVSE_DIN_CURRENT and 0 <= int(value) <= 80:
                    self.current_a = int(value)
                elif where == EVSE_DIN_TURN_OFF:
                    self.turned_off = bool(int(value) & 1)
                else:
                    return ExcCodes.ILLEGAL_VALUE
            self.writes += 1
        self.drive()
        c = self.connector
        pilot = c.pilot_state()
        fault = c.error_code()
        rcd = fault == ChargePointErrorCode.ground_failure.value
        vehicle = 5 if pilot in (PilotState.E, PilotState.F) and not rcd else _VEHICLE.get(pilot, 2)
        offered = self._offered()
        state = 2 if offered else (3 if self.turned_off else 1)
        served = [self.current_a, offered, vehicle, 32, int(self.turned_off), FIRMWARE, state, rcd]
        for i, word in enumerate(served):
            registers[EVSE_DIN_FIRST - start + i] = self.words.get(EVSE_DIN_FIRST + i, word)
        return None
