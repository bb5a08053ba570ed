"""Which chargers a fleet request (DSR event, fleet profile) addresses: a list or a group."""

from __future__ import annotations

from fastapi import HTTPException, status

from smartcharge.platform.api.auth import Caller
from smartcharge.platform.api.context import ApiContext


async def resolve_targets(
    ctx: ApiContext, who: Caller, chargers: list[str] | None, group: str | None
) -> dict[str, int]:
    """identity -> charger id. An aggregator addresses only chargers in its own groups; an
    operator any. An unknown or foreign charger refuses the whole request (nothing is sent)."""
    if (chargers is None) == (group is None):
        raise HTTPException(422, "give either chargers or group")
    if group is not None:
        found = await ctx.store.dsr.group(group)
        if found is None or (who.role == "aggregator" and found["aggregator_id"] != who.account.id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no group {group}")
        members = {r["identity"]: int(r["id"]) for r in await ctx.store.dsr.members(found["id"])}
        if not members:
            raise HTTPException(422, f"group {group} is empty")
        return members
    assert chargers is not None
    if who.role == "aggregator":
        targets = await ctx.store.dsr.enrolled(who.account.id, chargers)
    else:
        targets = {
            r["identity"]: int(r["id"])
            for r in await ctx.store.history.chargers(who.scope)
            if r["identity"] in set(chargers)
        }
    missing = sorted(set(chargers) - set(targets))
    if missing:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"unknown chargers (or not yours to address): {', '.join(missing[:20])}",
        )
    return targets
