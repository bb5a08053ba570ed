"""A charger's place on its site's supply, as an operator sets it (issue 14 item 5): the site
phases it draws on, its priority (higher is served first) and its maximum per phase. The
balancer (services/site_balancer.py) honours them from its next round. A workplace
administrator reads their own site's.

Checked before anything is stored (`Invalid`, nothing changed): phases one to three distinct of
L1, L2, L3; priority 0 to `MAX_PRIORITY`; a maximum between the 6 A a car charges at and
`MAX_CHARGER_A`."""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotAllowed, NotFound
from smartcharge.platform.services.site_balancing import MIN_A
from smartcharge.platform.services.site_supply import site_for
from smartcharge.platform.store.sites import Member

MAX_PRIORITY = 9
MAX_CHARGER_A = 80.0  # per phase: the most an AC charger takes (IEC 61851-1)


@dataclass(frozen=True)
class LoadChange:
    phases: tuple[int, ...]  # 1, 2, 3: L1, L2, L3
    priority: int = 0
    max_a: float = 32.0


async def _member(ctx: ServiceContext, who: Caller, name: str, identity: str) -> tuple[int, Member]:
    site_id = await site_for(ctx, who, name)
    for m in await ctx.store.sites.members(site_id):
        if m.identity == identity:
            return site_id, m
    raise NotFound(f"no charger {identity} on site {name}")


async def charger_load(ctx: ServiceContext, who: Caller, name: str, identity: str) -> Member:
    return (await _member(ctx, who, name, identity))[1]


async def set_charger_load(
    ctx: ServiceContext, who: Caller, name: str, identity: str, change: LoadChange
) -> Member:
    """Store the charger's phases, priority and maximum (all or nothing), then rebalance."""
    site_id, member = await _member(ctx, who, name, identity)
    if who.role != "operator":
        raise NotAllowed("only an operator sets how a charger shares its site's supply")
    check(change)
    await ctx.store.sites.set_load(
        member.charger_id,
        phases="".join(str(ph) for ph in sorted(change.phases)),
        priority=change.priority,
        max_a=change.max_a,
        at=ctx.now(),
    )
    if ctx.balancer is not None:
        ctx.balancer.changed(site_id)
    return await charger_load(ctx, who, name, identity)


def check(change: LoadChange) -> None:
    """`Invalid` with words for people unless `change` is a place a charger can take."""
    phases = change.phases
    if not phases or len(set(phases)) != len(phases) or not set(phases) <= {1, 2, 3}:
        raise Invalid("phases must be one to three different phases out of 1, 2 and 3 (L1-L3)")
    if not 0 <= change.priority <= MAX_PRIORITY:
        raise Invalid(f"the priority must be a whole number from 0 to {MAX_PRIORITY}")
    if not MIN_A <= change.max_a <= MAX_CHARGER_A:
        raise Invalid(
            f"the maximum must be between {MIN_A:g} A (the least a car charges at) "
            f"and {MAX_CHARGER_A:g} A"
        )
