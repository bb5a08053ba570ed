"""A small built-in OCPP 1.6J central system, for the demo and for benchmarks.

It is deliberately small (the management platform is `smartcharge.platform`): it accepts
chargers, authorises id tags, numbers transactions and keeps what it receives in memory. It
recognises a StartTransaction sent again after a crash (same connector, id tag, meter start and
timestamp) and answers with the transaction id it gave the first time.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.times import format_time

log = logging.getLogger("smartcharge.sim.central_system")


@dataclass
class ChargerRecord:
    identity: str
    boot: dict[str, Any] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    meter_values: list[dict[str, Any]] = field(default_factory=list)
    last_power_w: dict[int, float] = field(default_factory=dict)
    connected: bool = False
    endpoint: RpcEndpoint | None = None


@dataclass
class TransactionRecord:
    transaction_id: int
    identity: str
    connector_id: int
    id_tag: str
    meter_start: int
    started: str
    meter_stop: int | None = None
    stopped: str | None = None
    reason: str | None = None


class CentralSystem:
    def __init__(
        self,
        *,
        passwords: dict[str, str] | None = None,
        accepted_tags: set[str] | None = None,
        heartbeat_interval: int = 300,
    ) -> None:
        self.passwords = passwords  # None: any charger is welcome (profile 0/1 demos)
        self.accepted_tags = accepted_tags  # None: every id tag is accepted
        self.heartbeat_interval = heartbeat_interval
        self.chargers: dict[str, ChargerRecord] = {}
        self.transactions: dict[int, TransactionRecord] = {}
        self._by_start: dict[tuple[Any, ...], int] = {}
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self.counts: dict[str, int] = defaultdict(int)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await serve(
            self._handle,
            host,
            port,
            subprotocols=[Subprotocol("ocpp1.6")],
            process_request=self._check_auth,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _check_auth(self, conn: ServerConnection, request: Request) -> Response | None:
        identity = request.path.rstrip("/").rsplit("/", 1)[-1]
        if self.passwords is None:
            return None
        expected = self.passwords.get(identity)
        header = request.headers.get("Authorization", "")
        token = base64.b64encode(f"{identity}:{expected}".encode()).decode()
        if expected is not None and header == f"Basic {token}":
            return None
        log.warning("refused charger %s: bad credentials", identity)
        return Response(HTTPStatus.UNAUTHORIZED, "Unauthorized", Headers(), b"")

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        identity = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        rec = self.chargers.setdefault(identity, ChargerRecord(identity))
        ep = RpcEndpoint(ws, role="CentralSystem", name=identity)
        for action in (
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StopTransaction",
            "MeterValues",
            "DataTransfer",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "SecurityEventNotification",  # the security whitepaper's events (a charger sends them)
        ):
            ep.route(action, self._handler(rec, action), raw=True)
        rec.connected, rec.endpoint = True, ep
        try:
            await ep.serve()
        except Exception as exc:  # a dropped charger is normal life for a central system
            log.info("charger %s disconnected: %s", identity, type(exc).__name__)
        finally:
            rec.connected, rec.endpoint = False, None

    def _handler(self, rec: ChargerRecord, action: str) -> Any:
        async def handle(p: dict[str, Any]) -> dict[str, Any]:
            self.counts[action] += 1
            return self._answer(rec, action, p)

        return handle

    def _now(self) -> str:
        from datetime import UTC, datetime

        return format_time(datetime.now(UTC), "seconds")

    def _id_tag_info(self, tag: str) -> dict[str, Any]:
        ok = self.accepted_tags is None or tag in self.accepted_tags
        return {"status": "Accepted" if ok else "Invalid"}

    def _answer(self, rec: ChargerRecord, action: str, p: dict[str, Any]) -> dict[str, Any]:
        if action == "BootNotification":
            rec.boot = p
            return {
                "status": "Accepted",
                "currentTime": self._now(),
                "interval": self.heartbeat_interval,
            }
        if action == "Heartbeat":
            return {"currentTime": self._now()}
        if action == "StatusNotification":
            rec.status[p["connectorId"]] = p["status"]
            return {}
        if action == "Authorize":
            return {"idTagInfo": self._id_tag_info(p["idTag"])}
        if action == "StartTransaction":
            key = (rec.identity, p["connectorId"], p["idTag"], p["meterStart"], p["timestamp"])
            tx = self._by_start.get(key)
            if tx is None:
                tx = next(self._ids)
                self._by_start[key] = tx
                self.transactions[tx] = TransactionRecord(
                    tx, rec.identity, p["connectorId"], p["idTag"], p["meterStart"], p["timestamp"]
                )
            return {"transactionId": tx, "idTagInfo": self._id_tag_info(p["idTag"])}
        if action == "StopTransaction":
            t = self.transactions.get(p["transactionId"])
            if t is not None:
                t.meter_stop, t.stopped, t.reason = p["meterStop"], p["timestamp"], p.get("reason")
            return {"idTagInfo": {"status": "Accepted"}} if "idTag" in p else {}
        if action == "MeterValues":
            rec.meter_values.append(p)
            for mv in p["meterValue"]:
                for sv in mv["sampledValue"]:
                    if sv.get("measurand") == "Power.Active.Import":
                        rec.last_power_w[p["connectorId"]] = float(sv["value"])
            return {}
        if action == "DataTransfer":
            return {"status": "UnknownVendorId"}
        return {}

    async def call(self, identity: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        rec = self.chargers.get(identity)
        if rec is None or rec.endpoint is None:
            raise ConnectionError(f"charger {identity} is not connected")
        return await rec.endpoint.call_raw(action, payload)

    async def wait_connected(self, identity: str, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not (identity in self.chargers and self.chargers[identity].boot):
                await asyncio.sleep(0.05)
