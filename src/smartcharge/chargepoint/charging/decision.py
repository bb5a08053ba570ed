"""One limit decision for every connector: "connector n may draw X A now, because Y".

A pure function of the inputs at one instant (DESIGN principle 1). The precedence, each step able
only to lower what the step before allowed:

1. the hardware and installation limit (R8: nothing anyone asks can exceed it);
2. the default charging hours (R14, R17), unless the owner said "charge now" for this session
   (R18) or removed the defaults (R15, R16);
2a. the owner's own schedule (`user_schedule`): it can only narrow the default hours, and "charge
   now" overrides it too;
3. the central system's charging profile for the connector (TxProfile / TxDefaultProfile), whose
   cause is `csms_profile` or, when the central system marked it so, `tariff` or
   `user_schedule` (the owner's departure plan, sent as a profile);
4. a DSR event in force that the owner has not opted out of (R4, R19);
5. the charge point's total (ChargePointMaxProfile) and the site supply limit, shared between the
   charging connectors (load balancing).

Whether the change that results is delayed is settled afterwards, per connector, by
`delayed_rate.py` (R24-R26); `caps.py` keeps R8 while a delay holds an old rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from smartcharge.chargepoint.smart_charging.sharing import MIN_CHARGING_A, share
from smartcharge.regulations import Cause, WeeklySchedule, allowed, next_change
from smartcharge.regulations.calendar import UK_TZ
from smartcharge.regulations.random_delay import DsrKind


@dataclass(frozen=True, slots=True)
class ProfileFlags:
    """What the central system told us about a profile through the UK extension."""

    cause: Cause = Cause.CSMS_PROFILE
    already_randomised: bool = False


@dataclass(frozen=True, slots=True)
class DsrEvent:
    event_id: str
    kind: DsrKind
    limit_a: float
    start: datetime
    end: datetime
    already_randomised: bool = False

    def active(self, when: datetime) -> bool:
        return self.start <= when < self.end


class OwnerSchedule(Protocol):
    """The owner's plan as the decision needs it: windows, and a limit inside them."""

    @property
    def windows(self) -> WeeklySchedule: ...

    @property
    def limit_a(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class ConnectorInput:
    charging: bool  # a transaction runs and nothing forbids energy
    hardware_max_a: float
    profile_limit_a: float | None = None
    profile_flags: ProfileFlags = ProfileFlags()
    charge_now: bool = False  # the owner overrode the default hours for this session (R18)
    override_cause: Cause = Cause.OWNER_OVERRIDE  # or END_USER_OVERRIDE: who said charge now
    dsr_opted_out: frozenset[str] = frozenset()  # DSR events the owner opted out of (R19)


@dataclass(frozen=True, slots=True)
class Decision:
    limit_a: float
    cause: Cause
    reason: str
    already_randomised: bool = False
    dsr_kind: DsrKind | None = None


IDLE = Decision(0.0, Cause.PLUG_IN, "no session")


# The last span found per schedule: (from, to, allowed). `allowed` cannot flip inside
# [from, to) and `next_change` is `to` there (to None: never flips), so a tick inside a known
# span needs no calendar arithmetic, which was most of a station tick's time. A few entries:
# a schedule changes only when the owner or the delay maximum does.
_SPANS: dict[WeeklySchedule, tuple[datetime, datetime | None, bool]] = {}
_SPANS_KEPT = 64


def schedule_span(schedule: WeeklySchedule, now: datetime) -> tuple[bool, datetime | None]:
    """(`allowed(schedule, now)`, `next_change(schedule, now)`), remembered for the span."""
    known = _SPANS.get(schedule)
    if known is not None:
        since, until, ok = known
        if since <= now and (until is None or now < until):
            return ok, until
    ok, until = allowed(schedule, now), next_change(schedule, now)
    if len(_SPANS) >= _SPANS_KEPT:
        _SPANS.clear()
    _SPANS[schedule] = (now, until, ok)
    return ok, until


def _local(when: datetime) -> str:
    return when.astimezone(UK_TZ).strftime("%a %H:%M")


def decide(
    now: datetime,
    connectors: Mapping[int, ConnectorInput],
    *,
    default_hours: WeeklySchedule | None,
    user_schedule: OwnerSchedule | None = None,
    dsr_events: tuple[DsrEvent, ...] = (),
    charge_point_cap_a: float | None = None,
    site_limit_a: float | None = None,
    clock_trusted: bool = True,
) -> dict[int, Decision]:
    """The decision for every connector at `now` (UTC-aware). While the charger cannot trust its
    clock (clock_trust.py) the default hours and the owner's schedule wait: only "charge now"
    (or default hours the owner removed) lets energy flow, never a guess at peak hours."""
    out: dict[int, Decision] = {}
    timed = default_hours is not None or user_schedule is not None
    for n, c in connectors.items():
        d = IDLE
        if c.charging and timed and not clock_trusted:
            d = _untrusted_clock(now, c, dsr_events)
        elif c.charging:
            d = _one(now, c, default_hours, user_schedule, dsr_events)
        if 0 < d.limit_a < MIN_CHARGING_A:
            # Below 6 A the pilot cannot offer energy at all (IEC 61851-1): say 0, same cause.
            d = replace(d, limit_a=0.0)
        out[n] = d
    caps = [cap for cap in (charge_point_cap_a, site_limit_a) if cap is not None]
    if caps:
        cap = min(caps)
        demands = {n: d.limit_a for n, d in out.items() if connectors[n].charging}
        shared = share(cap, demands)
        for n, amps in shared.items():
            if amps < out[n].limit_a - 0.05:
                out[n] = Decision(
                    amps,
                    Cause.LOAD_BALANCING,
                    f"sharing {cap:g} A between the charging connectors",
                )
            elif amps < out[n].limit_a:
                # Trimmed by less than 0.05 A: the cause stands, but R8 holds to the last bit.
                out[n] = replace(out[n], limit_a=amps)
    return out


def _override(c: ConnectorInput) -> Decision:
    # The owner's "charge now" is what lets energy flow: an override, so no delay (R26).
    who = "owner" if c.override_cause is Cause.OWNER_OVERRIDE else "user"
    return Decision(c.hardware_max_a, c.override_cause, f"charging now: {who} override")


def _untrusted_clock(
    now: datetime, c: ConnectorInput, dsr_events: tuple[DsrEvent, ...]
) -> Decision:
    """No trusted time (clock_trust.py): energy only on the owner's word, the central system's
    limits and DSR still applying."""
    if not c.charge_now:
        return Decision(0.0, Cause.DEFAULT_HOURS, "waiting for the clock to be set")
    d = _one(now, c, None, None, dsr_events)
    return _override(c) if d.cause is Cause.PLUG_IN else d


def _one(
    now: datetime,
    c: ConnectorInput,
    default_hours: WeeklySchedule | None,
    user_schedule: OwnerSchedule | None,
    dsr_events: tuple[DsrEvent, ...],
) -> Decision:
    d = Decision(c.hardware_max_a, Cause.PLUG_IN, f"charging at the {c.hardware_max_a:g} A limit")
    in_hours, until = (True, None)
    if default_hours is not None:
        in_hours, until = schedule_span(default_hours, now)
    if default_hours is not None and not in_hours:
        if c.charge_now:
            d = _override(c)
        else:
            when = f": charging starts at {_local(until)}" if until else ""
            d = Decision(0.0, Cause.DEFAULT_HOURS, f"waiting for the default charging hours{when}")
    elif default_hours is not None:
        d = Decision(
            c.hardware_max_a, Cause.DEFAULT_HOURS, "charging in the default charging hours"
        )
    if user_schedule is not None and not c.charge_now and d.limit_a > 0:
        in_windows, until = schedule_span(user_schedule.windows, now)
        if not in_windows:
            when = f": charging starts at {_local(until)}" if until else ""
            d = Decision(0.0, Cause.USER_SCHEDULE, f"waiting for your schedule{when}")
        elif user_schedule.limit_a is not None and user_schedule.limit_a < d.limit_a:
            d = Decision(
                user_schedule.limit_a,
                Cause.USER_SCHEDULE,
                f"limited to {user_schedule.limit_a:g} A by your schedule",
            )
    if c.profile_limit_a is not None and c.profile_limit_a < d.limit_a:
        d = Decision(
            max(0.0, c.profile_limit_a),
            c.profile_flags.cause,
            f"limited to {c.profile_limit_a:g} A by the central system's schedule",
            already_randomised=c.profile_flags.already_randomised,
        )
    for ev in dsr_events:
        if ev.active(now) and ev.event_id not in c.dsr_opted_out and ev.limit_a < d.limit_a:
            d = Decision(
                max(0.0, ev.limit_a),
                Cause.DSR,
                f"reduced by a grid event until {_local(ev.end)}",
                already_randomised=ev.already_randomised,
                dsr_kind=ev.kind,
            )
    return d
