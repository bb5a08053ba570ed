"""GET/PUT /api/sites/{name}/supply: a site's supply for load management
(services/site_supply.py); GET/PUT /api/sites/{name}/chargers/{identity}/load: a charger's
phases, priority and maximum on it (services/site_charger_load.py). An operator sets them; a
workplace administrator reads their own site's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from smartcharge.platform.api.access import IdentityPath
from smartcharge.platform.api.auth import Api, Caller, Operator, role
from smartcharge.platform.api.schemas import GroupName, Strict
from smartcharge.platform.services import site_charger_load, site_meter, site_supply
from smartcharge.platform.store.sites import Member, Meter, Supply

router = APIRouter(tags=["sites"])

SiteReader = Annotated[Caller, Depends(role("operator", "workplace_admin"))]
Amps = Annotated[float, Field(ge=0, le=site_supply.MAX_LIMIT_A, allow_inf_nan=False)]
PerPhase = Annotated[list[Amps], Field(min_length=3, max_length=3)]


class SupplyRequest(Strict):
    limit_a: PerPhase  # L1, L2, L3
    other_load_a: PerPhase = [0.0, 0.0, 0.0]  # household: fixed, or the site meter's reading
    fallback_a: Amps = site_supply.MIN_A  # each charger's share when the platform is away


class SupplyOut(BaseModel):
    site: str
    limit_a: list[float]
    other_load_a: list[float]
    fallback_a: float
    updated_at: datetime


def _out(found: Supply) -> SupplyOut:
    return SupplyOut(
        site=found.site,
        limit_a=list(found.limit_a),
        other_load_a=list(found.other_load_a),
        fallback_a=found.fallback_a,
        updated_at=found.updated_at,
    )


@router.get("/api/sites/{name}/supply", response_model=SupplyOut)
async def get_supply(name: GroupName, who: SiteReader, ctx: Api) -> SupplyOut:
    return _out(await site_supply.supply(ctx, who, name))


@router.put("/api/sites/{name}/supply", response_model=SupplyOut)
async def put_supply(name: GroupName, body: SupplyRequest, who: Operator, ctx: Api) -> SupplyOut:
    change = site_supply.SupplyChange(
        limit_a=(body.limit_a[0], body.limit_a[1], body.limit_a[2]),
        other_load_a=(body.other_load_a[0], body.other_load_a[1], body.other_load_a[2]),
        fallback_a=body.fallback_a,
    )
    return _out(await site_supply.set_supply(ctx, who, name, change))


class LoadRequest(Strict):
    phases: Annotated[list[Annotated[int, Field(strict=True)]], Field(max_length=3)] = [1, 2, 3]
    priority: Annotated[int, Field(strict=True)] = 0  # higher is served first
    max_a: Annotated[float, Field(allow_inf_nan=False)] = 32.0  # per phase


class LoadOut(BaseModel):
    identity: str
    phases: list[int]
    priority: int
    max_a: float


def _load(m: Member) -> LoadOut:
    phases = [int(ph) for ph in m.phases]
    return LoadOut(identity=m.identity, phases=phases, priority=m.priority, max_a=m.max_a)


@router.get("/api/sites/{name}/chargers/{identity}/load", response_model=LoadOut)
async def get_load(name: GroupName, identity: IdentityPath, who: SiteReader, ctx: Api) -> LoadOut:
    return _load(await site_charger_load.charger_load(ctx, who, name, identity))


@router.put("/api/sites/{name}/chargers/{identity}/load", response_model=LoadOut)
async def put_load(
    name: GroupName, identity: IdentityPath, body: LoadRequest, who: Operator, ctx: Api
) -> LoadOut:
    change = site_charger_load.LoadChange(tuple(body.phases), body.priority, body.max_a)
    return _load(await site_charger_load.set_charger_load(ctx, who, name, identity, change))


class MeterRequest(Strict):
    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(strict=True)] = 502
    unit: Annotated[int, Field(strict=True)] = 1  # Modbus id
    model: str = "sdm630"


class MeterOut(BaseModel):
    host: str
    port: int
    unit: int
    model: str
    updated_at: datetime
    reading_a: list[float] | None  # the site's import per phase at the last read
    problem: str | None  # why there is no reading, in words (then: chargers at their fallback)


def _meter(found: Meter, ctx: Api) -> MeterOut:
    last = None if ctx.balancer is None else ctx.balancer.meters.last.get(found.site_id)
    return MeterOut(
        host=found.host,
        port=found.port,
        unit=found.unit,
        model=found.model,
        updated_at=found.updated_at,
        reading_a=None if last is None or last.current_a is None else list(last.current_a),
        problem=None if last is None else last.problem,
    )


@router.get("/api/sites/{name}/meter", response_model=MeterOut)
async def get_meter(name: GroupName, who: SiteReader, ctx: Api) -> MeterOut:
    return _meter(await site_meter.meter(ctx, who, name), ctx)


@router.put("/api/sites/{name}/meter", response_model=MeterOut)
async def put_meter(name: GroupName, body: MeterRequest, who: Operator, ctx: Api) -> MeterOut:
    change = site_meter.MeterChange(body.host, body.port, body.unit, body.model)
    return _meter(await site_meter.set_meter(ctx, who, name, change), ctx)


@router.delete("/api/sites/{name}/meter", status_code=204)
async def delete_meter(name: GroupName, who: Operator, ctx: Api) -> Response:
    await site_meter.remove_meter(ctx, who, name)
    return Response(status_code=204)
