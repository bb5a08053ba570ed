"""BootNotification, Heartbeat, StatusNotification, Authorize, DataTransfer."""

from __future__ import annotations

import logging
from typing import Any

from smartcharge.ocpp.times import format_time, parse_time
from smartcharge.ocpp.uk_extension import VENDOR_ID
from smartcharge.platform.handlers import checks, uk_extensions
from smartcharge.platform.handlers.context import ChargerContext

log = logging.getLogger("smartcharge.platform.handlers")


async def boot_notification(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    await ctx.store.chargers.record_boot(ctx.charger_id, p, at=now)
    log.info("boot identity=%s firmware=%s", ctx.identity, p.get("firmwareVersion"))
    return {
        "status": "Accepted",
        "currentTime": format_time(now),
        "interval": ctx.heartbeat_interval,
    }


async def heartbeat(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_time(ctx.now())}  # last seen is kept by the server, in batches


async def status_notification(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    await ctx.store.events.status(
        ctx.charger_id,
        connector_id=checks.connector_id(p["connectorId"]),
        status=p["status"],
        error_code=p["errorCode"],
        info=p.get("info"),
        vendor_id=p.get("vendorId"),
        vendor_error_code=p.get("vendorErrorCode"),
        timestamp=parse_time(p["timestamp"]) if "timestamp" in p else None,
        received_at=ctx.now(),
    )
    return {}


async def authorize(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"idTagInfo": await ctx.store.id_tags.info(p["idTag"], now=ctx.now())}


async def data_transfer(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    data = p.get("data")
    if data is not None and len(data) > checks.STORED_DATA_MAX:
        # Kept for the record, but not a megabyte of it per message: what is stored is capped.
        log.warning(
            "DataTransfer data cut to %d characters identity=%s vendor=%r length=%d",
            checks.STORED_DATA_MAX,
            ctx.identity,
            p["vendorId"],
            len(data),
        )
    await ctx.store.events.data_transfer(
        ctx.charger_id,
        vendor_id=p["vendorId"],
        message_id=p.get("messageId"),
        data=None if data is None else data[: checks.STORED_DATA_MAX],
        received_at=ctx.now(),
    )
    if p["vendorId"] == VENDOR_ID:
        return await uk_extensions.from_charger(ctx, p.get("messageId"), p.get("data"))
    return {"status": "UnknownVendorId"}  # stored; no other vendor's extension is understood
