"""A site's supply for load management, as an operator sets it: the limit per phase, the load
on it that is not ours (a fixed household figure, or the site meter's latest reading sent the
same way) and the fallback share each of its chargers holds for when the platform is
unreachable. A workplace administrator reads their own site's.

Checked before anything is stored (`Invalid`, nothing changed): limits positive and at most
`MAX_LIMIT_A`, the other load within the limit, and the fallback either 0 (pause when cut
off) or at least the 6 A a car can charge at, with every charger of the site at its fallback
together within what is left on each phase, so losing the platform can never overload the
supply."""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotAllowed, NotFound
from smartcharge.platform.services.site_balancing import MIN_A
from smartcharge.platform.store.sites import Supply

MAX_LIMIT_A = 2000.0  # per phase: more than any site a charger of ours sits on


@dataclass(frozen=True)
class SupplyChange:
    limit_a: tuple[float, float, float]
    other_load_a: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fallback_a: float = MIN_A


async def site_for(ctx: ServiceContext, who: Caller, name: str) -> int:
    """The site `name` if `who` may see it (operator: any; workplace admin: their own)."""
    site_id = await ctx.store.sites.site_id(name)
    mine = who.role == "workplace_admin" and site_id == who.account.site_id
    if site_id is None or not (who.role == "operator" or mine):
        raise NotFound(f"no site {name}")
    return site_id


async def supply(ctx: ServiceContext, who: Caller, name: str) -> Supply:
    found = await ctx.store.sites.supply(await site_for(ctx, who, name))
    if found is None:
        raise NotFound(f"site {name} has no supply limit set: its load is not managed")
    return found


async def set_supply(
    ctx: ServiceContext,
    who: Caller,
    name: str,
    change: SupplyChange,
) -> Supply:
    """Store the site's supply (all of it or nothing) and wake its balancer."""
    site_id = await site_for(ctx, who, name)
    if who.role != "operator":
        raise NotAllowed("only an operator sets a site's supply limits")
    chargers = len(await ctx.store.sites.chargers(site_id))
    check(change, chargers)
    await ctx.store.sites.set_supply(
        site_id,
        limit_a=change.limit_a,
        other_load_a=change.other_load_a,
        fallback_a=change.fallback_a,
        at=ctx.now(),
    )
    if ctx.balancer is not None:
        ctx.balancer.changed(site_id)
    return await supply(ctx, who, name)


def check(change: SupplyChange, chargers: int) -> None:
    """`Invalid` with words for people unless `change` is a supply the site can hold."""
    for phase, (limit, other) in enumerate(zip(change.limit_a, change.other_load_a, strict=True)):
        label = f"L{phase + 1}"
        if not 0 < limit <= MAX_LIMIT_A:
            raise Invalid(f"the {label} limit must be above 0 A and at most {MAX_LIMIT_A:g} A")
        if not 0 <= other <= limit:
            raise Invalid(f"the other load on {label} must be between 0 A and its limit")
    fallback = change.fallback_a
    if fallback != 0 and not MIN_A <= fallback <= MAX_LIMIT_A:
        raise Invalid(f"the fallback share must be 0 (pause) or at least {MIN_A:g} A")
    room = min(lim - other for lim, other in zip(change.limit_a, change.other_load_a, strict=True))
    if chargers * fallback > room:
        raise Invalid(
            f"{chargers} chargers at a fallback of {fallback:g} A would need "
            f"{chargers * fallback:g} A, more than the {room:g} A the supply has left"
        )
