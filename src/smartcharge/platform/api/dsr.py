"""/api/dsr and /api/groups: DSR intake from aggregators (R4), the deliveries, opt-outs (R19),
and the charger groups aggregators address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import RowMapping

from smartcharge.platform.api.access import IdentityPath, Visible
from smartcharge.platform.api.auth import Aggregator, Api, Caller, Operator, role
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.api.schemas import (
    ChargerDsrOut,
    DeliveryOut,
    DsrEventOut,
    DsrEventRequest,
    EventId,
    ExtensionAnswer,
    GroupName,
    GroupOut,
    GroupRequest,
)
from smartcharge.platform.dsr import DsrRequest
from smartcharge.platform.services import fleet, owner_controls
from smartcharge.platform.store.dsr import GroupExists

router = APIRouter(tags=["DSR"])

DsrReader = Annotated[Caller, Depends(role("aggregator", "operator"))]


async def _event_out(ctx: ApiContext, event: RowMapping) -> DsrEventOut:
    deliveries = [
        DeliveryOut(**{k: d[k] for k in DeliveryOut.model_fields})
        for d in await ctx.store.dsr.deliveries(event["id"])
    ]
    return DsrEventOut(
        id=event["id"],
        kind=event["kind"],
        limit_a=event["limit_a"],
        start=event["start"],
        duration_s=event["duration_s"],
        created_at=event["created_at"],
        acknowledged=sum(d.status == "accepted" for d in deliveries),
        opted_out=sum(d.opted_out_at is not None for d in deliveries),
        deliveries=deliveries,
    )


@router.post("/api/dsr/events", response_model=DsrEventOut, status_code=201)
async def post_event(body: DsrEventRequest, ctx: Api, who: Aggregator) -> DsrEventOut:
    """An aggregator's DSR event, to chargers of its groups (a list, or one group). Returns once
    every charger answered or could not be reached: `deliveries` says which acknowledged
    (accepted), refused (rejected) or were offline / timed out (sent again when they come back,
    while the event lasts)."""
    targets = await fleet.resolve_targets(ctx, who, body.chargers, body.group)
    group_id = None
    if body.group is not None:
        found = await ctx.store.dsr.group(body.group)
        group_id = None if found is None else int(found["id"])
    event_id = await ctx.dsr.post(
        DsrRequest(body.kind, body.limit_a, body.start, body.duration_s),
        aggregator_id=who.account.id,
        targets=targets,
        group_id=group_id,
    )
    event = await ctx.store.dsr.event(event_id)
    assert event is not None
    return await _event_out(ctx, event)


@router.get("/api/dsr/events", response_model=list[DsrEventOut])
async def list_events(ctx: Api, who: DsrReader) -> list[DsrEventOut]:
    """An aggregator's own events (an operator: all), newest first."""
    mine = who.account.id if who.role == "aggregator" else None
    return [await _event_out(ctx, e) for e in await ctx.store.dsr.events(aggregator_id=mine)]


@router.get("/api/dsr/events/{event_id}", response_model=DsrEventOut)
async def get_event(event_id: EventId, ctx: Api, who: DsrReader) -> DsrEventOut:
    event = await ctx.store.dsr.event(event_id)
    if event is None or (who.role == "aggregator" and event["aggregator_id"] != who.account.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no DSR event {event_id}")
    return await _event_out(ctx, event)


@router.get("/api/chargers/{identity}/dsr", response_model=list[ChargerDsrOut])
async def charger_events(charger: Visible, ctx: Api) -> list[ChargerDsrOut]:
    """The DSR events this charger had a part in, newest first."""
    rows = await ctx.store.dsr.of_charger(charger.id)
    return [ChargerDsrOut(**{k: r[k] for k in ChargerDsrOut.model_fields}) for r in rows]


@router.post(
    "/api/chargers/{identity}/dsr/{event_id}/opt-out",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def opt_out(event_id: EventId, charger: Visible, ctx: Api) -> ExtensionAnswer:
    """The owner opts this charger out of a DSR event (R19): the charger is told (DsrOptOut),
    and once it accepts, the opt-out is recorded and reported to the aggregator."""
    return ExtensionAnswer(**await owner_controls.opt_out(ctx, charger, event_id))


# --- groups ------------------------------------------------------------------------------------


async def _group_out(ctx: ApiContext, row: RowMapping) -> GroupOut:
    members = await ctx.store.dsr.members(row["id"])
    return GroupOut(
        name=row["name"], aggregator=row["aggregator"], chargers=[m["identity"] for m in members]
    )


@router.get("/api/groups", response_model=list[GroupOut])
async def list_groups(ctx: Api, who: DsrReader) -> list[GroupOut]:
    """An aggregator's groups (an operator: all)."""
    mine = who.account.id if who.role == "aggregator" else None
    return [await _group_out(ctx, g) for g in await ctx.store.dsr.groups(aggregator_id=mine)]


@router.post(
    "/api/groups",
    response_model=GroupOut,
    status_code=201,
    responses={409: {"description": "The name is taken"}},
)
async def create_group(body: GroupRequest, ctx: Api, who: Operator) -> GroupOut:
    """A group of chargers (operator); with `aggregator`, that aggregator may send DSR events
    to its members."""
    aggregator_id = None
    if body.aggregator is not None:
        found = await ctx.store.accounts.login_record(body.aggregator)
        if found is None or found[0].role != "aggregator":
            raise HTTPException(422, "aggregator must be a user with that role")
        aggregator_id = found[0].id
    try:
        await ctx.store.dsr.add_group(body.name, aggregator_id=aggregator_id, at=ctx.now())
    except GroupExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return GroupOut(name=body.name, aggregator=body.aggregator, chargers=[])


async def _group_and_charger(ctx: ApiContext, name: str, identity: str) -> tuple[int, int]:
    group = await ctx.store.dsr.group(name)
    if group is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no group {name}")
    creds = await ctx.store.chargers.credentials(identity)
    if creds is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no charger {identity}")
    return int(group["id"]), creds.id


@router.put("/api/groups/{name}/chargers/{identity}", status_code=204)
async def add_member(name: GroupName, identity: IdentityPath, ctx: Api, who: Operator) -> None:
    group_id, charger_id = await _group_and_charger(ctx, name, identity)
    await ctx.store.dsr.set_member(group_id, charger_id, member=True)


@router.delete("/api/groups/{name}/chargers/{identity}", status_code=204)
async def remove_member(name: GroupName, identity: IdentityPath, ctx: Api, who: Operator) -> None:
    group_id, charger_id = await _group_and_charger(ctx, name, identity)
    await ctx.store.dsr.set_member(group_id, charger_id, member=False)
