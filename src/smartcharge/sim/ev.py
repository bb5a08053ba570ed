"""A simulated electric vehicle: battery, on-board charger and its taper. Pure physics, no I/O.

The EV follows the IEC 61851-1 rules a real one does: it may only draw when the charge point
offers at least 6 A on the pilot and the contactor is closed, never more than the offered current
per phase, and never more than its on-board charger accepts. Above 80 % state of charge the
acceptance tapers linearly down to a few percent of the maximum just before 100 %; when full or
paused it draws nothing and stops asking for energy (pilot B, which OCPP reports as SuspendedEV).

Time is passed in (`dt_s`), never read, so the same EV runs identically under any clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

NOMINAL_VOLTAGE_V = 230.0
MIN_CURRENT_A = 6.0  # IEC 61851-1: below this the pilot PWM is off and the EV may not draw
TAPER_START_SOC = 80.0
TAPER_END_FRACTION = 0.05  # share of max power still accepted just below 100 %

Currents = tuple[float, float, float]
NO_CURRENT: Currents = (0.0, 0.0, 0.0)


def _positive_finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}")


@dataclass
class SimulatedEV:
    """One EV on one connector.

    `soc` is percent (0..100). `phases` is how many phases the on-board charger uses (1 or 3);
    on a supply with fewer phases it uses what is there. `charged_wh` counts the energy put into
    the battery since the EV was created (what `draw` integrated).
    """

    battery_kwh: float
    soc: float
    max_power_w: float
    phases: int = 3
    voltage_v: float = NOMINAL_VOLTAGE_V
    paused: bool = False
    charged_wh: float = field(default=0.0)

    def __post_init__(self) -> None:
        _positive_finite("battery_kwh", self.battery_kwh)
        _positive_finite("max_power_w", self.max_power_w)
        _positive_finite("voltage_v", self.voltage_v)
        if isinstance(self.soc, bool) or not isinstance(self.soc, int | float):
            raise ValueError(f"soc must be a number, got {self.soc!r}")
        if not 0.0 <= self.soc <= 100.0:
            raise ValueError(f"soc must be between 0 and 100 percent, got {self.soc!r}")
        if self.phases not in (1, 3) or isinstance(self.phases, bool):
            raise ValueError(f"phases must be 1 or 3, got {self.phases!r}")
        self.soc = float(self.soc)

    @property
    def full(self) -> bool:
        return self.soc >= 100.0

    @property
    def wants_energy(self) -> bool:
        """Whether the EV asks for energy (pilot C rather than B when offered current)."""
        return not self.paused and not self.full

    @property
    def battery_wh(self) -> float:
        return self.battery_kwh * 1000.0

    def acceptance_w(self) -> float:
        """The most power the on-board charger takes at the present state of charge."""
        if self.soc <= TAPER_START_SOC:
            return self.max_power_w
        through = (self.soc - TAPER_START_SOC) / (100.0 - TAPER_START_SOC)
        return self.max_power_w * (1.0 - (1.0 - TAPER_END_FRACTION) * min(1.0, through))

    def phases_used(self, supply_phases: int = 3) -> int:
        return min(self.phases, supply_phases)

    def current_a(
        self, offered_current_a: float, contactor_closed: bool, supply_phases: int = 3
    ) -> Currents:
        """Per-phase currents (L1, L2, L3) the EV draws right now under these conditions."""
        if not contactor_closed or offered_current_a < MIN_CURRENT_A or not self.wants_energy:
            return NO_CURRENT
        n = self.phases_used(supply_phases)
        amps = min(offered_current_a, self.acceptance_w() / (self.voltage_v * n))
        return (amps, amps, amps) if n == 3 else (amps, 0.0, 0.0)

    def power_w(self, currents: Currents) -> float:
        return sum(currents) * self.voltage_v

    def draw(
        self,
        offered_current_a: float,
        contactor_closed: bool,
        dt_s: float,
        supply_phases: int = 3,
    ) -> Currents:
        """Charge for `dt_s` seconds and return the per-phase currents drawn over that time.

        The currents are held for the whole step (callers keep steps short, ≤ 1 s, wherever
        the taper makes power change). When the battery fills part-way through, the currents
        are scaled so that returned power * `dt_s` is exactly the energy that went in: energy
        is conserved whatever the step.
        """
        if dt_s < 0 or not math.isfinite(dt_s):
            raise ValueError(f"dt_s must be a finite number of seconds ≥ 0, got {dt_s!r}")
        currents = self.current_a(offered_current_a, contactor_closed, supply_phases)
        power = self.power_w(currents)
        if power <= 0.0 or dt_s == 0.0:
            return currents if dt_s == 0.0 else NO_CURRENT
        energy_wh = power * dt_s / 3600.0
        room_wh = (100.0 - self.soc) / 100.0 * self.battery_wh
        if energy_wh >= room_wh:
            scale = room_wh / energy_wh
            currents = (currents[0] * scale, currents[1] * scale, currents[2] * scale)
            energy_wh = room_wh
            self.soc = 100.0
        else:
            self.soc = min(100.0, self.soc + energy_wh / self.battery_wh * 100.0)
        self.charged_wh += energy_wh
        return currents

    def steady_for_s(
        self, offered_current_a: float, contactor_closed: bool, supply_phases: int = 3
    ) -> float:
        """How long the present draw stays exactly constant if nothing outside changes.

        Infinite while the EV draws nothing; the time left before the taper starts while below
        it; 0 inside the taper. Integrators use it to take one exact long step where power is
        constant instead of thousands of short ones.
        """
        power = self.power_w(self.current_a(offered_current_a, contactor_closed, supply_phases))
        if power <= 0.0:
            return math.inf
        if self.soc >= TAPER_START_SOC:
            return 0.0
        return (TAPER_START_SOC - self.soc) / 100.0 * self.battery_wh / power * 3600.0
