"""Tariffs (flat or time-of-use), the cost of a session, and cheapest-slot planning within the
default charging hours (issue 6 item 5). Pure: prices in pence per kWh, times UK wall clock.

A time-of-use tariff is a base price plus bands ("00:30-04:30 7.5"); a band whose end is at or
before its start runs past midnight. The planner picks, for each chosen day, the cheapest
half-hours of the 24 hours before "ready by" that the default hours allow, enough to deliver the
energy at the charger's power, and returns them as the weekly windows of SetUserSchedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from smartcharge.platform.services.tariffs.bands import (
    Band,
    Tariff,
    TariffError,
    parse_tariff,
)
from smartcharge.platform.services.tariffs.cost import session_cost_p
from smartcharge.regulations.default_hours import WEEKDAY_NAMES, Window

__all__ = ["Band", "Tariff", "TariffError", "parse_tariff", "session_cost_p"]

SLOT_S = 1800
DAY_S = 86_400
WEEK_S = 7 * DAY_S


@dataclass(frozen=True, slots=True)
class Plan:
    ready_by: time
    energy_kwh: float
    power_kw: float
    weekdays: tuple[int, ...]

    def describe(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[d] for d in self.weekdays)
        return f"ready by {self.ready_by:%H:%M} with {self.energy_kwh:g} kWh on {days}"


def parse_plan(ready_by: str, energy_kwh: str, power_kw: str, weekdays: list[str]) -> Plan:
    try:
        h, m = (int(x) for x in ready_by.split(":")[:2])
        ready = time(h, m)
    except ValueError:
        raise TariffError("ready by: a time like 07:00") from None
    try:
        kwh, kw = float(energy_kwh), float(power_kw)
    except ValueError:
        raise TariffError("energy and power are numbers, like 40 and 7.4") from None
    if not 0 < kwh <= 200:
        raise TariffError("energy: more than 0 and at most 200 kWh")
    if not 1 <= kw <= 50:
        raise TariffError("power: 1 to 50 kW")
    try:
        days = tuple(sorted({int(d) for d in weekdays}))
    except ValueError:
        raise TariffError("days: pick from Monday to Sunday") from None
    if not days or any(not 0 <= d <= 6 for d in days):
        raise TariffError("pick at least one day")
    return Plan(ready, kwh, kw, days)


def _allowed(slot: int, allowed: list[tuple[int, int]] | None) -> bool:
    if allowed is None:
        return True
    s, e = slot % WEEK_S, slot % WEEK_S + SLOT_S
    return any((a <= s and e <= b) or (a <= s + WEEK_S and e + WEEK_S <= b) for a, b in allowed)


def cheapest_windows(
    plan: Plan, tariff: Tariff | None, default_hours: list[Window] | None
) -> list[dict[str, str | int]]:
    """The SetUserSchedule windows: per chosen day, the cheapest half-hours (earliest first on
    a tie) of the 24 h before `ready_by` inside the default hours (None: no default hours).
    Raises `TariffError` when the default hours leave too little time for the energy."""
    needed = max(1, -(-round(plan.energy_kwh / plan.power_kw * 3600) // SLOT_S))
    allowed = [w.week_span for w in default_hours] if default_hours is not None else None
    chosen: set[int] = set()
    for day in plan.weekdays:
        ready = day * DAY_S + plan.ready_by.hour * 3600 + plan.ready_by.minute * 60
        slots = [s for s in range(ready - DAY_S, ready, SLOT_S) if _allowed(s, allowed)]
        if len(slots) < needed:
            raise TariffError(
                f"{WEEKDAY_NAMES[day]}: the default charging hours leave "
                f"{len(slots) * SLOT_S / 3600:g} h before {plan.ready_by:%H:%M}; "
                f"{plan.energy_kwh:g} kWh at {plan.power_kw:g} kW needs "
                f"{needed * SLOT_S / 3600:g} h"
            )

        def price(s: int) -> float:
            return tariff.price_at(_wall(s)) if tariff else 0.0

        chosen.update(s % WEEK_S for s in sorted(slots, key=lambda s: (price(s), s))[:needed])
    return _merge(sorted(chosen))


def _wall(slot: int) -> time:
    s = slot % DAY_S
    return time(s // 3600, s % 3600 // 60)


def _merge(slots: list[int]) -> list[dict[str, str | int]]:
    """Runs of half-hours as windows, cut at each midnight (adjacent windows are fine)."""
    out: list[dict[str, str | int]] = []
    run_start = prev = None
    for s in [*slots, None]:
        if s is not None and prev is not None and s == prev + SLOT_S and s % DAY_S:
            prev = s
            continue
        if run_start is not None and prev is not None:
            end = prev + SLOT_S
            out.append(
                {
                    "weekday": run_start // DAY_S,
                    "start": f"{_wall(run_start):%H:%M}",
                    "end": f"{_wall(end):%H:%M}",
                }
            )
        run_start = prev = s
    return out
