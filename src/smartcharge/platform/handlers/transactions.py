"""StartTransaction, StopTransaction, MeterValues."""

from __future__ import annotations

import logging
from typing import Any

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.handlers import checks
from smartcharge.platform.handlers.context import ChargerContext

log = logging.getLogger("smartcharge.platform.handlers")


async def start_transaction(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    checks.connector_id(p["connectorId"], least=1)
    checks.meter_wh(p["meterStart"], "meterStart")
    checks.int32(p.get("reservationId"), "reservationId")
    now = ctx.now()
    info = await ctx.store.id_tags.info(p["idTag"], now=now)
    tx = await ctx.store.transactions.start(
        ctx.charger_id,
        connector_id=p["connectorId"],
        id_tag=p["idTag"],
        meter_start=p["meterStart"],
        started_at=parse_time(p["timestamp"]),
        reservation_id=p.get("reservationId"),
        id_tag_status=info["status"],
        at=now,
    )
    return {"transactionId": tx, "idTagInfo": info}


async def stop_transaction(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    tx: int = p["transactionId"]
    checks.int32(tx, "transactionId")
    checks.meter_wh(p["meterStop"], "meterStop")
    checks.sampled_values(p.get("transactionData") or [])
    now = ctx.now()
    stopped = await ctx.store.transactions.stop(
        ctx.charger_id,
        tx,
        meter_stop=p["meterStop"],
        stopped_at=parse_time(p["timestamp"]),
        reason=p.get("reason"),
        id_tag=p.get("idTag"),
        at=now,
    )
    if stopped.unknown:
        log.warning(
            "StopTransaction for an unknown transaction kept and flagged identity=%s "
            "transaction_id=%s row=%s",
            ctx.identity,
            tx,
            stopped.row_id,
        )
    if p.get("transactionData"):
        # Stored after the stop: if this fails, the charger sends the stop again, and the stop
        # is idempotent. Values of an unknown transaction go under connector 0.
        connector = stopped.connector_id or 0
        await ctx.store.meter_values.append(meter_rows(ctx, connector, tx, p["transactionData"]))
    if "idTag" in p:
        return {"idTagInfo": await ctx.store.id_tags.info(p["idTag"], now=now)}
    return {}


async def meter_values(ctx: ChargerContext, p: dict[str, Any]) -> dict[str, Any]:
    connector = checks.connector_id(p["connectorId"])
    tx = checks.int32(p.get("transactionId"), "transactionId")
    checks.sampled_values(p["meterValue"])
    rows = meter_rows(ctx, connector, tx, p["meterValue"])
    await ctx.store.meter_values.append(rows)  # returns once the batch is committed
    return {}


def meter_rows(
    ctx: ChargerContext, connector_id: int, transaction_id: int | None, values: list[Any]
) -> list[dict[str, Any]]:
    """One row per sampled value, as sent (an absent field means OCPP's default); the values
    were checked (`checks.sampled_values`)."""
    received = ctx.now()
    rows = []
    for mv in values:
        at = parse_time(mv["timestamp"])
        for sv in mv["sampledValue"]:
            rows.append(
                {
                    "charger_id": ctx.charger_id,
                    "connector_id": connector_id,
                    "transaction_id": transaction_id,
                    "timestamp": at,
                    "value": sv["value"],
                    "measurand": sv.get("measurand"),
                    "phase": sv.get("phase"),
                    "unit": sv.get("unit"),
                    "context": sv.get("context"),
                    "location": sv.get("location"),
                    "format": sv.get("format"),
                    "received_at": received,
                }
            )
    return rows
