"""Sharing one cap (the ChargePointMaxProfile, a site limit) between charging connectors.

`share` is max-min fair ("water filling"): every charging connector gets the same level, except
that one needing less gets what it needs and the rest is shared among the others. Two floors:

- hard: a connector is offered at least `min_a` (6 A, the least the control pilot can offer) or
  nothing. If the cap cannot give every connector 6 A, the least preferred ones get 0 until it can.
- soft: a connector's minChargingRate (what its EV charges efficiently at) is honoured where it
  fits; if the floors do not all fit, the least preferred connectors give theirs up first.

Preference is `priority` (most preferred first), then connector id, lowest first; the station may
rotate `priority` over time so that a tight cap does not always starve the same connector.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from smartcharge.chargepoint.smart_charging.units import MIN_CHARGING_A, ceil_tenth, floor_tenth


def share(
    cap_a: float | None,
    demands: Mapping[int, float],
    *,
    min_rates: Mapping[int, float] | None = None,
    min_a: float = MIN_CHARGING_A,
    priority: Sequence[int] | None = None,
) -> dict[int, float]:
    """Split `cap_a` (None: no cap) between connectors; `demands`: what each could use now.

    A connector demanding less than `min_a` (not charging, or limited below 6 A by its own
    schedule) gets 0. Every result is 0 or between its floor and its demand, the sum never
    exceeds the cap, and results are rounded down to 0.1 A.
    """
    for c, d in demands.items():
        if not math.isfinite(d):
            raise ValueError(f"demand of connector {c}: not a finite number")
    hard = ceil_tenth(min_a)
    want = {c: floor_tenth(max(0.0, d)) for c, d in demands.items()}
    out = dict.fromkeys(demands, 0.0)
    order = {c: i for i, c in enumerate(priority or ())}
    active = sorted(
        (c for c in want if want[c] >= hard), key=lambda c: (order.get(c, len(order)), c)
    )
    if cap_a is None:
        return out | {c: want[c] for c in active}
    if math.isnan(cap_a):
        raise ValueError("cap_a: not a number")
    cap = floor_tenth(max(0.0, cap_a)) if math.isfinite(cap_a) else math.inf
    while active and len(active) * hard > cap:
        active.pop()  # the least preferred goes without
    rates = min_rates or {}
    floor = {c: max(hard, min(ceil_tenth(max(0.0, rates.get(c, 0.0))), want[c])) for c in active}
    for c in reversed(active):
        if sum(floor.values()) <= cap:
            break
        floor[c] = hard
    level = _water_level(cap, [(floor[c], want[c]) for c in active])
    for c in active:
        out[c] = floor_tenth(min(want[c], max(floor[c], level)))
    return out


def _water_level(cap: float, bounds: list[tuple[float, float]]) -> float:
    """The level L at which sum(min(hi, max(lo, L))) == cap (inf if every hi fits).

    The sum is piecewise linear in L with corners at the bounds, so L is found exactly on the
    segment where it crosses `cap` (16 A for two connectors under 32 A, not 15.999...).
    """
    if sum(hi for _, hi in bounds) <= cap:
        return math.inf

    def filled(level: float) -> float:
        return sum(min(hi, max(lo, level)) for lo, hi in bounds)

    corners = sorted({v for pair in bounds for v in pair})
    for here, nxt in itertools.pairwise(corners):
        if filled(nxt) >= cap:
            rising = sum(1 for lo, hi in bounds if lo <= here and hi >= nxt)
            return here + (cap - filled(here)) / rising if rising else here
    return corners[-1]
