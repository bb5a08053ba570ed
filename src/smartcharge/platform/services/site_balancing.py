"""Sharing a site's supply between its chargers (issue 14 item 5): the pure decision.

A site has a supply limit per phase and a load that is not ours (the household, measured by a
site meter or a fixed figure). Its charging points (a connector of a charger) each draw on one
or three of the site's phases, between a minimum (6 A: below it a car may not charge; it is
paused instead) and what the point can take; the points of one charger (`group`) together at
most the charger's maximum (`group_max_a`), so a two-connector charger with one car gets one
share and with two cars two. `allocate` shares what is left:

- **priorities** first: a higher priority is served before a lower one gets anything;
- **fair share** within a priority: max-min fairness (water filling) per phase: every point
  rises together until it reaches its own maximum, its charger's, or one of its phases is full;
- **minimum or pause**: a point that would get less than its minimum is paused (0 A) and the
  others share again, so no car is held at a current it cannot charge at;
- **offline points** keep what they may draw on their own (`reserve_a`: the larger of their
  last limit and the fallback share they apply when the platform is unreachable), taken off
  the supply before the others share it.

`plan` turns a new allocation into the changes to push: **decreases at once and first**, then
**increases**, each at most `ramp_step_a` above what the point had (ramp-up in steps) and
subject to the charger's randomised delay (R24-R26: an increase from load balancing is a
relevant time; a decrease for the supply's safety is not delayed, REGULATIONS.md's load-balancing
decision). Because every target fits the supply and an increase only ever lands after the
decreases of the same plan (and a newer plan replaces a pending increase), no phase is over its
limit at any instant, whatever the delays (tests/platform/test_site_balancing.py proves it).

**Measured current** (`follow`): a point whose charger reports drawing (Current.Import) well
below what it offers the car (Current.Offered) has its maximum lowered to its draw plus
`HEADROOM_A`, and what that frees is shared to the others. Safe because it is a *limit*, not
a count: the point's limit is cut first (a decrease, at once and confirmed before any other
point's increase is sent), so if its car then rises it cannot pass the limit the supply was
planned with. A point drawing within `NEAR_A` of its offer may want more: it is shared for again
like any other (the others cut at once, its own increase ramped and delayed). Between the two it
keeps what it had, so a steady car does not make the limit swing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

PHASES = (0, 1, 2)  # L1, L2, L3
MIN_A = 6.0  # IEC 61851: the least current a car is offered
EPSILON = 1e-9
HEADROOM_A = 2.0
"""What a point drawing less than it is offered keeps above its draw: room for the car to rise
a little (a meter's noise, a battery warming up) without waiting for a round."""
NEAR_A = 1.0
"""Drawing within this of its offer: the car may want more than it has."""


@dataclass(frozen=True)
class Point:
    key: str  # "identity/connector"
    phases: frozenset[int] = frozenset(PHASES)  # the site phases it draws on
    max_a: float = 32.0  # per phase
    min_a: float = MIN_A
    priority: int = 0  # higher is served first
    wants: bool = True  # a car is plugged in and asks for current
    online: bool = True
    reserve_a: float = 0.0  # offline: what it may draw on its own (last limit or fallback)
    group: str = ""  # the charger it is a connector of ("": on its own)
    group_max_a: float = math.inf  # the most its charger takes, all its points together
    drawn_a: float | None = None  # measured (Current.Import, its busiest phase); None: unknown
    offered_a: float | None = None  # what the charger offers its car now (Current.Offered)


@dataclass(frozen=True)
class Site:
    limit_a: tuple[float, float, float]  # supply limit per phase
    other_load_a: tuple[float, float, float] = (0.0, 0.0, 0.0)  # household etc., per phase
    ramp_step_a: float = 4.0  # the most an increase may add in one step
    fallback_a: float = MIN_A  # what a charger applies when the platform is unreachable

    def available(self) -> list[float]:
        return [max(0.0, self.limit_a[p] - self.other_load_a[p]) for p in PHASES]


def allocate(site: Site, points: Iterable[Point]) -> dict[str, float]:
    """Each point's current (A per phase): 0 (paused, offline, nothing wanted) or between its
    minimum and maximum, never more on any phase than the site has left nor on any charger
    than its maximum."""
    points = list(points)
    free = site.available()
    room = {p.group: p.group_max_a for p in points if p.group}
    out: dict[str, float] = {p.key: 0.0 for p in points}

    def take(p: Point, amps: float) -> None:
        out[p.key] = amps
        for phase in p.phases:
            free[phase] = max(0.0, free[phase] - amps)
        if p.group:
            room[p.group] = max(0.0, room[p.group] - amps)

    for p in points:
        if not p.online:
            take(p, p.reserve_a)
    for priority in sorted({p.priority for p in points if p.online and p.wants}, reverse=True):
        level = [p for p in points if p.online and p.wants and p.priority == priority]
        while level:
            shares = _fill(free, room, level)
            short = [p for p in level if shares[p.key] < p.min_a - EPSILON]
            if not short:
                break
            # The one that would get least (relative to its minimum) is paused; share again.
            paused = min(short, key=lambda p: (shares[p.key] - p.min_a, p.key))
            level = [p for p in level if p is not paused]
        else:
            shares = {}
        for p in level:
            take(p, shares[p.key])
    return out


def _fill(free: list[float], room: Mapping[str, float], points: list[Point]) -> dict[str, float]:
    """Max-min fair shares of `free` (per phase) and of each charger's `room` between `points`
    (water filling)."""
    share = {p.key: 0.0 for p in points}
    left = list(free)
    group_left = dict(room)
    rising = list(points)
    while rising:
        users = {ph: sum(1 for p in rising if ph in p.phases) for ph in PHASES}
        members = {g: sum(1 for p in rising if p.group == g) for g in group_left}
        step = min(
            [p.max_a - share[p.key] for p in rising]
            + [left[ph] / users[ph] for ph in PHASES if users[ph]]
            + [group_left[g] / n for g, n in members.items() if n]
        )
        step = max(0.0, step)
        for p in rising:
            share[p.key] += step
        for ph in PHASES:
            left[ph] -= step * users[ph]
        for g, n in members.items():
            group_left[g] -= step * n
        full = {ph for ph in PHASES if users[ph] and left[ph] <= EPSILON}
        full_groups = {g for g, n in members.items() if n and group_left[g] <= EPSILON}
        rising = [
            p
            for p in rising
            if share[p.key] < p.max_a - EPSILON
            and not (p.phases & full)
            and p.group not in full_groups
        ]
    return share


@dataclass(frozen=True)
class Plan:
    """What to push: `decreases` first (at once), then `increases` (each may be delayed)."""

    targets: dict[str, float]
    decreases: dict[str, float] = field(default_factory=dict)
    increases: dict[str, float] = field(default_factory=dict)


def plan(site: Site, points: Iterable[Point], previous: Mapping[str, float]) -> Plan:
    """The changes from `previous` (what each point was last given) to the new allocation,
    increases ramped by `site.ramp_step_a` (a point starting from 0 may go straight to its
    minimum). Offline points are left alone: they cannot be told."""
    points = [follow(p, previous.get(p.key, 0.0)) for p in points]
    wanted = allocate(site, points)
    targets: dict[str, float] = {}
    decreases: dict[str, float] = {}
    increases: dict[str, float] = {}
    for p in points:
        before = previous.get(p.key, 0.0)
        want = wanted[p.key]
        if not p.online:
            targets[p.key] = want
            continue
        if want < before - EPSILON:
            decreases[p.key] = targets[p.key] = want
        elif want > before + EPSILON:
            ramped = min(want, max(before + site.ramp_step_a, p.min_a))
            increases[p.key] = targets[p.key] = ramped
        else:
            targets[p.key] = before
    return Plan(targets, decreases, increases)


def follow(p: Point, before: float) -> Point:
    """`p` with its maximum lowered to what it measurably uses (module docstring), given what it
    had (`before`). Unchanged when nothing is measured or the car uses its offer."""
    if p.drawn_a is None or p.offered_a is None or not p.online:
        return p
    if p.drawn_a >= p.offered_a - NEAR_A:
        return p
    light = p.drawn_a + HEADROOM_A < p.offered_a
    cap = p.drawn_a + HEADROOM_A if light else before  # else within the margin: hold
    return replace(p, max_a=min(p.max_a, max(p.min_a, cap)))


def phase_load(
    site: Site, points: Iterable[Point], drawn: Mapping[str, float]
) -> tuple[float, float, float]:
    """The load on each phase: the site's other load and what each point draws."""
    load = list(site.other_load_a)
    for p in points:
        for phase in p.phases:
            load[phase] += drawn.get(p.key, 0.0)
    return (load[0], load[1], load[2])
