"""A connector's OCPP status, as a pure function of what the hardware and the software know.

The IEC 61851 control pilot says what the vehicle is doing (A: none, B: connected, C/D: asking
for energy, E/F: fault); the software knows whether a transaction runs, whether a driver was
authorised before plugging in, reservations and availability. OCPP 1.6 (section 4.9) maps these
onto nine statuses; keeping the mapping pure makes every transition testable without hardware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartcharge.chargepoint.charging import ConnectorController
from smartcharge.chargepoint.hardware.ports import ConnectorHardware, PilotState

if TYPE_CHECKING:
    from smartcharge.chargepoint.authorization import IdTagInfo

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


@dataclass
class Connector:
    """One connector as the station keeps it: its hardware, session, status and rate."""

    id: int
    hw: ConnectorHardware
    operative: bool = True
    scheduled_operative: bool | None = None  # ChangeAvailability answered Scheduled
    tx_local_id: int | None = None
    tx_id_tag: str | None = None
    tx_info: IdTagInfo | None = None
    tx_started_mono: float = 0.0
    tx_started_at: datetime | None = None
    tx_begin_values: list[dict[str, Any]] = field(default_factory=list)
    next_sample_mono: float = 0.0
    authorized: tuple[str, IdTagInfo, float] | None = None  # id tag, info, deadline (monotonic)
    finishing: bool = False
    reported: str | None = None  # last status sent to the central system
    candidate: tuple[str, float] | None = None  # status waiting out MinimumStatusDuration
    status: str = "Available"
    limit_a: float = 0.0
    control: ConnectorController = field(default_factory=ConnectorController)
    pending_profile: dict[str, Any] | None = None  # a RemoteStart's TxProfile, for its session
