"""Security events, firmware, diagnostics and log status notifications."""

from __future__ import annotations

import logging
from typing import Any

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.handlers.context import ChargerContext

log = logging.getLogger("smartcharge.platform.handlers")


async def security_event(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.security(
        ctx.charger_id,
        type=p["type"],
        tech_info=p.get("techInfo"),
        timestamp=parse_time(p["timestamp"]),
        received_at=ctx.now(),
    )
    log.info("security event identity=%s type=%s", ctx.identity, p["type"])
    return {}


async def firmware_status(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.firmware_status(
        ctx.charger_id, status=p["status"], signed=False, received_at=ctx.now()
    )
    return {}


async def signed_firmware_status(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.firmware_status(
        ctx.charger_id,
        status=p["status"],
        signed=True,
        request_id=p.get("requestId"),
        received_at=ctx.now(),
    )
    return {}


async def diagnostics_status(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.log_status(
        ctx.charger_id, kind="diagnostics", status=p["status"], received_at=ctx.now()
    )
    return {}


async def log_status(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.log_status(
        ctx.charger_id,
        kind="log",
        status=p["status"],
        request_id=p.get("requestId"),
        received_at=ctx.now(),
    )
    return {}
