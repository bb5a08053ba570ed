"""A simulated energy meter that integrates the EV's true power over the injected clock, lazily.

There is no background loop: every read (and every change to the circuit, which calls `advance`
first) brings the physics up to `clock.monotonic()` in steps of at most one second, or in one exact
step wherever the EV's power is provably constant. So a `SimulatedClock` at speed 60 or a
`ManualClock` advanced by an hour integrates exactly as real time would.

The meter keeps two registers: the true energy and the metered energy. The metered one integrates
true power * (1 + `error_fraction`), so a meter set to 0.05 reads 5 % high on power, current and
energy, which is what the compliance suite's accuracy check must catch. Changing the error only
affects energy measured from then on; the metered register never jumps or runs backwards.
"""

from __future__ import annotations

import math
from typing import Protocol

from smartcharge.chargepoint.hardware.ports import MeterReading
from smartcharge.clock import Clock
from smartcharge.sim.ev import NO_CURRENT, Currents, SimulatedEV


class Circuit(Protocol):
    """What the meter measures: the supply behind one connector and the EV plugged into it."""

    phases: int
    voltage_v: float

    def plugged_ev(self) -> SimulatedEV | None: ...

    def available_current_a(self) -> float:
        """The current the EV may draw per phase now (0 when the PWM is off or in a fault)."""
        ...

    def contactor_closed(self) -> bool: ...


def _scaled(currents: Currents, factor: float) -> Currents:
    return (currents[0] * factor, currents[1] * factor, currents[2] * factor)


def _check_error_fraction(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"error_fraction must be a number, got {value!r}")
    if not math.isfinite(value) or not -1.0 < value < 10.0:
        raise ValueError(f"error_fraction must be finite and greater than -1, got {value!r}")
    return float(value)


class SimulatedMeter:
    """Implements `Meter` for one connector of the simulator."""

    MAX_STEP_S = 1.0

    def __init__(
        self,
        clock: Clock,
        circuit: Circuit,
        error_fraction: float = 0.0,
        start_energy_wh: float = 0.0,
    ) -> None:
        self._clock = clock
        self._circuit = circuit
        self._error = _check_error_fraction(error_fraction)
        self._t = clock.monotonic()
        self._true_wh = float(start_energy_wh)
        self._metered_wh = float(start_energy_wh)

    # -- the error knob ------------------------------------------------------------------------

    @property
    def error_fraction(self) -> float:
        """How far the meter reads high (0.05 = 5 % high; negative reads low)."""
        return self._error

    @error_fraction.setter
    def error_fraction(self, value: float) -> None:
        value = _check_error_fraction(value)
        self.advance()  # energy so far was measured with the old error
        self._error = value

    def restore_register(self, energy_wh: float) -> None:
        """Carry the register over a restart of the simulator (a real meter keeps it in its own
        memory): it moves forward to `energy_wh`, never back. The true register moves with it."""
        if isinstance(energy_wh, bool) or not isinstance(energy_wh, int | float):
            raise ValueError(f"energy_wh must be a number, got {energy_wh!r}")
        if not math.isfinite(energy_wh) or energy_wh < 0:
            raise ValueError(f"energy_wh must be a finite number ≥ 0, got {energy_wh!r}")
        self.advance()
        ahead = float(energy_wh) - self._metered_wh
        if ahead > 0:
            self._metered_wh += ahead
            self._true_wh += ahead

    # -- integration ---------------------------------------------------------------------------

    def advance(self) -> None:
        """Bring the physics and both registers up to the clock's present instant."""
        now = self._clock.monotonic()
        remaining = now - self._t
        if remaining <= 0:
            return
        circuit = self._circuit
        ev = circuit.plugged_ev()
        if ev is not None:
            offered = circuit.available_current_a()
            closed = circuit.contactor_closed()
            while remaining > 0:
                steady = ev.steady_for_s(offered, closed, circuit.phases)
                if math.isinf(steady):
                    break  # draws nothing until something outside changes
                step = min(remaining, max(self.MAX_STEP_S, steady))
                currents = ev.draw(offered, closed, step, circuit.phases)
                energy_wh = ev.power_w(currents) * step / 3600.0
                self._true_wh += energy_wh
                self._metered_wh += energy_wh * (1.0 + self._error)
                remaining -= step
        self._t = now

    # -- readings ------------------------------------------------------------------------------

    def _true_currents(self) -> Currents:
        ev = self._circuit.plugged_ev()
        if ev is None:
            return NO_CURRENT
        return ev.current_a(
            self._circuit.available_current_a(),
            self._circuit.contactor_closed(),
            self._circuit.phases,
        )

    def _voltages(self) -> tuple[float, float, float]:
        v = self._circuit.voltage_v
        return (v, v, v) if self._circuit.phases == 3 else (v, 0.0, 0.0)

    def _soc(self) -> float | None:
        ev = self._circuit.plugged_ev()
        return None if ev is None else ev.soc

    def _power(self, currents: Currents) -> float:
        ev = self._circuit.plugged_ev()
        return 0.0 if ev is None else ev.power_w(currents)

    def read(self) -> MeterReading:
        """What the meter says: true values scaled by (1 + error_fraction)."""
        self.advance()
        factor = 1.0 + self._error
        currents = self._true_currents()
        return MeterReading(
            energy_import_wh=self._metered_wh,
            energy_export_wh=0.0,
            power_w=self._power(currents) * factor,
            current_a=_scaled(currents, factor),
            voltage_v=self._voltages(),
            soc_percent=self._soc(),
        )

    def true_reading(self) -> MeterReading:
        """What is really flowing (for `/state` and accuracy checks)."""
        self.advance()
        currents = self._true_currents()
        return MeterReading(
            energy_import_wh=self._true_wh,
            energy_export_wh=0.0,
            power_w=self._power(currents),
            current_a=currents,
            voltage_v=self._voltages(),
            soc_percent=self._soc(),
        )

    @property
    def true_energy_wh(self) -> float:
        self.advance()
        return self._true_wh
