"""The departure planner: "40 kWh by 07:00" turned into the cheapest charging slots that still meet
the deadline when every start is delayed by the full random-delay maximum. Pure: no clock, no I/O.

The problem, in whole minutes (a planned slot is only ever shortened by the rounding):

- the time from `start` (now, or plug-in) to `departure` is cut into segments at every price
  slot boundary (half-hours) and every edge of the allowed hours; only allowed segments can be
  chosen (R17: the default charging hours, unless the owner overrides them: `allowed=None`);
- a run of chosen segments that follow one another is one charging run; its start is a
  relevant time (R24), so the charger may hold it at 0 for up to `delay_max_s` (cause
  `user_schedule`, REGULATIONS.md "departure plans"). Stops only add energy and the plan only
  ever switches between full power and none, so the guaranteed energy of a run is its length
  minus the full delay, and the plan meets the deadline when the runs together guarantee the
  energy asked for;
- among the plans that meet it, the cheapest (the price of each chosen minute at full power),
  then the latest (the owner's car sits full for the shortest time). When none meets it, the
  plan that guarantees the most energy, cheapest among those, with the reason it falls short.

An exact dynamic programme over the segments in time order; the state is the energy guaranteed
so far (in minutes at full power, capped at what is needed) and how much of the current run's
delay is still unabsorbed. tests/platform/test_planner.py checks it against brute force.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SLOT = timedelta(minutes=30)
MAX_HORIZON = timedelta(days=8)
MAX_UNITS = 1500
"""The programme counts energy in units of whole minutes at full power; above this many units
needed, a unit is several minutes (each segment's usable length rounded down, the need up),
so a plan stays quick to make however big the battery and slow the charger."""

Interval = tuple[datetime, datetime]


class PlanError(ValueError):
    """A departure that cannot be planned at all (in the past, too far ahead, no power)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of allowed time at one price: `minutes` usable, from `start` (UTC)."""

    start: datetime
    minutes: int
    price_p: float  # pence per kWh

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True, slots=True)
class ChargePlan:
    """What the planner chose and what it promises."""

    start: datetime
    departure: datetime
    energy_kwh: float  # asked for
    power_kw: float
    delay_max_s: int
    runs: tuple[Interval, ...]  # merged charging runs, UTC, in time order
    guaranteed_kwh: float  # even when every run starts the full delay late
    cost_p: float  # the needed energy, charged from the start of each run in time order
    finish: datetime | None  # when the energy is in with no delay (None: never)
    latest_finish: datetime | None  # ... with the full delay at every start
    shortfall: str | None  # why the deadline cannot be met; None when it can

    @property
    def meets_deadline(self) -> bool:
        return self.shortfall is None


def segments(
    start: datetime,
    departure: datetime,
    allowed: Sequence[Interval] | None,
    price_at: Callable[[datetime], float],
) -> list[Segment]:
    """The allowed stretches of [start, departure) cut at every half-hour, each with its price
    (`price_at` is asked at each stretch's start), rounded inwards to whole minutes."""
    lo, hi = _utc(start), _utc(departure)
    spans = [(lo, hi)] if allowed is None else _clip(allowed, lo, hi)
    out = []
    for s, e in spans:
        at = _ceil_minute(s)
        while at < e:
            boundary = _floor_slot(at) + SLOT
            end = min(e, boundary)
            minutes = int((end - at).total_seconds() // 60)
            if minutes > 0:
                out.append(Segment(at, minutes, float(price_at(at))))
            at = boundary
    return out


def plan(
    *,
    start: datetime,
    departure: datetime,
    energy_kwh: float,
    power_kw: float,
    delay_max_s: int,
    allowed: Sequence[Interval] | None,
    price_at: Callable[[datetime], float],
    charging_now: bool = False,
) -> ChargePlan:
    """Plan `energy_kwh` at `power_kw` from `start` to `departure` (aware datetimes).

    `allowed`: the UTC intervals charging is allowed in (the default hours from
    `regulations.intervals`), or None when the owner overrides them or removed them.
    `charging_now`: the car draws full power at `start` already, so a run starting there is
    no new start and has no delay to allow for."""
    lo, hi = _utc(start), _utc(departure)
    if not math.isfinite(energy_kwh) or energy_kwh <= 0:
        raise PlanError("the energy to add must be more than 0 kWh")
    if not math.isfinite(power_kw) or power_kw <= 0:
        raise PlanError("the charging power must be more than 0 kW")
    if not 0 <= delay_max_s <= 1800:
        raise PlanError("the random delay maximum is 0 to 1800 s")
    if hi <= lo:
        raise PlanError("the departure time has passed")
    if hi - lo > MAX_HORIZON:
        raise PlanError("the departure is more than 8 days away")
    segs = segments(lo, hi, allowed, price_at)
    need_min = math.ceil(energy_kwh / power_kw * 60 - 1e-9)
    unit = max(1, math.ceil(need_min / MAX_UNITS))
    chosen = choose(
        segs,
        need=math.ceil(need_min / unit),
        delay=math.ceil(delay_max_s / 60 / unit - 1e-9),
        unit=unit,
        free_first=charging_now and bool(segs) and segs[0].start == _ceil_minute(lo),
    )
    return _describe(lo, hi, energy_kwh, power_kw, delay_max_s, segs, chosen, charging_now)


def choose(
    segs: Sequence[Segment], *, need: int, delay: int, unit: int = 1, free_first: bool = False
) -> list[int]:
    """The indexes of the segments to charge in (the programme described at the top).

    Energy and delay in units of `unit` minutes at full power; a segment gives
    `minutes // unit` units. Cost is price x minutes (integers: hundredths of a penny);
    ties go to the plan whose chosen minutes lie latest."""
    # state: (units guaranteed capped at need, delay left in the run or -1 when not in a run)
    # value: (cost, -lateness, chosen indexes as a linked list)
    Best = tuple[int, int, tuple[int, object] | None]
    states: dict[tuple[int, int], Best] = {(0, -1): (0, 0, None)}
    prev_end: datetime | None = None
    for i, seg in enumerate(segs):
        adjacent = prev_end == seg.start
        units = seg.minutes // unit
        price = round(seg.price_p * 100) * seg.minutes
        late = seg.minutes * int(seg.start.timestamp() // 60)
        nxt: dict[tuple[int, int], Best] = {}
        for (got, left), (cost, neg_late, chain) in states.items():
            _keep(nxt, (got, -1), (cost, neg_late, chain))  # skip this segment
            pending = left if left >= 0 and adjacent else 0 if i == 0 and free_first else delay
            absorbed = min(units, pending)
            gained = min(need, got + units - absorbed)
            _keep(nxt, (gained, pending - absorbed), (cost + price, neg_late - late, (i, chain)))
        states = nxt
        prev_end = seg.end
    most = max(got for got, _ in states)
    best = min((v for k, v in states.items() if k[0] == most), key=lambda v: (v[0], v[1]))
    picked: list[int] = []
    chain = best[2]
    while chain is not None:
        picked.append(chain[0])
        chain = chain[1]  # type: ignore[assignment]
    return sorted(picked)


def _keep(
    states: dict[tuple[int, int], tuple[int, int, tuple[int, object] | None]],
    key: tuple[int, int],
    value: tuple[int, int, tuple[int, object] | None],
) -> None:
    old = states.get(key)
    if old is None or (value[0], value[1]) < (old[0], old[1]):
        states[key] = value


def _describe(
    lo: datetime,
    hi: datetime,
    energy_kwh: float,
    power_kw: float,
    delay_max_s: int,
    segs: Sequence[Segment],
    chosen: Sequence[int],
    charging_now: bool,
) -> ChargePlan:
    runs: list[Interval] = []
    for i in chosen:
        s, e = segs[i].start, segs[i].end
        if runs and runs[-1][1] == s:
            runs[-1] = (runs[-1][0], e)
        else:
            runs.append((s, e))
    delay = timedelta(seconds=delay_max_s)
    free = charging_now and bool(runs) and runs[0][0] == _ceil_minute(lo)
    worst = [(s if free and n == 0 else min(e, s + delay), e) for n, (s, e) in enumerate(runs)]
    guaranteed = sum((e - s).total_seconds() for s, e in worst) / 3600 * power_kw
    finish, cost = _deliver(runs, energy_kwh, power_kw, segs, chosen)
    latest, _ = _deliver(worst, energy_kwh, power_kw, segs, chosen)
    shortfall = None
    if guaranteed + 1e-9 < energy_kwh:
        shortfall = _why_short(lo, hi, energy_kwh, power_kw, delay_max_s, segs, guaranteed)
    return ChargePlan(
        lo,
        hi,
        energy_kwh,
        power_kw,
        delay_max_s,
        tuple(runs),
        min(guaranteed, energy_kwh),
        cost,
        finish,
        latest,
        shortfall,
    )


def _deliver(
    runs: Sequence[Interval],
    energy_kwh: float,
    power_kw: float,
    segs: Sequence[Segment],
    chosen: Sequence[int],
) -> tuple[datetime | None, float]:
    """When the energy is in, charging through `runs` in time order, and what it costs."""
    prices = [(segs[i].start, segs[i].end, segs[i].price_p) for i in chosen]
    left, cost = energy_kwh, 0.0
    for s, e in runs:
        for ps, pe, price in prices:
            a, b = max(s, ps), min(e, pe)
            if a >= b:
                continue
            kwh = (b - a).total_seconds() / 3600 * power_kw
            if kwh >= left - 1e-12:
                cost += left * price
                return a + timedelta(hours=left / power_kw), cost
            cost += kwh * price
            left -= kwh
    return None, cost


def _why_short(
    lo: datetime,
    hi: datetime,
    energy_kwh: float,
    power_kw: float,
    delay_max_s: int,
    segs: Sequence[Segment],
    guaranteed: float,
) -> str:
    allowed_h = sum(s.minutes for s in segs) / 60
    need_h = energy_kwh / power_kw
    span_h = (hi - lo).total_seconds() / 3600
    got = f"only about {guaranteed:.0f} kWh can be added by then"
    if need_h > span_h:
        return (
            f"{got}: {energy_kwh:g} kWh at {power_kw:g} kW takes {_hours(need_h)}, "
            f"and there are {_hours(span_h)} left"
        )
    if need_h > allowed_h:
        return (
            f"{got}: the charging hours leave {_hours(allowed_h)} before departure, "
            f"and {energy_kwh:g} kWh at {power_kw:g} kW takes {_hours(need_h)}"
        )
    return (
        f"{got}: the charger may hold each start for up to {delay_max_s // 60} min "
        "(random delay), and the charging hours leave too little room for that"
    )


def _hours(h: float) -> str:
    minutes = round(h * 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes % 60 else f"{minutes // 60} h"


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise PlanError("times must carry their time zone")
    return when.astimezone(UTC)


def _ceil_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)


def _floor_slot(when: datetime) -> datetime:
    return when.replace(minute=when.minute - when.minute % 30, second=0, microsecond=0)


def _clip(allowed: Sequence[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted((_utc(s), _utc(e)) for s, e in allowed):
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
