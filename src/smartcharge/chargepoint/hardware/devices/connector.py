"""One connector on real devices: an EVSE controller and an energy meter, read in a poll loop.

The station drives connectors through the synchronous `ConnectorHardware` port; this class keeps
what the devices said last and what the station asked for, and `poll_once` (every
`[hardware] poll_interval_s`) brings the two together. The fault rule, one for every driver: a
device that does not answer, answers garbage (a wrong length, a CRC error, a value that cannot be
true) or reports a fault puts the connector in its safe state on that same poll, within a second
(poll interval + a request and its one retry ≤ 1 s, checked in the config): the current offered
goes to 0, the contactor opens, `error_code()` says which OCPP error it is (so the station
reports Faulted), a warning is logged and `on_change` wakes the station at once. The first sane
poll afterwards clears the fault by itself, and the station resumes the session it kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from smartcharge.chargepoint.hardware.devices.controller import (
    NO_ERROR,
    Controller,
    ControllerState,
)
from smartcharge.chargepoint.hardware.devices.faults import DeviceError
from smartcharge.chargepoint.hardware.devices.modbus_meter import ModbusMeter
from smartcharge.chargepoint.hardware.ports import Meter, PilotState

log = logging.getLogger("smartcharge.chargepoint.hardware")

MIN_OFFERED_A = 6.0
_FAULT_PILOT = PilotState.F


class DeviceConnector:
    """Implements `ConnectorHardware` over a `Controller` and a `ModbusMeter`."""

    connector_id: int
    meter: Meter

    def __init__(
        self,
        connector_id: int,
        controller: Controller,
        meter: ModbusMeter,
        *,
        max_current_a: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connector_id = connector_id
        self.controller = controller
        self.device_meter = meter
        self.meter = meter
        self.max_current_a = max_current_a
        self._monotonic = monotonic
        self._state = ControllerState(PilotState.A, NO_ERROR, False, 0.0)
        self._offered_a = 0.0
        self._contactor = False
        self._written: tuple[float, bool] | None = None  # what the board was last told
        self.fault: DeviceError | None = None  # a device failed (None: all answer sanely)
        self.on_change: Callable[[], None] = lambda: None
        self.polls = 0

    # -- the poll loop's work ------------------------------------------------------------------

    async def poll_once(self) -> None:
        """Read both devices and tell the controller what the station wants (or 0 in a fault)."""
        self.polls += 1
        before = (self.error_code(), self.pilot_state())
        try:
            self._state = await self.controller.poll()
            await self.device_meter.poll(self._monotonic())
            problem: DeviceError | None = None
            if self._state.error_code != NO_ERROR:
                problem = DeviceError(self._state.error_code, self._state.reason)
        except DeviceError as exc:
            problem = exc
        self._set_fault(problem)
        await self._command()
        if (self.error_code(), self.pilot_state()) != before:
            self.on_change()

    def _set_fault(self, problem: DeviceError | None) -> None:
        if problem is not None and (self.fault is None or self.fault.reason != problem.reason):
            log.warning(
                "connector %s: %s (%s); safe state: no current offered, contactor open",
                self.connector_id,
                problem.reason,
                problem.code,
            )
            self._written = None  # tell the board again, whatever it was told before
        elif problem is None and self.fault is not None:
            log.info("connector %s: devices answer sanely again; fault cleared", self.connector_id)
            self._written = None
        self.fault = problem

    async def _command(self) -> None:
        want = (0.0, False) if self.fault is not None else self._desired()
        if want == self._written:
            return
        try:
            await self.controller.apply(*want)
        except DeviceError as exc:
            self._written = None
            if self.fault is None:
                self._set_fault(exc)
            return
        self._written = want

    def _desired(self) -> tuple[float, bool]:
        amps = min(self._offered_a, self.max_current_a)
        enabled = amps >= MIN_OFFERED_A
        return (amps if enabled else 0.0, enabled)

    # -- ConnectorHardware ---------------------------------------------------------------------

    def pilot_state(self) -> PilotState:
        if self.fault is not None:
            return PilotState.E if self._state.pilot is PilotState.E else _FAULT_PILOT
        return self._state.pilot

    def set_offered_current(self, amps: float) -> None:
        if amps != amps or amps < 0:  # NaN or negative: a bug upstream; offer nothing
            amps = 0.0
        self._offered_a = min(float(amps), self.max_current_a)
        if self._offered_a < MIN_OFFERED_A:
            self._offered_a = 0.0

    def offered_current(self) -> float:
        return 0.0 if self.fault is not None else self._offered_a

    def set_contactor(self, closed: bool) -> None:
        # The boards close their relay themselves while a current is offered and the car asks
        # (state C); opening is done by offering nothing, which `_desired` sends.
        self._contactor = bool(closed)

    def contactor_closed(self) -> bool:
        return self.fault is None and self._state.contactor_closed

    def unlock(self) -> bool:
        # Neither board drives a cable lock here (a tethered cable, or a socket without a lock
        # actuator): there is nothing that could fail to open.
        return True

    def error_code(self) -> str:
        return self.fault.code if self.fault is not None else NO_ERROR
