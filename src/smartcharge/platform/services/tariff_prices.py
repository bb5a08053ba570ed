"""The prices a charger's plans and sessions use: the owner's typed tariff (bands or a
fixed-window preset), and, when the owner has a dynamic tariff (Octopus Agile by product and
region), its half-hourly prices with the typed tariff behind every half-hour whose price is
unknown. The Agile client (cache, retries, timeouts) is built once by the composition root."""

from __future__ import annotations

from datetime import datetime

from smartcharge.platform.services import charging_plans
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid
from smartcharge.platform.services.tariffs.agile import AgileError, AgileTariff, parse_agile
from smartcharge.platform.services.tariffs.prices import Prices


async def prices_for(
    ctx: ServiceContext, charger_id: int, start: datetime, end: datetime
) -> Prices:
    typed = await charging_plans.tariff(ctx, charger_id)
    fallback = typed[0] if typed else None
    feed = await ctx.store.owner_records.feed(charger_id)
    if feed is None:
        return Prices(fallback=fallback)
    known = None
    if ctx.agile is not None:
        known = await ctx.agile.prices(AgileTariff(feed["product"], feed["region"]), start, end)
    return Prices(known or {}, fallback=fallback, dynamic=True)


async def set_agile(
    ctx: ServiceContext, charger: ChargerAccess, product: str, region: str
) -> AgileTariff:
    """The owner's Agile tariff (product code and region letter), or `Invalid` saying which."""
    charger.require_admin()
    try:
        tariff = parse_agile(product, region)
    except AgileError as exc:
        raise Invalid(str(exc)) from None
    await ctx.store.owner_records.set_feed(charger.id, tariff.product, tariff.region, at=ctx.now())
    return tariff


async def remove_agile(ctx: ServiceContext, charger: ChargerAccess) -> None:
    charger.require_admin()
    await ctx.store.owner_records.remove_feed(charger.id)
