"""The owner's typed tariff for one charger, as the platform keeps it (`store.owner_records`).
Plans to a departure are `departure_plans`; dynamic prices are `tariff_prices`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from smartcharge.platform.services.access import Caller, ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.tariffs.bands import Band, Tariff
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
