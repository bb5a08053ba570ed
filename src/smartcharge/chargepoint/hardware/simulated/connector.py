"""One simulated connector: control pilot, contactor, cable lock, fault and meter.

The pilot state is derived, never stored: A with no EV; B when an EV is plugged but not asking
for energy (paused or full) or when less than 6 A is offered; C when it asks and at least 6 A is
offered; E (EVCommunicationError) or F (any other fault) while a fault is injected. During a fault
the EV draws nothing whatever the contactor does.

Every change first brings the meter up to the present instant (`meter.advance()`), so the energy
drawn before the change is integrated under the conditions that held before it.
"""

from __future__ import annotations

import math

from ocpp.v16.enums import ChargePointErrorCode

from smartcharge.chargepoint.hardware.ports import Meter, PilotState
from smartcharge.chargepoint.hardware.simulated.meter import SimulatedMeter
from smartcharge.clock import Clock
from smartcharge.sim.ev import MIN_CURRENT_A, NOMINAL_VOLTAGE_V, SimulatedEV

NO_ERROR = ChargePointErrorCode.no_error.value
FAULT_CODES: frozenset[str] = frozenset(c.value for c in ChargePointErrorCode) - {NO_ERROR}
_PILOT_E_FAULTS = frozenset({ChargePointErrorCode.ev_communication_error.value})


class SimulatedConnector:
    """Implements `ConnectorHardware`."""

    connector_id: int
    meter: Meter

    def __init__(
        self,
        connector_id: int,
        clock: Clock,
        *,
        max_current_a: float = 32.0,
        phases: int = 3,
        voltage_v: float = NOMINAL_VOLTAGE_V,
        meter_error_fraction: float = 0.0,
    ) -> None:
        if phases not in (1, 3):
            raise ValueError(f"phases must be 1 or 3, got {phases!r}")
        if not math.isfinite(max_current_a) or max_current_a < MIN_CURRENT_A:
            raise ValueError(f"max_current_a must be at least {MIN_CURRENT_A} A")
        self.connector_id = connector_id
        self.max_current_a = float(max_current_a)
        self.phases = phases
        self.voltage_v = float(voltage_v)
        self._ev: SimulatedEV | None = None
        self._offered_a = 0.0
        self._contactor = False
        self._locked = False
        self._fault = NO_ERROR
        self.simulated_meter = SimulatedMeter(clock, self, meter_error_fraction)
        self.meter = self.simulated_meter

    # -- the Circuit the meter measures ---------------------------------------------------------

    def plugged_ev(self) -> SimulatedEV | None:
        return self._ev

    def available_current_a(self) -> float:
        return 0.0 if self.faulted else self._offered_a

    # -- ConnectorHardware ---------------------------------------------------------------------

    def pilot_state(self) -> PilotState:
        if self._fault != NO_ERROR:
            return PilotState.E if self._fault in _PILOT_E_FAULTS else PilotState.F
        if self._ev is None:
            return PilotState.A
        self.simulated_meter.advance()  # the EV may have filled up since the last look
        if self._ev.wants_energy and self._offered_a >= MIN_CURRENT_A:
            return PilotState.C
        return PilotState.B

    def set_offered_current(self, amps: float) -> None:
        if isinstance(amps, bool) or not isinstance(amps, int | float) or math.isnan(amps):
            raise ValueError(f"offered current must be a number of amps, got {amps!r}")
        if amps < 0:
            raise ValueError(f"offered current must not be negative, got {amps!r}")
        self.simulated_meter.advance()
        amps = min(float(amps), self.max_current_a)
        self._offered_a = amps if amps >= MIN_CURRENT_A else 0.0

    def offered_current(self) -> float:
        return self._offered_a

    def set_contactor(self, closed: bool) -> None:
        self.simulated_meter.advance()
        self._contactor = bool(closed)

    def contactor_closed(self) -> bool:
        return self._contactor

    def unlock(self) -> bool:
        if self._fault == ChargePointErrorCode.connector_lock_failure.value:
            return False
        self._locked = False
        return True

    def error_code(self) -> str:
        return self._fault

    # -- what the simulator's user does ----------------------------------------------------------

    @property
    def ev(self) -> SimulatedEV | None:
        return self._ev

    @property
    def cable_locked(self) -> bool:
        return self._locked

    @property
    def faulted(self) -> bool:
        return self._fault != NO_ERROR

    def plug(self, ev: SimulatedEV) -> None:
        if self._ev is not None:
            raise ValueError(f"connector {self.connector_id} already has an EV plugged in")
        self.simulated_meter.advance()
        self._ev = ev
        self._locked = True

    def unplug(self) -> SimulatedEV:
        if self._ev is None:
            raise ValueError(f"connector {self.connector_id} has no EV plugged in")
        self.simulated_meter.advance()
        ev, self._ev = self._ev, None
        self._locked = False
        return ev

    def set_ev_paused(self, paused: bool) -> None:
        if self._ev is None:
            raise ValueError(f"connector {self.connector_id} has no EV plugged in")
        self.simulated_meter.advance()
        self._ev.paused = bool(paused)

    def inject_fault(self, code: str) -> None:
        if code not in FAULT_CODES:
            raise ValueError(
                f"unknown fault code {code!r}; expected one of {', '.join(sorted(FAULT_CODES))}"
            )
        self.simulated_meter.advance()
        self._fault = code

    def clear_fault(self) -> None:
        self.simulated_meter.advance()
        self._fault = NO_ERROR
