"""An independent central system for tests, built on the `ocpp` package's own ChargePoint class.

It validates every message our charge point sends against the official schemas (the `ocpp`
package does that on receipt) and records each one, with its message id, in arrival order. A
StartTransaction sent again with the same message id (a resend after a crash) gets the same
answer, as a careful central system would; `duplicates` lists such resends so tests can check
they only ever carry an id already seen.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from smartcharge.ocpp.times import format_time


def now_iso() -> str:
    return format_time(datetime.now(UTC), "seconds")


@dataclass
class Received:
    action: str
    unique_id: str
    payload: dict[str, Any]


@dataclass
class Behaviour:
    """How the peer answers; tests change it while running."""

    boot_status: str = "Accepted"
    boot_interval: int = 300
    accepted_tags: set[str] | None = None  # None: every tag
    fail_start_transaction: int = 0  # answer the next N StartTransaction with a CALLERROR
    answer_delay: float = 0.0  # seconds before answering a transaction message (crash windows)
    current_time: Callable[[], str] = now_iso  # the time told in Boot/Heartbeat answers


class PeerChargePoint(ChargePoint):
    """The central-system side of one connected charge point."""

    def __init__(self, id: str, connection: Any, system: CentralSystemPeer) -> None:
        # Only a guard against a charger that never answers. The charger under test shares this
        # event loop, and on a machine busy with other work an answer to Reset, right after a
        # firmware install's reboot, came later than 10 s (the whole suite, 2026-12-07).
        super().__init__(id, connection, response_timeout=60)
        self.system = system

    async def route_message(self, raw_msg: str) -> None:  # type: ignore[override]
        self.system.frames.append(raw_msg)
        await super().route_message(raw_msg)

    async def _handle_call(self, msg: Any) -> Any:  # type: ignore[override]
        try:
            return await super()._handle_call(msg)
        except OCPPError as exc:
            # The ocpp package found our message invalid: that is a test failure.
            self.system.errors.append(f"{msg.action}: {exc}")
            raise

    def _record(self, action: str, uid: str, **payload: Any) -> bool:
        """Record a message; False when this exact message id was seen before (a resend)."""
        seen = (action, uid) in self.system.seen_ids
        self.system.seen_ids.add((action, uid))
        if seen:
            self.system.duplicates.append(Received(action, uid, payload))
            return False
        self.system.received.append(Received(action, uid, payload))
        return True

    @on("BootNotification")
    def on_boot(self, call_unique_id: str, **p: Any) -> call_result.BootNotification:
        self._record("BootNotification", call_unique_id, **p)
        b = self.system.behaviour
        return call_result.BootNotification(
            current_time=b.current_time(), interval=b.boot_interval, status=b.boot_status
        )

    @on("Heartbeat")
    def on_heartbeat(self, call_unique_id: str) -> call_result.Heartbeat:
        self._record("Heartbeat", call_unique_id)
        return call_result.Heartbeat(current_time=self.system.behaviour.current_time())

    @on("StatusNotification")
    def on_status(self, call_unique_id: str, **p: Any) -> call_result.StatusNotification:
        self._record("StatusNotification", call_unique_id, **p)
        self.system.status[(self.id, p["connector_id"])] = p["status"]
        return call_result.StatusNotification()

    def _tag_info(self, tag: str) -> dict[str, Any]:
        tags = self.system.behaviour.accepted_tags
        return {"status": "Accepted" if tags is None or tag in tags else "Invalid"}

    @on("Authorize")
    def on_authorize(self, call_unique_id: str, id_tag: str) -> call_result.Authorize:
        self._record("Authorize", call_unique_id, id_tag=id_tag)
        return call_result.Authorize(id_tag_info=self._tag_info(id_tag))

    @on("StartTransaction")
    async def on_start(self, call_unique_id: str, **p: Any) -> call_result.StartTransaction:
        b = self.system.behaviour
        if b.fail_start_transaction > 0:
            b.fail_start_transaction -= 1
            raise RuntimeError("central system busy")  # becomes a CALLERROR InternalError
        if self._record("StartTransaction", call_unique_id, **p):
            self.system.tx_by_uid[call_unique_id] = next(self.system.tx_ids)
        await asyncio.sleep(b.answer_delay)
        tx = self.system.tx_by_uid[call_unique_id]
        return call_result.StartTransaction(
            transaction_id=tx, id_tag_info=self._tag_info(p["id_tag"])
        )

    @on("StopTransaction")
    async def on_stop(self, call_unique_id: str, **p: Any) -> call_result.StopTransaction:
        self._record("StopTransaction", call_unique_id, **p)
        await asyncio.sleep(self.system.behaviour.answer_delay)
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @on("MeterValues")
    async def on_meter_values(self, call_unique_id: str, **p: Any) -> call_result.MeterValues:
        self._record("MeterValues", call_unique_id, **p)
        await asyncio.sleep(self.system.behaviour.answer_delay)
        return call_result.MeterValues()

    @on("DiagnosticsStatusNotification")
    def on_diag(self, call_unique_id: str, **p: Any) -> call_result.DiagnosticsStatusNotification:
        self._record("DiagnosticsStatusNotification", call_unique_id, **p)
        return call_result.DiagnosticsStatusNotification()

    @on("FirmwareStatusNotification")
    def on_fw(self, call_unique_id: str, **p: Any) -> call_result.FirmwareStatusNotification:
        self._record("FirmwareStatusNotification", call_unique_id, **p)
        return call_result.FirmwareStatusNotification()

    @on("SecurityEventNotification")
    def on_security_event(
        self, call_unique_id: str, **p: Any
    ) -> call_result.SecurityEventNotification:
        self._record("SecurityEventNotification", call_unique_id, **p)
        return call_result.SecurityEventNotification()

    @on("LogStatusNotification")
    def on_log_status(self, call_unique_id: str, **p: Any) -> call_result.LogStatusNotification:
        self._record("LogStatusNotification", call_unique_id, **p)
        return call_result.LogStatusNotification()

    @on("SignCertificate")
    def on_sign_certificate(self, call_unique_id: str, **p: Any) -> call_result.SignCertificate:
        self._record("SignCertificate", call_unique_id, **p)
        return call_result.SignCertificate(status="Accepted")

    @on("SignedFirmwareStatusNotification")
    def on_signed_fw(
        self, call_unique_id: str, **p: Any
    ) -> call_result.SignedFirmwareStatusNotification:
        self._record("SignedFirmwareStatusNotification", call_unique_id, **p)
        return call_result.SignedFirmwareStatusNotification()

    @on("DataTransfer")
    def on_data(self, call_unique_id: str, **p: Any) -> call_result.DataTransfer:
        self._record("DataTransfer", call_unique_id, **p)
        return call_result.DataTransfer(status="UnknownVendorId")


@dataclass
class CentralSystemPeer:
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)
    duplicates: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    status: dict[tuple[str, int], str] = field(default_factory=dict)
    seen_ids: set[tuple[str, str]] = field(default_factory=set)
    tx_by_uid: dict[str, int] = field(default_factory=dict)
    tx_ids: Any = field(default_factory=lambda: itertools.count(1))
    connected: dict[str, PeerChargePoint] = field(default_factory=dict)
    server: Server | None = None
    passwords: dict[str, str] | None = None  # identity -> Basic auth password; None: no check
    ssl: ssl.SSLContext | None = None  # TLS (profiles 2 and 3); CERT_REQUIRED for mutual TLS
    refused: list[tuple[str, int]] = field(default_factory=list)  # (identity, HTTP status)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl is not None else "ws"
        host = "localhost" if self.ssl is not None else "127.0.0.1"  # the name in its certificate
        return f"{scheme}://{host}:{self.port}/ocpp"

    async def start(self, port: int = 0) -> None:
        self.server = await serve(
            self._handle,
            "127.0.0.1",
            port,
            subprotocols=[Subprotocol("ocpp1.6")],
            ssl=self.ssl,
            process_request=self._check_auth,
        )

    def _check_auth(self, ws: ServerConnection, request: Request) -> Response | None:
        if self.passwords is None:
            return None
        identity = request.path.rstrip("/").rsplit("/", 1)[-1]
        expected = base64.b64encode(f"{identity}:{self.passwords.get(identity)}".encode())
        got = request.headers.get("Authorization", "")
        if identity in self.passwords and got == f"Basic {expected.decode()}":
            return None
        self.refused.append((identity, 401))
        return ws.respond(401, "Unauthorized\n")

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        identity = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        cp = PeerChargePoint(identity, ws, self)
        self.connected[identity] = cp
        try:
            await cp.start()
        except Exception:
            pass
        finally:
            if self.connected.get(identity) is cp:
                del self.connected[identity]

    # --- what tests ask --------------------------------------------------------------------
    def of(self, action: str) -> list[Received]:
        return [r for r in self.received if r.action == action]

    def security_events(self) -> list[str]:
        """The types of the SecurityEventNotifications received, in order."""
        return [r.payload["type"] for r in self.of("SecurityEventNotification")]

    async def wait_for(self, predicate: Any, timeout: float = 20.0, what: str = "") -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)

    async def wait_connected(self, identity: str, timeout: float = 20.0) -> PeerChargePoint:
        """The charger's open connection: one it already closed (a reboot, a reconnect) may
        still be listed until its handler has noticed."""

        def open_now() -> bool:
            cp = self.connected.get(identity)
            return cp is not None and cp._connection.state is State.OPEN

        await self.wait_for(open_now, timeout)
        return self.connected[identity]

    async def call(self, identity: str, request: Any) -> Any:
        cp = await self.wait_connected(identity)
        return await cp.call(request, suppress=False)
