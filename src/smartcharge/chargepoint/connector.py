"""A connector's OCPP status, as a pure function of what the hardware and the software know.

The IEC 61851 control pilot says what the vehicle is doing (A: none, B: connected, C/D: asking
for energy, E/F: fault); the software knows whether a transaction runs, whether a driver was
authorised before plugging in, reservations and availability. OCPP 1.6 (section 4.9) maps these
onto nine statuses; keeping the mapping pure makes every transition testable without hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.chargepoint.hardware.ports import PilotState

# Below this offered current the pilot PWM is off and the EV may not draw (IEC 61851-1).
MIN_OFFERED_A = 6.0


@dataclass(frozen=True, slots=True)
class ConnectorFacts:
    pilot: PilotState
    error_code: str = "NoError"
    operative: bool = True
    transaction: bool = False
    authorized_waiting: bool = False  # a driver is authorised, the cable is not plugged yet
    reserved: bool = False
    offered_a: float = 0.0
    finishing: bool = False  # the transaction ended; the cable is still plugged


def ocpp_status(f: ConnectorFacts) -> str:
    if f.error_code != "NoError" or f.pilot in (PilotState.E, PilotState.F):
        return "Faulted"
    if f.transaction:
        if f.pilot in (PilotState.C, PilotState.D):
            return "Charging" if f.offered_a >= MIN_OFFERED_A else "SuspendedEVSE"
        if f.pilot is PilotState.B:
            # The EV is connected but not asking: it is the EV's choice only if we offer energy.
            return "SuspendedEV" if f.offered_a >= MIN_OFFERED_A else "SuspendedEVSE"
        return "Finishing"  # unplugged with a transaction still open: it is being stopped
    if not f.operative:
        return "Unavailable"
    if f.pilot is PilotState.A:
        if f.authorized_waiting:
            return "Preparing"
        return "Reserved" if f.reserved else "Available"
    # A vehicle is connected and no transaction runs.
    return "Finishing" if f.finishing else "Preparing"


def chargepoint_status(operative: bool, faulted: bool) -> str:
    """Status of connector 0, the charge point as a whole (Available, Unavailable or Faulted)."""
    if faulted:
        return "Faulted"
    return "Available" if operative else "Unavailable"
