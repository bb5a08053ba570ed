"""The randomised delay as it runs on one connector (R21-R26).

`regulations.random_delay.delay_for` says whether a change is a relevant time; this holds the
previous rate while the delay runs (R24), retargets a running delay without a new draw when
another change arrives (our decision), lets an undelayed change (response DSR, an override, an
already-randomised profile) through at once, and lets the owner skip it (R25). Time is the
station's monotonic clock (DESIGN principle 4).

One safety exception (R8 over R24): a *decrease* forced by the site supply limit or the charge
point's total (load balancing) is applied at once, because holding the higher rate could exceed
the installation's supply; so is any decrease to below what the hardware allows.

One rule exception (R17 over R24): the stop at the end of the default hours is delayed like any
change, and each window ends early by the delay maximum so that the delayed stop lands before
peak hours (R14). A maximum raised late in a window (after its end was brought forward) could
still carry the held rate into peak: once peak hours begin, that stop applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from smartcharge.chargepoint.charging.decision import Decision
from smartcharge.regulations import Cause, RandomDelay, RateChange, delay_for


@dataclass
class DelayedRate:
    applied: Decision
    pending: Decision | None = None
    deadline: float | None = None  # monotonic seconds
    drawn_s: int = 0

    def remaining_s(self, mono: float) -> float:
        if self.deadline is None:
            return 0.0
        # Never more than was drawn (deadline - mono can exceed it by a float rounding).
        return max(0.0, min(float(self.drawn_s), self.deadline - mono))

    def step(
        self,
        target: Decision,
        mono: float,
        delay: RandomDelay,
        *,
        skip: bool = False,
        hardware_max_a: float | None = None,
        peak: bool = False,
    ) -> bool:
        """Move towards `target`; True when the applied rate changed. `peak`: it is peak hours
        now (R13), so a default-hours stop is held no longer (see the module)."""
        current = self.applied
        if abs(target.limit_a - current.limit_a) < 0.1:
            # Back where we are: nothing to wait for (a change below 0.1 A is noise, R24).
            self.pending, self.deadline = None, None
            if target.cause != current.cause:
                # The reason changed, the rate did not: keep the rate, show the new reason.
                self.applied = replace(target, limit_a=current.limit_a)
            return False
        if not self._delayed(target, skip, hardware_max_a, peak):
            return self._apply(target)
        if self.deadline is None:
            self.drawn_s = delay.draw()
            self.deadline = mono + self.drawn_s
        self.pending = target  # a running delay is retargeted, not drawn again
        if mono >= self.deadline:
            return self._apply(target)
        return False

    def holds(
        self,
        target: Decision,
        mono: float,
        *,
        skip: bool = False,
        hardware_max_a: float | None = None,
        peak: bool = False,
    ) -> bool:
        """Whether `step(target, mono, ...)` would keep the current rate for now (a delay runs or
        would start): what the connector still draws this tick (R8 sharing, caps.py)."""
        if abs(target.limit_a - self.applied.limit_a) < 0.1:
            return False
        if not self._delayed(target, skip, hardware_max_a, peak):
            return False
        return self.deadline is None or mono < self.deadline

    def _delayed(
        self, target: Decision, skip: bool, hardware_max_a: float | None, peak: bool
    ) -> bool:
        """A change to `target` waits for the random delay (R24), unless it is exempt (R26), a
        safety decrease (R8 over R24) or a default-hours stop in peak hours (R17 over R24)."""
        current = self.applied
        change = RateChange(
            old_a=current.limit_a,
            new_a=target.limit_a,
            cause=target.cause,
            already_randomised=target.already_randomised,
            dsr_kind=target.dsr_kind if target.cause is Cause.DSR else None,
            delay_overridden=skip,
        )
        safety = target.limit_a < current.limit_a and (
            target.cause is Cause.LOAD_BALANCING
            or (hardware_max_a is not None and current.limit_a > hardware_max_a)
        )
        peak_stop = (
            peak and target.limit_a < current.limit_a and target.cause is Cause.DEFAULT_HOURS
        )
        return not safety and not peak_stop and delay_for(change).applies

    def skip(self) -> None:
        """The owner skips the delay running now (R25): the next step applies the target."""
        if self.deadline is not None:
            self.deadline = float("-inf")

    def _apply(self, target: Decision) -> bool:
        self.applied, self.pending, self.deadline = target, None, None
        return True
