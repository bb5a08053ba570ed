"""The owner's departure: "ready by 07:00 with 40 kWh (or 80 %), Mon-Fri" (or once, on a date).
Pure: what the owner typed, checked field by field; the next departure after an instant; the
energy a state-of-charge target needs; the plan's promise in words.

A repeating departure governs only the `PLAN_WINDOW` before each departure: a car plugged in
on Saturday for a Monday-only plan charges as usual (default hours, tariff) until Sunday 07:00,
instead of waiting for a plan that is two days away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from smartcharge.platform.services.planner import ChargePlan
from smartcharge.regulations.calendar import UK_TZ, uk_wall_to_utc
from smartcharge.regulations.default_hours import WEEKDAY_NAMES

PLAN_WINDOW = timedelta(hours=24)
MAX_ENERGY_KWH = 200.0
MAX_POWER_KW = 50.0


class DepartureError(ValueError):
    """One field the owner typed that cannot be used: `field` names it, the text says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Departure:
    at: time  # UK clock time
    days: tuple[int, ...]  # weekdays (Monday is 0) it repeats on; () when once
    on: date | None  # the date of a one-off departure
    power_kw: float
    energy_kwh: float | None = None  # either the energy to add ...
    target_soc: int | None = None  # ... or the state of charge to reach (%)
    battery_kwh: float | None = None  # with the battery's size
    override_hours: bool = False  # plan outside the default charging hours too

    def describe(self) -> str:
        what = (
            f"{self.energy_kwh:g} kWh"
            if self.energy_kwh is not None
            else f"{self.target_soc} % of a {self.battery_kwh:g} kWh battery"
        )
        when = (
            ", ".join(WEEKDAY_NAMES[d] for d in self.days) if self.days else f"{self.on:%a %d %b}"
        )
        return f"ready by {self.at:%H:%M} with {what} on {when}"


def next_departure(dep: Departure, now: datetime) -> datetime | None:
    """The first departure after `now`, in UTC (None: a one-off that has passed). A wall time
    the clocks skip (01:30 on the last Sunday of March) is taken an hour later."""
    now = now.astimezone(UTC)
    if not dep.days:
        assert dep.on is not None
        when = uk_wall_to_utc(datetime.combine(dep.on, dep.at))
        return when if when > now else None
    today = now.astimezone(UK_TZ).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() in dep.days:
            when = uk_wall_to_utc(datetime.combine(day, dep.at))
            if when > now:
                return when
    return None  # unreachable: a chosen weekday comes within 8 days


def plan_start(departure: datetime, now: datetime) -> datetime:
    """Where planning begins: now, or `PLAN_WINDOW` before the departure if that is later."""
    return max(now.astimezone(UTC), departure - PLAN_WINDOW)


def energy_needed(dep: Departure, soc_now: float | None) -> tuple[float, str | None]:
    """The kWh to add, and a note when it rests on a guess (the car does not say its charge)."""
    if dep.energy_kwh is not None:
        return dep.energy_kwh, None
    assert dep.target_soc is not None and dep.battery_kwh is not None
    if soc_now is None or not math.isfinite(soc_now):
        return (
            dep.target_soc / 100 * dep.battery_kwh,
            "the car does not report its charge, so the plan allows for an empty battery",
        )
    return max(0.0, (dep.target_soc - soc_now) / 100 * dep.battery_kwh), None


def promise(plan: ChargePlan, dep: Departure, soc_now: float | None) -> str:
    """ "expected 40 kWh (80 %) by 06:10, about £3.20", or the warning with its reason."""
    soc = ""
    if dep.target_soc is not None and soc_now is not None:
        soc = f" ({dep.target_soc} %)"
    elif dep.battery_kwh and soc_now is not None:
        reached = min(100, round(soc_now + plan.energy_kwh / dep.battery_kwh * 100))
        soc = f" ({reached} %)"
    if plan.shortfall is not None:
        return f"Will not be ready by {_clock(plan.departure)}: {plan.shortfall}."
    finish = plan.latest_finish or plan.finish or plan.departure
    money = f", about £{plan.cost_p / 100:.2f}" if plan.cost_p else ""
    return f"Expected {plan.energy_kwh:.0f} kWh{soc} by {_clock(finish)}{money}"


def _clock(when: datetime) -> str:
    return when.astimezone(UK_TZ).strftime("%H:%M")


def parse_departure(
    *,
    at: str,
    days: list[str],
    on: str,
    power_kw: str,
    energy_kwh: str = "",
    target_soc: str = "",
    battery_kwh: str = "",
    override_hours: bool = False,
) -> Departure:
    """The departure form, field by field; the first bad field raises `DepartureError`."""
    try:
        h, m = (int(x) for x in at.strip().split(":"))
        ready = time(h, m)
    except ValueError:
        raise DepartureError("at", "a time like 07:00") from None
    picked = _days(days)
    day = None
    if not picked:
        if not on.strip():
            raise DepartureError("days", "pick the days it repeats on, or a date for once")
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            raise DepartureError("on", "a date like 2026-12-07") from None
    kw = _number(power_kw, "power_kw", "the charging power in kW, like 7.4", 1, MAX_POWER_KW)
    if energy_kwh.strip() and target_soc.strip():
        raise DepartureError("energy_kwh", "give the energy to add or a target charge, not both")
    if energy_kwh.strip():
        kwh = _number(energy_kwh, "energy_kwh", "kWh to add, like 40", 0.1, MAX_ENERGY_KWH)
        return Departure(ready, picked, day, kw, energy_kwh=kwh, override_hours=override_hours)
    if not target_soc.strip():
        raise DepartureError("energy_kwh", "give the energy to add (kWh) or a target charge (%)")
    soc = _number(target_soc, "target_soc", "a charge from 1 to 100 %", 1, 100)
    if soc != int(soc):
        raise DepartureError("target_soc", "a whole percentage, like 80")
    size = _number(battery_kwh, "battery_kwh", "the battery's size in kWh, like 60", 5, 200)
    return Departure(
        ready,
        picked,
        day,
        kw,
        target_soc=int(soc),
        battery_kwh=size,
        override_hours=override_hours,
    )


def _days(values: list[str]) -> tuple[int, ...]:
    try:
        days = {int(v) for v in values}
    except ValueError:
        raise DepartureError("days", "pick days from Monday to Sunday") from None
    if any(not 0 <= d <= 6 for d in days):
        raise DepartureError("days", "pick days from Monday to Sunday")
    return tuple(sorted(days))


def _number(text: str, field: str, hint: str, lo: float, hi: float) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise DepartureError(field, hint) from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise DepartureError(field, f"{hint} ({lo:g} to {hi:g})")
    return value
