"""A charger's state now: connected or not, each connector's last StatusNotification, the
sessions running, the power last reported, the random delay it announced, the grid events in
force for it, and what the charger itself says (a UK-extension read through the `Commander`,
not kept in the command log). The REST API's /status and the web app's live page both read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.handlers.uk_extensions import random_delay_left
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import NotFound

READ_TIMEOUT_S = 5.0  # a page waits this long for the charger's own answer, then shows ours
POWER = "Power.Active.Import"


@dataclass(frozen=True)
class ChargerStatus:
    identity: str
    connected: bool
    connected_node: str | None
    last_seen_at: datetime | None
    connectors: list[dict[str, Any]]  # the last StatusNotification of each connector
    running_sessions: list[dict[str, Any]]


@dataclass(frozen=True)
class GridEvent:
    id: str
    limit_a: float
    until: datetime
    opted_out: bool = False


def is_connected(ctx: ServiceContext, row: Any) -> bool:
    """Connected to this node, or to another one (the store says which)."""
    return ctx.ocpp.is_connected(row["identity"]) or row["connected_node"] is not None


async def status(ctx: ServiceContext, charger: ChargerAccess) -> ChargerStatus:
    """Connected or not, each connector's last StatusNotification, the sessions running."""
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    if row is None:
        raise NotFound(f"no charger {charger.identity}")
    connectors = [dict(c) for c in await ctx.store.history.connector_status(charger.id)]
    sessions = await ctx.store.history.sessions(
        charger.caller.scope, identity=charger.identity, limit=20
    )
    return ChargerStatus(
        identity=charger.identity,
        connected=is_connected(ctx, row),
        connected_node=row["connected_node"],
        last_seen_at=row["last_seen_at"],
        connectors=connectors,
        running_sessions=[dict(s) for s in sessions if s["running"]],
    )


async def read_charger(ctx: ServiceContext, identity: str, message: str) -> dict[str, Any] | None:
    """What the charger says now (GetChargingState, GetDeviceInfo, ...), or None if it cannot
    say (offline, slow, an older charger)."""
    return await ctx.commander.read(identity, message, timeout=READ_TIMEOUT_S)


async def last_power_w(ctx: ServiceContext, transaction_id: int) -> float | None:
    row = await ctx.store.history.last_reading(transaction_id, POWER)
    if row is None:
        return None
    try:
        value = float(row["value"])
    except ValueError:
        return None
    return value * 1000 if row["unit"] == "kW" else value


async def last_random_delay(
    ctx: ServiceContext, charger_id: int, connector_id: int, now: datetime
) -> float:
    """What is left of the delay the charger announced (RandomDelay DataTransfer), if any."""
    return await random_delay_left(ctx.store.engine, charger_id, connector_id, now)


def reported_grid_events(state: dict[str, Any], now: datetime) -> list[GridEvent] | None:
    """The DSR events in force now as the charger reports them (GetChargingState's
    `dsrEvents`), opted out of or not, the strictest first: what the charger does, with its
    own end time. None when it does not report them (an older charger): then `grid_events`."""
    reported = state.get("dsrEvents")
    if not isinstance(reported, list):
        return None
    out = []
    for e in reported:
        try:
            start, until = parse_time(e["start"]), parse_time(e["end"])
            event = GridEvent(str(e["id"]), float(e["limitA"]), until, e.get("optedOut") is True)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # not an event: left out, never shown as one
        if start <= now < until:
            out.append(event)
    return sorted(out, key=lambda e: (e.opted_out, e.limit_a))


async def grid_events(ctx: ServiceContext, charger_id: int, now: datetime) -> list[GridEvent]:
    """DSR events in force now that this charger accepted and the owner did not opt out of,
    as the platform recorded them (when the charger cannot say: `reported_grid_events`)."""
    out = []
    for e in await ctx.store.dsr.of_charger(charger_id, limit=20):
        until = e["start"] + timedelta(seconds=e["duration_s"])
        if e["start"] <= now < until and e["opted_out_at"] is None and e["status"] == "accepted":
            out.append(GridEvent(e["id"], e["limit_a"], until))
    return out
