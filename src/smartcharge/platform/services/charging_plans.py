"""The owner's tariff and charging plan for one charger (issue 6 item 5), as the platform keeps
them (`store.owner_records`), and the plan sent to the charger: "ready by 07:00 with 40 kWh on
weekdays" turned into the cheapest half-hours inside the charger's default charging hours under
the owner's tariff (`schedule_planner`), sent as the owner's own schedule (SetUserSchedule), and
kept only once the charger accepted it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from smartcharge.platform.services import owner_controls
from smartcharge.platform.services.access import Caller, ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid
from smartcharge.platform.services.schedule_planner import Plan, cheapest_windows
from smartcharge.platform.services.tariffs.bands import Band, Tariff, TariffError
from smartcharge.regulations.default_hours import WeeklySchedule, Window


def windows_from_charger(raw: Any) -> list[Window]:
    """The charger's windows ([{"weekday": "Mon" or 0, "start", "end"}]); an answer that is not
    a list of windows reads as none (the charger validated them when they were set)."""
    if not isinstance(raw, list):
        return []
    try:
        return sorted(WeeklySchedule.from_records(raw).windows)
    except (ValueError, TypeError, AttributeError):
        return []


async def tariff(ctx: ServiceContext, charger_id: int) -> tuple[Tariff, datetime] | None:
    found = await ctx.store.owner_records.tariff(charger_id)
    if found is None:
        return None
    base_p, bands, set_at = found
    parsed = tuple(Band(time.fromisoformat(s), time.fromisoformat(e), p) for s, e, p in bands)
    return Tariff(base_p, parsed), set_at


async def tariffs_of(
    ctx: ServiceContext, who: Caller, identities: Iterable[str]
) -> dict[str, Tariff]:
    """The tariffs of these chargers (those the caller may see and that have one)."""
    out: dict[str, Tariff] = {}
    for identity in set(identities):
        found = await ctx.store.history.charger(who.scope, identity)
        if found is not None and (t := await tariff(ctx, int(found["id"]))) is not None:
            out[identity] = t[0]
    return out


async def set_tariff(ctx: ServiceContext, charger: ChargerAccess, new: Tariff | None) -> None:
    """Keep the charger's tariff (None: remove it). Prices sessions and plans; the charger is
    not told (it charges by its schedule, not by prices)."""
    charger.require_admin()
    if new is None:
        await ctx.store.owner_records.remove_tariff(charger.id)
        return
    bands = [(f"{b.start:%H:%M}", f"{b.end:%H:%M}", b.price_p) for b in new.bands]
    await ctx.store.owner_records.set_tariff(charger.id, new.base_p, bands, at=ctx.now())


async def plan(ctx: ServiceContext, charger_id: int) -> tuple[Plan, datetime] | None:
    row = await ctx.store.owner_records.plan(charger_id)
    if row is None:
        return None
    kept = Plan(
        time.fromisoformat(row["ready_by"]),
        row["energy_kwh"],
        row["power_kw"],
        tuple(int(d) for d in row["weekdays"]),
    )
    return kept, row["set_at"]


async def forget_plan(ctx: ServiceContext, charger: ChargerAccess) -> None:
    """The plan no longer stands (the owner typed their own schedule or cleared it)."""
    charger.require_admin()
    await ctx.store.owner_records.remove_plan(charger.id)


async def send_plan(
    ctx: ServiceContext, charger: ChargerAccess, new: Plan, hours: dict[str, Any]
) -> owner_controls.Answer:
    """Plan the cheapest hours inside the default hours in force (`hours`: the charger's
    GetDefaultHours data), send them; the plan is kept only once the charger accepted.
    `Invalid` when the default hours leave too little time for the energy."""
    charger.require_admin()
    in_force = (hours.get("defaultHours") or {}).get("inForce")
    default = windows_from_charger(in_force) if in_force is not None else None
    found = await tariff(ctx, charger.id)
    try:
        windows = cheapest_windows(new, found[0] if found else None, default)
    except TariffError as exc:
        raise Invalid(str(exc)) from None
    answer = await owner_controls.set_user_schedule(ctx, charger, windows, None)
    if answer.get("status") == "Accepted":
        values = {
            "ready_by": f"{new.ready_by:%H:%M}",
            "energy_kwh": new.energy_kwh,
            "power_kw": new.power_kw,
            "weekdays": "".join(str(d) for d in new.weekdays),
        }
        await ctx.store.owner_records.set_plan(charger.id, values, at=ctx.now())
    return answer
