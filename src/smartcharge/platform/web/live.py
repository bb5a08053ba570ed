"""A charger's live state for its page: each connector's status, the charger's own charging
state (asked with the UK extension GetChargingState, docs/ocpp-extensions.md), the power last
reported, the grid event in force, in plain words (`plain_words`).

Asking the charger is a read, not a command: it does not go into the command log (the page asks
every few seconds while it is open). A charger that is offline or slow still gets a page, from
what the platform stored.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse, OcppError
from smartcharge.platform.api.access import ChargerAccess
from smartcharge.platform.api.chargers import live_status
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.commands import UK_VENDOR
from smartcharge.platform.errors import ChargerOffline
from smartcharge.platform.handlers.uk_extensions import recent_from_charger
from smartcharge.platform.store.models import MeterValue
from smartcharge.platform.web.plain_words import Words, describe

log = logging.getLogger("smartcharge.platform.web")

STATE_TIMEOUT_S = 5.0
POWER = "Power.Active.Import"


@dataclass
class ConnectorView:
    id: int
    status: str | None
    words: Words
    transaction_id: int | None
    random_delay_s: float
    waiting_for_hours: bool
    power_w: float | None


@dataclass
class GridEvent:
    id: str
    limit_a: float
    until: datetime


@dataclass
class LiveView:
    identity: str
    connected: bool
    asked: bool  # the charger answered GetChargingState
    connectors: list[ConnectorView] = field(default_factory=list)
    grid_events: list[GridEvent] = field(default_factory=list)
    charger_state: dict[str, Any] = field(default_factory=dict)


async def ask_state(ctx: ApiContext, identity: str) -> dict[str, Any] | None:
    """The charger's GetChargingState answer (`data` decoded), or None if it cannot say now."""
    return await read_from_charger(ctx, identity, "GetChargingState")


async def read_from_charger(ctx: ApiContext, identity: str, message: str) -> dict[str, Any] | None:
    """A UK-extension read (`data` {}) the charger answered Accepted, its `data` decoded; None
    if it cannot say now (offline, slow, an older charger). Not a command: not in the log."""
    payload = {"vendorId": UK_VENDOR, "messageId": message, "data": "{}"}
    try:
        answer = await ctx.ocpp.send(identity, "DataTransfer", payload, STATE_TIMEOUT_S)
    except (ChargerOffline, CallError, CallTimeout, InvalidResponse, OcppError, ConnectionError):
        return None
    data = answer.get("data")
    if answer.get("status") != "Accepted" or not isinstance(data, str):
        return None
    with contextlib.suppress(ValueError):
        decoded = json.loads(data)
        if isinstance(decoded, dict):
            return decoded
    return None


async def last_power_w(ctx: ApiContext, transaction_id: int) -> float | None:
    stmt = (
        select(MeterValue.value, MeterValue.unit)
        .where(
            MeterValue.transaction_id == transaction_id,
            MeterValue.measurand == POWER,
            MeterValue.phase.is_(None),
        )
        .order_by(MeterValue.timestamp.desc())
        .limit(1)
    )
    async with ctx.store.engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    try:
        value = float(row.value)
    except ValueError:
        return None
    return value * 1000 if row.unit == "kW" else value


async def last_random_delay(
    ctx: ApiContext, charger_id: int, connector_id: int, now: datetime
) -> float:
    """What is left of the delay the charger announced (RandomDelay DataTransfer), if any."""
    for row in await recent_from_charger(ctx.store.engine, charger_id, "RandomDelay"):
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            data = json.loads(row.data)
            if int(data["connectorId"]) == connector_id:
                left = float(data["remainingS"]) - (now - row.received_at).total_seconds()
                return max(0.0, left)
    return 0.0


async def grid_events(ctx: ApiContext, charger_id: int, now: datetime) -> list[GridEvent]:
    """DSR events in force now that this charger accepted and the owner did not opt out of."""
    out = []
    for e in await ctx.store.dsr.of_charger(charger_id, limit=20):
        until = e["start"] + timedelta(seconds=e["duration_s"])
        if e["start"] <= now < until and e["opted_out_at"] is None and e["status"] == "accepted":
            out.append(GridEvent(e["id"], e["limit_a"], until))
    return out


async def live_view(ctx: ApiContext, charger: ChargerAccess) -> LiveView:
    status = await live_status(charger, ctx)  # the API's own view: connectors and sessions
    now = ctx.now()
    state = await ask_state(ctx, charger.identity) if status.connected else None
    events = await grid_events(ctx, charger.id, now)
    view = LiveView(charger.identity, status.connected, state is not None, grid_events=events)
    view.charger_state = state or {}
    per_connector = (state or {}).get("connectors") or {}
    running = {s.connector_id: s for s in status.running_sessions}
    for c in status.connectors:
        if c.connector_id == 0:
            continue  # the charger as a whole: shown in its header, not as a socket
        entry = per_connector.get(str(c.connector_id)) if isinstance(per_connector, dict) else None
        session = running.get(c.connector_id)
        tx = session.id if session else None
        power = await last_power_w(ctx, tx) if tx is not None else None
        if entry is None:  # the charger could not be asked: its last announcement
            delay = await last_random_delay(ctx, charger.id, c.connector_id, now)
            entry = {"random_delay_remaining_s": delay} if delay else None
        until = events[0].until if events else None
        words = describe(c.status, entry, power if c.status == "Charging" else None, until, now)
        view.connectors.append(
            ConnectorView(
                id=c.connector_id,
                status=c.status,
                words=words,
                transaction_id=tx,
                random_delay_s=float((entry or {}).get("random_delay_remaining_s") or 0),
                waiting_for_hours=(entry or {}).get("limit_cause")
                in ("default_hours", "user_schedule")
                and not power,
                power_w=power,
            )
        )
    return view
