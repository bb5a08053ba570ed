"""A controller per connector: its session's profiles and the owner's controls in, a rate with
its cause out, through the connector's random delay.

Once a tick the station gathers, as plain values, what each connector's session is
(`session_facts`: the central system's profiles in force, "charge now", "no delay") and what
the owner and the grid say for all of them (`OwnerRules`); `targets` turns that into each
connector's decision (`decide`, then `within_caps` for connectors a delay holds), and each
connector's `ConnectorController.step` moves its offered rate towards it (`DelayedRate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from smartcharge.chargepoint.charging.caps import tightest, within_caps
from smartcharge.chargepoint.charging.decision import (
    IDLE,
    ConnectorInput,
    Decision,
    DsrEvent,
    OwnerSchedule,
    ProfileFlags,
    decide,
)
from smartcharge.chargepoint.charging.delayed_rate import DelayedRate
from smartcharge.chargepoint.smart_charging.composite import limit_at
from smartcharge.chargepoint.smart_charging.installed import InstalledProfile
from smartcharge.regulations import Cause, RandomDelay, WeeklySchedule, is_peak

# Causes that only say "energy may flow": after a power cut their first step is power_restore.
_RESTORABLE = frozenset({Cause.PLUG_IN, Cause.DEFAULT_HOURS})
# The most specific profile wins the flags: a TxProfile before a TxDefaultProfile, and a
# ChargePointMaxProfile's when nothing more specific is installed (a central system balancing
# a site caps each charger that way, flagged load_balancing: its cuts must not wait, R8).
_RANK = {"TxProfile": 2, "TxDefaultProfile": 1, "ChargePointMaxProfile": 0}
NO_FLAGS = ProfileFlags()  # a profile the UK extension said nothing about


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """One connector's session at one instant."""

    in_session: bool = False  # a transaction runs on the connector
    charging: bool = False  # ... and nothing (a fault, a tamper alarm) forbids energy
    profile_limit_a: float | None = None  # the central system's schedule for it now
    profile_flags: ProfileFlags = NO_FLAGS
    charge_now: Cause | None = None  # who said "charge now" for this session (R18), if anyone
    skip_delay: bool = False  # the owner skipped the delay for the whole session (R25)


@dataclass(frozen=True, slots=True)
class OwnerRules:
    """What the owner and the grid say for every connector at one instant."""

    default_hours: WeeklySchedule | None
    user_schedule: OwnerSchedule | None = None
    dsr_events: tuple[DsrEvent, ...] = ()
    dsr_opted_out: frozenset[str] = frozenset()
    # Whether the charger's clock can be trusted (clock_trust.py): without it the timed rules
    # (default hours, the owner's schedule) hold energy back rather than guess the time.
    clock_trusted: bool = True


@dataclass(frozen=True, slots=True)
class Supply:
    """The limits no decision may exceed (R8)."""

    hardware_max_a: float
    charge_point_cap_a: float | None = None  # ChargePointMaxProfile now
    site_limit_a: float | None = None


def profile_flags_id(profiles: Iterable[InstalledProfile], connector_id: int) -> int | None:
    """The id of the profile whose UK-extension flags (cause, already randomised) describe a
    change on `connector_id`: a TxProfile before a TxDefaultProfile before a
    ChargePointMaxProfile, the connector's own before connector 0's, then the highest stack
    level."""
    best = max(
        (
            (_RANK[e.profile.purpose], e.connector_id == connector_id, e.profile.stack_level, e)
            for e in profiles
            if e.connector_id in (0, connector_id) and e.profile.purpose in _RANK
        ),
        default=None,
        key=lambda t: t[:3],
    )
    return None if best is None else best[3].profile.id


def session_facts(
    profiles: Iterable[InstalledProfile],
    connector_id: int,
    now: datetime,
    *,
    charging: bool,
    started_at: datetime | None,
    transaction_id: int | None,
    phases: int,
    flags_of: Callable[[int], ProfileFlags],
    charge_now: Cause | None,
    skip_delay: bool,
) -> SessionFacts:
    """The facts of a running session (`charging`: nothing forbids energy)."""
    if not charging:
        return SessionFacts(in_session=True, skip_delay=skip_delay)
    profiles = list(profiles)
    flags_id = profile_flags_id(profiles, connector_id)
    return SessionFacts(
        in_session=True,
        charging=True,
        profile_limit_a=limit_at(
            profiles, connector_id, now, started_at, transaction_id, phases=phases
        ),
        profile_flags=NO_FLAGS if flags_id is None else flags_of(flags_id),
        charge_now=charge_now,
        skip_delay=skip_delay,
    )


class ConnectorController:
    """One connector's offered rate and why, moved towards each tick's decision."""

    def __init__(self) -> None:
        self.rate = DelayedRate(IDLE)
        self.restoring = False  # resumed after a power cut: its first energy is power_restore

    @property
    def applied(self) -> Decision:
        return self.rate.applied

    def session_started(self) -> None:
        # Plug-in with charging allowed is a relevant time (R24): from 0 A, through the delay.
        self.rate = DelayedRate(Decision(0.0, Cause.PLUG_IN, "session starting"))

    def idle(self) -> None:
        self.rate = DelayedRate(IDLE)

    def held_a(
        self,
        decision: Decision,
        mono: float,
        facts: SessionFacts,
        hardware_max_a: float,
        peak: bool = False,
    ) -> float | None:
        """The amps this connector still draws while a delay holds a decrease, else None."""
        if not facts.in_session or decision.limit_a >= self.rate.applied.limit_a:
            return None
        if not self.rate.holds(
            decision, mono, skip=facts.skip_delay, hardware_max_a=hardware_max_a, peak=peak
        ):
            return None
        return min(self.rate.applied.limit_a, hardware_max_a)

    def step(
        self,
        decision: Decision,
        mono: float,
        delay: RandomDelay,
        *,
        skip: bool,
        hardware_max_a: float,
        peak: bool = False,
    ) -> tuple[bool, bool]:
        """Move towards `decision`: (the applied rate changed, a random delay started now).
        `peak`: it is peak hours now (DelayedRate: R17 over R24)."""
        if self.restoring:
            decision = self._restored(decision)
        was_waiting = self.rate.deadline is not None
        changed = self.rate.step(
            decision, mono, delay, skip=skip, hardware_max_a=hardware_max_a, peak=peak
        )
        return changed, self.rate.deadline is not None and not was_waiting

    def _restored(self, decision: Decision) -> Decision:
        """The first energy after a power cut is a power_restore relevant time (R24); if the car
        must wait for something else first (default hours, a schedule), that is the cause."""
        if decision.limit_a <= 0 or decision.cause not in _RESTORABLE:
            self.restoring = False
            return decision
        if self.rate.applied.limit_a > 0:
            self.restoring = False
        return replace(
            decision, cause=Cause.POWER_RESTORE, reason=f"power restored: {decision.reason}"
        )


def in_peak(now: datetime, owner: OwnerRules) -> bool:
    """Peak hours now (R13), as far as the charger's clock can tell: an untrusted clock already
    holds the timed rules back (OwnerRules.clock_trusted)."""
    return owner.clock_trusted and is_peak(now)


def targets(
    now: datetime,
    mono: float,
    sessions: Mapping[int, SessionFacts],
    controllers: Mapping[int, ConnectorController],
    owner: OwnerRules,
    supply: Supply,
) -> dict[int, Decision]:
    """Every connector's decision now: `decide`, then the caps kept while delays hold rates."""
    inputs = {
        n: ConnectorInput(
            charging=f.charging,
            hardware_max_a=supply.hardware_max_a,
            profile_limit_a=f.profile_limit_a,
            profile_flags=f.profile_flags,
            charge_now=f.charge_now is not None,
            override_cause=f.charge_now or Cause.OWNER_OVERRIDE,
            dsr_opted_out=owner.dsr_opted_out,
        )
        for n, f in sessions.items()
    }
    decisions = decide(
        now,
        inputs,
        default_hours=owner.default_hours,
        user_schedule=owner.user_schedule,
        dsr_events=owner.dsr_events,
        charge_point_cap_a=supply.charge_point_cap_a,
        site_limit_a=supply.site_limit_a,
        clock_trusted=owner.clock_trusted,
    )
    peak = in_peak(now, owner)
    held = {
        n: amps
        for n, c in controllers.items()
        if (amps := c.held_a(decisions[n], mono, sessions[n], supply.hardware_max_a, peak))
        is not None
    }
    cap = tightest(supply.site_limit_a, supply.charge_point_cap_a)
    return within_caps(decisions, held, cap)
