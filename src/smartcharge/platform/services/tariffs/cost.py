"""What a session cost: each half-hour's energy at the price in force in that half-hour.

With the session's meter readings (instant, energy register in Wh) the energy of each half-hour
is what the register shows for it (straight lines between readings); without them the energy is
spread evenly over the session, which is all the session record says."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

SLOT_S = 1800

Price = Callable[[datetime], float]


def session_cost_p(
    price: Price,
    started: datetime,
    stopped: datetime | None,
    energy_wh: float,
    readings: Sequence[tuple[datetime, float]] = (),
) -> float:
    """Pence for `energy_wh` delivered from `started` to `stopped` (None: still running)."""
    if len(readings) >= 2:
        return _from_readings(price, sorted(readings))
    if stopped is None or stopped <= started:
        return energy_wh / 1000 * price(started)
    total_s = (stopped - started).total_seconds()
    cost, at = 0.0, started
    while at < stopped:
        step = min(stopped, _next_slot(at))
        share = (step - at).total_seconds() / total_s
        cost += share * energy_wh / 1000 * price(at)
        at = step
    return cost


def _from_readings(price: Price, readings: Sequence[tuple[datetime, float]]) -> float:
    cost = 0.0
    for (t0, wh0), (t1, wh1) in itertools.pairwise(readings):
        if t1 <= t0 or wh1 <= wh0:
            continue  # a repeated reading, or a register that went back: no energy there
        span = (t1 - t0).total_seconds()
        at = t0
        while at < t1:
            step = min(t1, _next_slot(at))
            cost += (wh1 - wh0) * (step - at).total_seconds() / span / 1000 * price(at)
            at = step
    return cost


def _next_slot(at: datetime) -> datetime:
    floor = at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)
    return floor + timedelta(seconds=SLOT_S)
