"""The benchmark's baseline central system: written the way the `ocpp` package documents it.

An `ocpp.v16.ChargePoint` per connection with `@on` handlers, served by `websockets.serve`, as in
the package's README, storing what the platform stores in the same tables through the same
`Store`. Each handler stores its message before answering, the obvious way: MeterValues rows in
one INSERT and one transaction per message, every other message in its own transaction, every
id tag read from the table. With `--batched` it uses the platform's batch writer, group commit and
id-tag cache instead, so that only the OCPP handling differs from the platform.
It checks no password (the documented example does not; connecting is outside the measured
window anyway).

    python bench/baseline_csms.py --database-url URL --port 0 [--batched]

Same stdout protocol as `platform_node.py`: `READY <port>`, and for each `dsr` line on stdin the
DSR fan-out's JSON line.
"""

from __future__ import annotations

import argparse
import gc
import logging
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, RegistrationStatus
from sqlalchemy import insert

from fanout import VENDOR, control, dsr_event, fan_out, run_main
from smartcharge import logs
from smartcharge.platform.store import Store
from smartcharge.platform.store.models import MeterValue

OPTIONAL = ("measurand", "phase", "unit", "context", "location", "format")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CentralSystem(ChargePoint):
    """One connected charger, the documented way."""

    def __init__(
        self, identity: str, connection: Any, store: Store, charger_id: int, batched: bool
    ) -> None:
        super().__init__(identity, connection)
        self.store = store
        self.charger_id = charger_id
        self.batched = batched

    @on(Action.boot_notification)
    async def on_boot_notification(self, **kwargs: Any) -> call_result.BootNotification:
        now = _now()
        boot = {"chargePointVendor": kwargs["charge_point_vendor"]}
        boot["chargePointModel"] = kwargs["charge_point_model"]
        await self.store.chargers.record_boot(self.charger_id, boot, at=now)
        return call_result.BootNotification(
            current_time=_iso(now), interval=300, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_iso(_now()))

    @on(Action.status_notification)
    async def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **kwargs: Any
    ) -> call_result.StatusNotification:
        await self.store.events.status(
            self.charger_id,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            info=kwargs.get("info"),
            vendor_id=kwargs.get("vendor_id"),
            vendor_error_code=kwargs.get("vendor_error_code"),
            timestamp=parse_time(kwargs["timestamp"]) if "timestamp" in kwargs else None,
            received_at=_now(),
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=await self.store.id_tags.info(id_tag, now=_now()))

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self, transaction_id: int, meter_stop: int, timestamp: str, **kwargs: Any
    ) -> call_result.StopTransaction:
        now = _now()
        await self.store.transactions.stop(
            self.charger_id,
            transaction_id,
            meter_stop=meter_stop,
            stopped_at=parse_time(timestamp),
            reason=kwargs.get("reason"),
            id_tag=kwargs.get("id_tag"),
            at=now,
        )
        if "id_tag" not in kwargs:
            return call_result.StopTransaction()
        info = await self.store.id_tags.info(kwargs["id_tag"], now=now)
        return call_result.StopTransaction(id_tag_info=info)

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs: Any
    ) -> call_result.StartTransaction:
        now = _now()
        info = await self.store.id_tags.info(id_tag, now=now)
        tx = await self.store.transactions.start(
            self.charger_id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            started_at=parse_time(timestamp),
            reservation_id=kwargs.get("reservation_id"),
            id_tag_status=info["status"],
            at=now,
        )
        return call_result.StartTransaction(transaction_id=tx, id_tag_info=info)

    @on(Action.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any
    ) -> call_result.MeterValues:
        received = _now()
        rows = []
        for mv in meter_value:
            at = parse_time(mv["timestamp"])
            for sv in mv["sampled_value"]:
                row = {key: sv.get(key) for key in OPTIONAL}
                row.update(
                    charger_id=self.charger_id,
                    connector_id=connector_id,
                    transaction_id=kwargs.get("transaction_id"),
                    timestamp=at,
                    value=sv["value"],
                    received_at=received,
                )
                rows.append(row)
        if self.batched:
            await self.store.meter_values.append(rows)
        else:
            async with self.store.engine.begin() as conn:
                await conn.execute(insert(MeterValue), rows)
        return call_result.MeterValues()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--batched", action="store_true", help="the platform's batch writer")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = parser.parse_args()
    logs.setup(None, level=logging.INFO)
    # The platform's GC thresholds (smartcharge.platform.app.GC_THRESHOLDS, not imported: see
    # fanout.py), so that only the OCPP handling differs.
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    # The package logs every frame at INFO; an operator would turn that off, so the baseline
    # does (it is not what the comparison is about).
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    # The platform's store. Plain: every message in its own transaction (no group commit) and
    # every id tag read from the table, as a handler naturally does; --batched: the platform's
    # defaults (500 rows or 50 ms per meter-value batch, group commit, id-tag cache).
    plain: dict[str, Any] = {"commit_delay": 0, "commit_max_items": 1, "id_tag_cache_s": 0}
    store = Store(args.database_url, **({} if args.batched else plain))
    await store.migrate()
    connected: dict[str, CentralSystem] = {}

    async def on_connect(websocket: Any) -> None:
        identity = websocket.request.path.rstrip("/").split("/")[-1]
        creds = await store.chargers.credentials(identity)
        if creds is None:
            await websocket.close()
            return
        cp = CentralSystem(identity, websocket, store, creds.id, args.batched)
        connected[identity] = cp
        try:
            await cp.start()
        except websockets.ConnectionClosed:
            pass
        finally:
            if connected.get(identity) is cp:
                del connected[identity]

    server = await websockets.serve(on_connect, "127.0.0.1", args.port, subprotocols=["ocpp1.6"])
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)

    async def send(identity: str, _action: str, payload: dict[str, Any], timeout: float) -> Any:
        cp = connected[identity]
        cp._response_timeout = timeout
        result = await cp.call(
            call.DataTransfer(
                vendor_id=payload["vendorId"], message_id=payload["messageId"], data=payload["data"]
            )
        )
        return {"status": result.status}

    async def dsr(event_id: str) -> dict[str, Any]:
        return await fan_out(send, list(connected), dsr_event(event_id), timeout=30)

    assert VENDOR
    try:
        await control(dsr)
    finally:
        server.close()
        await store.close()


if __name__ == "__main__":
    run_main(main)
