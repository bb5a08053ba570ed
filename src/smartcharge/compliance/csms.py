"""The compliance suite's central system: answers whatever a charger sends, records everything.

Built on our own RPC layer (`smartcharge.ocpp.rpc.RpcEndpoint` in the central-system role), so
every message a charger sends is checked against the official OCPP 1.6 schemas; a charger whose
message is invalid gets a CALLERROR and the frame is still in the log as evidence. It records,
per charger identity: every frame with its time and direction, the HTTP Basic auth password it
presented (R28), the TLS version it negotiated (R33), and every CALL it sent, in order.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.times import format_time
from smartcharge.ocpp.uk_extension import VENDOR_ID

log = logging.getLogger("smartcharge.compliance.csms")


def now_iso() -> str:
    return format_time(datetime.now(UTC))


@dataclass
class Inbound:
    """A CALL the charger sent: when we got it (real time), its action and payload."""

    at: float  # loop time
    action: str
    payload: dict[str, Any]


@dataclass
class ChargerLink:
    identity: str
    endpoint: RpcEndpoint
    tls_version: str | None
    password: str | None
    ws: ServerConnection
    local_host: str  # the suite's address as the charger reached it (for files it must fetch)


@dataclass
class CentralSystem:
    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    call_timeout: float = 15.0
    frames: list[dict[str, Any]] = field(default_factory=list)
    inbound: dict[str, list[Inbound]] = field(default_factory=dict)
    links: dict[str, ChargerLink] = field(default_factory=dict)
    passwords: dict[str, list[str | None]] = field(default_factory=dict)
    tls_versions: dict[str, list[str | None]] = field(default_factory=dict)
    status: dict[tuple[str, int], str] = field(default_factory=dict)
    transactions: dict[str, list[int]] = field(default_factory=dict)  # the ids it gave, in order
    # Called for each inbound CALL before the answer is built (scenarios watch for messages).
    listeners: list[Callable[[str, Inbound], None]] = field(default_factory=list)
    # TLS handshakes started (ClientHellos received), counted for R33's refusal check.
    handshakes: int = 0
    # How long a call waits for the charger's BootNotification (none is sent before it).
    boot_wait: float = 120.0
    _presenting: ssl.SSLContext | None = None
    # Per charger: how many BootNotifications must have arrived before a call may go out (one
    # more after each accepted Reset).
    _boots_needed: dict[str, int] = field(default_factory=dict)
    _server: Server | None = None
    _tx_ids: Any = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    # --- serving -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self.ssl_context is not None:
            self.ssl_context.sni_callback = self._hello
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            ssl=self.ssl_context,
            subprotocols=[Subprotocol("ocpp1.6")],
            process_request=self._note_credentials,
            ping_interval=None,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{self.host}:{self.port}/ocpp"

    def _note_credentials(self, conn: ServerConnection, request: Request) -> Response | None:
        identity = request.path.rstrip("/").rsplit("/", 1)[-1]
        self.passwords.setdefault(identity, []).append(_basic_password(request))
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        identity = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        ssl_object = ws.transport.get_extra_info("ssl_object")
        tls = ssl_object.version() if ssl_object is not None else None
        self.tls_versions.setdefault(identity, []).append(tls)

        def record(direction: str, text: str) -> None:
            self.frames.append(
                {"t": now_iso(), "identity": identity, "dir": direction, "frame": text}
            )

        ep = RpcEndpoint(
            ws, role="CentralSystem", timeout=self.call_timeout, on_frame=record, name=identity
        )
        self._routes(ep, identity)
        pw = (self.passwords.get(identity) or [None])[-1]
        link = ChargerLink(identity, ep, tls, pw, ws, str(ws.local_address[0]))
        self.links[identity] = link
        self._poke()
        try:
            await ep.serve()
        finally:
            if self.links.get(identity) is link:
                del self.links[identity]
            self._poke()

    def present(self, other: ssl.SSLContext | None) -> None:
        """From now on, new TLS connections get `other`'s certificate (None: our own again)."""
        if self.ssl_context is None:
            raise RuntimeError("this central system does not serve TLS")
        self._presenting = other

    def _hello(self, sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        # Called on every ClientHello (with or without SNI): a handshake the charger started.
        self.handshakes += 1
        if self._presenting is not None:
            sock.context = self._presenting
        self._poke()

    async def disconnect(self, identity: str) -> None:
        """Close the charger's websocket from our side (it is expected to reconnect)."""
        link = self.links.get(identity)
        if link is not None:
            await link.ws.close()
            await self.wait_for(lambda: identity not in self.links, 10)

    def _poke(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # --- answers -------------------------------------------------------------------------------
    def _routes(self, ep: RpcEndpoint, identity: str) -> None:
        answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "BootNotification": lambda p: {
                "currentTime": now_iso(),
                "interval": 300,
                "status": "Accepted",
            },
            "Heartbeat": lambda p: {"currentTime": now_iso()},
            "StatusNotification": lambda p: self._status(identity, p),
            "Authorize": lambda p: {"idTagInfo": {"status": "Accepted"}},
            "StartTransaction": lambda p: self._start_transaction(identity),
            "StopTransaction": lambda p: {"idTagInfo": {"status": "Accepted"}},
            "MeterValues": lambda p: {},
            "DataTransfer": lambda p: {"status": "Accepted"},
            "FirmwareStatusNotification": lambda p: {},
            "DiagnosticsStatusNotification": lambda p: {},
            "SecurityEventNotification": lambda p: {},
            "SignedFirmwareStatusNotification": lambda p: {},
            "LogStatusNotification": lambda p: {},
        }
        for action, answer in answers.items():
            ep.route(action, self._recorded(identity, action, answer), raw=True)

    def _recorded(
        self, identity: str, action: str, answer: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def handle(payload: dict[str, Any]) -> dict[str, Any]:
            item = Inbound(asyncio.get_running_loop().time(), action, payload)
            self.inbound.setdefault(identity, []).append(item)
            for listener in list(self.listeners):
                listener(identity, item)
            self._poke()
            return answer(payload)

        return handle

    def _start_transaction(self, identity: str) -> dict[str, Any]:
        tx = next(self._tx_ids)
        self.transactions.setdefault(identity, []).append(tx)
        return {"transactionId": tx, "idTagInfo": {"status": "Accepted"}}

    def _status(self, identity: str, p: dict[str, Any]) -> dict[str, Any]:
        self.status[(identity, int(p["connectorId"]))] = str(p["status"])
        return {}

    # --- what scenarios ask ----------------------------------------------------------------------
    def received(self, identity: str, action: str) -> list[Inbound]:
        return [m for m in self.inbound.get(identity, []) if m.action == action]

    def uk_messages(self, identity: str, message_id: str) -> list[tuple[float, dict[str, Any]]]:
        """The charger's org.smartcharge.uk DataTransfers of `message_id`: (time, data)."""
        out = []
        for m in self.received(identity, "DataTransfer"):
            if m.payload.get("vendorId") == VENDOR_ID and m.payload.get("messageId") == message_id:
                try:
                    data = orjson.loads(m.payload.get("data") or "{}")
                except orjson.JSONDecodeError:
                    data = {"unparsable": m.payload.get("data")}
                out.append((m.at, data))
        return out

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until `predicate()` holds (checked on every message and every 50 ms)."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    waiter = self._changed
                    try:
                        async with asyncio.timeout(0.05):
                            await waiter.wait()
                    except TimeoutError:
                        pass
        except TimeoutError:
            return False
        return True

    async def wait_connected(self, identity: str, timeout: float) -> bool:
        return await self.wait_for(lambda: identity in self.links, timeout)

    async def wait_booted(self, identity: str, timeout: float, after: int = 0) -> bool:
        """Wait for the charger's BootNotification number `after + 1`."""
        return await self.wait_for(
            lambda: len(self.received(identity, "BootNotification")) > after, timeout
        )

    def booted(self, identity: str) -> bool:
        """Whether the charger's BootNotification was accepted (since its last reset)."""
        need = self._boots_needed.get(identity, 1)
        return len(self.received(identity, "BootNotification")) >= need

    async def call(
        self, identity: str, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """A CALL to the charger, sent only once its BootNotification was accepted (OCPP 1.6
        4.2; again after a Reset it accepted), and while it is connected."""
        if not self.booted(identity) and not await self.wait_for(
            lambda: self.booted(identity) and identity in self.links, self.boot_wait
        ):
            raise ConnectionError(
                f"charger {identity!r} sent no BootNotification in {self.boot_wait:.0f} s"
                " (the suite sends nothing before it)"
            )
        link = self.links.get(identity)
        if link is None:
            raise ConnectionError(f"charger {identity!r} is not connected")
        boots = len(self.received(identity, "BootNotification"))
        answer = await link.endpoint.call_raw(action, payload, timeout=timeout)
        if action == "Reset" and answer.get("status") == "Accepted":
            self._boots_needed[identity] = boots + 1
        return answer

    def frames_of(self, identity: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["identity"] == identity]


def _basic_password(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None
