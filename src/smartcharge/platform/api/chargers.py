"""/api/chargers: the chargers a caller may see, provisioning, live status, the command log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import RowMapping

from smartcharge.platform.api.access import Visible
from smartcharge.platform.api.auth import Api, CallerDep, Operator
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.api.schemas import (
    ChargerOut,
    CommandRecordOut,
    ConnectorStatus,
    LiveStatus,
    NewChargerOut,
    NewChargerRequest,
    SessionOut,
)
from smartcharge.platform.registry import RegistryError, add_charger
from smartcharge.platform.services import charger_status
from smartcharge.platform.store import ChargerExists

router = APIRouter(tags=["chargers"])


def charger_out(ctx: ApiContext, row: RowMapping) -> ChargerOut:
    return ChargerOut(
        **{k: row[k] for k in ChargerOut.model_fields if k != "connected"},
        connected=charger_status.is_connected(ctx, row),
    )


@router.get("/api/chargers", response_model=list[ChargerOut])
async def list_chargers(ctx: Api, who: CallerDep) -> list[ChargerOut]:
    """Operator: all chargers; owner: their own; workplace roles: their site's."""
    return [charger_out(ctx, row) for row in await ctx.store.history.chargers(who.scope)]


@router.post(
    "/api/chargers",
    response_model=NewChargerOut,
    status_code=201,
    responses={409: {"description": "The identity is taken"}},
)
async def provision(body: NewChargerRequest, ctx: Api, who: Operator) -> NewChargerOut:
    """Register a charger (operator): its basic-auth password is shown once; only its argon2
    hash is stored."""
    try:
        new = await add_charger(
            ctx.store, body.identity, owner=body.owner, site=body.site, now=ctx.now()
        )
    except RegistryError as exc:
        raise HTTPException(422, str(exc)) from None
    except ChargerExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return NewChargerOut(identity=new.identity, password=new.password)


@router.get("/api/chargers/{identity}", response_model=ChargerOut)
async def get_charger(charger: Visible, ctx: Api) -> ChargerOut:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    assert row is not None
    return charger_out(ctx, row)


@router.get("/api/chargers/{identity}/status", response_model=LiveStatus)
async def live_status(charger: Visible, ctx: Api) -> LiveStatus:
    """Connected or not, each connector's last StatusNotification, the sessions running."""
    found = await charger_status.status(ctx, charger)
    return LiveStatus(
        identity=found.identity,
        connected=found.connected,
        connected_node=found.connected_node,
        last_seen_at=found.last_seen_at,
        connectors=[ConnectorStatus(**_pick(c, ConnectorStatus)) for c in found.connectors],
        running_sessions=[SessionOut(**_pick(s, SessionOut)) for s in found.running_sessions],
    )


@router.get("/api/chargers/{identity}/commands", response_model=list[CommandRecordOut])
async def command_log(charger: Visible, ctx: Api) -> list[CommandRecordOut]:
    """The commands sent to this charger through the API, newest first."""
    rows = await ctx.store.history.commands(charger.id)
    return [CommandRecordOut(**dict(r)) for r in rows]


def _pick(row: Any, model: type[Any]) -> dict[str, Any]:
    return {k: row[k] for k in model.model_fields}
