"""The OCPP 1.6J endpoint: `ws(s)://host:port/ocpp/{identity}`, subprotocol `ocpp1.6`.

Credentials are checked before the WebSocket upgrade (`ocpp_admission`): an unknown identity or
a wrong password gets HTTP 401, too many recent failures HTTP 429, and each refusal is logged
(identity, address, reason; never the password or the header).

- Profile 1: basic auth over ws://. For local tests and a charger on the same trusted network.
- Profile 2 (the default): basic auth over TLS (wss://).
- Profile 3: TLS with a client certificate signed by `tls_client_ca`; its common name must be
  the identity. No password. A charger must still be registered.

Each connected charger gets one `RpcEndpoint` (role CentralSystem) with the handlers of
`platform.handlers`; `send()` calls a charger and returns its answer.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from smartcharge.ocpp.errors import EndpointClosed
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.rpc_outbound import PreparedCall, prepare_call
from smartcharge.platform import handlers
from smartcharge.platform.background import failed_pass
from smartcharge.platform.cluster import Cluster
from smartcharge.platform.connection_limits import ConnectionLimits
from smartcharge.platform.errors import ChargerDisconnected, ChargerOffline
from smartcharge.platform.greeting import end_greeting, greet
from smartcharge.platform.handlers.certificates import CsrSigner
from smartcharge.platform.handshake_log import logged_handshakes, ws_log
from smartcharge.platform.keepalive import Keepalive
from smartcharge.platform.lockout import Lockout, Throttle
from smartcharge.platform.ocpp_admission import (
    SUBPROTOCOL,
    Admission,
    address_of,
    limited_connections,
)
from smartcharge.platform.second_connection import record_second_connection
from smartcharge.platform.store import Credentials, Store

log = logging.getLogger("smartcharge.platform.ocpp")

LISTEN_BACKLOG = 8192


@dataclass
class Connection:
    identity: str
    charger_id: int
    endpoint: RpcEndpoint
    address: str
    since: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OcppServer:
    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        plain_port: int | None = None,
        security_profile: int = 2,
        ssl_context: ssl.SSLContext | None = None,
        lockout: Lockout | None = None,
        heartbeat_interval: int = 300,
        call_timeout: float = 30.0,
        last_seen_flush: float = 30.0,
        node_id: str = "node",
        cluster: Cluster | None = None,
        now: Callable[[], datetime] = _utcnow,
        connections: ConnectionLimits | None = None,
        handshake_timeout: float = 10.0,
        throttle: Throttle | None = None,
        ping_interval: float = 20.0,
        ping_timeout: float = 20.0,
    ) -> None:
        if security_profile not in (1, 2, 3):
            raise ValueError("security_profile must be 1, 2 or 3")
        if security_profile >= 2 and ssl_context is None:
            raise ValueError(f"security profile {security_profile} needs a TLS context")
        self.store = store
        self.host = host
        self._port = port
        self._plain_port = plain_port  # a second listener without TLS (profile 1), or None
        self._plain: Server | None = None
        self.security_profile = security_profile
        self._ssl = ssl_context
        self.lockout = lockout or Lockout()
        # A NAT'd depot shows many chargers behind one address: the per-address cap is high.
        self.limits = connections or ConnectionLimits("ocpp", total=10_000, per_address=1_000)
        self.admission = Admission(
            store,
            security_profile=security_profile,
            lockout=self.lockout,
            now=now,
            throttle=throttle,
        )
        self.heartbeat_interval = heartbeat_interval
        self.handshake_timeout = handshake_timeout
        self.keepalive = Keepalive(ping_interval, ping_timeout)  # pings quiet chargers only
        self.call_timeout = call_timeout
        self.node_id = node_id
        self.cluster = cluster  # None: a single node, commands reach local chargers only
        self._now = now
        self._last_seen_flush = last_seen_flush
        self._server: Server | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._accepted: dict[ServerConnection, Credentials] = {}
        self._seen: dict[int, datetime] = {}
        self.connections: dict[str, Connection] = {}
        self.csr_signer: CsrSigner | None = None  # the platform's CA (services/certificates)
        self.on_connected: list[Callable[[Connection], Awaitable[None]]] = []
        """Run once a newly connected charger has sent its first message (it listens then):
        what the platform must tell a charger that was away (its local list, its cache)."""

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.chargers.release_node(self.node_id)  # it may have died holding some
        if self.cluster is not None:
            await self.cluster.start(self._call_local, self._drop_local)
        self._server = await self._listen(self._port, self._ssl)
        if self._plain_port is not None and self._ssl is not None:
            self._plain = await self._listen(self._plain_port, None)
            log.warning("SECURITY WARNING: OCPP listener without TLS port=%s", self.plain_port)
        self._flusher = asyncio.create_task(self._flush_last_seen_forever())
        self._pinger = asyncio.create_task(self.keepalive.run())
        log.info(
            "OCPP server listening host=%s port=%s profile=%s node=%s",
            self.host,
            self.port,
            self.security_profile,
            self.node_id,
        )

    async def _listen(self, port: int, tls: ssl.SSLContext | None) -> Server:
        return await serve(
            self._serve_charger,
            self.host,
            port,
            ssl=tls,
            subprotocols=[Subprotocol(SUBPROTOCOL)],
            process_request=self._check_request,
            server_header="smartcharge",
            logger=ws_log,
            # The handshake's limit is kept by the connection class, which logs one that runs
            # out (handshake_log.py); the TLS handshake has the same limit.
            open_timeout=None,
            ping_interval=None,  # keepalive.py: only quiet chargers are pinged
            create_connection=logged_handshakes(
                limited_connections(self.limits), self.handshake_timeout
            ),
            ssl_handshake_timeout=self.handshake_timeout if tls else None,
            # A node's chargers all reconnect at once after a restart: with asyncio's 100 the
            # kernel's accept queue overflowed and ~2 % of 5,000 were dropped before the server
            # saw them (bench/platform.md, "Boot storm"). The kernel caps it (somaxconn).
            backlog=LISTEN_BACKLOG,
        )

    async def stop(self) -> None:
        for server in (self._server, self._plain):
            if server is not None:
                server.close()
                await server.wait_closed()
        for task in (self._flusher, self._pinger):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._flush_last_seen()
        if self.cluster is not None:
            await self.cluster.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def profiles(self) -> frozenset[int]:
        """The security profiles chargers can connect with here."""
        if self._ssl is None:
            return frozenset({1})
        served = {1} if self._plain_port is not None else set()
        if self._ssl.verify_mode != ssl.CERT_REQUIRED:
            served.add(2)
        if self._ssl.verify_mode != ssl.CERT_NONE:
            served.add(3)
        return frozenset(served)

    @property
    def plain_port(self) -> int | None:
        """The profile-1 listener's port, when there is one."""
        return int(self._plain.sockets[0].getsockname()[1]) if self._plain else None

    # --- commands ------------------------------------------------------------------------------

    def is_connected(self, identity: str) -> bool:
        return identity in self.connections

    async def send(
        self,
        identity: str,
        action: str,
        payload: dict[str, Any],
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `action` on the charger and return its CALLRESULT payload.

        Raises `ChargerOffline` (not connected here), `ChargerDisconnected` (a `ChargerOffline`:
        the connection closed while the call waited for the answer),
        `smartcharge.ocpp.CallTimeout` (no answer within `timeout`, default `call_timeout`),
        `smartcharge.ocpp.CallError` (the charger answered CALLERROR) or
        `InvalidResponse`; an invalid `payload` raises its `OcppError` and nothing is sent.
        With a cluster, a charger connected to another node is called through it.
        """
        wait = self.call_timeout if timeout is None else timeout
        if identity not in self.connections and self.cluster is not None:
            return await self.cluster.call(identity, action, payload, wait)
        return await self._call_local(identity, action, payload, wait)

    async def _call_local(
        self, identity: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        conn = self.connections.get(identity)
        if conn is None:
            raise ChargerOffline(identity)
        try:
            return await conn.endpoint.call_raw(action, payload, timeout=timeout)
        except EndpointClosed:
            raise ChargerDisconnected(identity) from None

    async def send_many(
        self,
        identities: list[str],
        action: str,
        payload: dict[str, Any],
        timeout: float | None = None,
    ) -> list[dict[str, Any] | Exception]:
        """The same CALL to many chargers at once; each one's answer or exception (what `send`
        raises), in the order of `identities`.

        The payload is validated and encoded once, not once per charger (only the unique id
        differs), and every local CALL goes out before the first answer is awaited. An invalid
        payload raises its `OcppError` and nothing is sent.
        """
        wait = self.call_timeout if timeout is None else timeout
        prepared = prepare_call(action, payload)
        results = await asyncio.gather(
            *(self._send_prepared(i, prepared, payload, wait) for i in identities),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancelled: not an answer
        return results  # type: ignore[return-value]

    async def _send_prepared(
        self, identity: str, prepared: PreparedCall, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        conn = self.connections.get(identity)
        if conn is None:
            if self.cluster is not None:
                return await self.cluster.call(identity, prepared.action, payload, timeout)
            raise ChargerOffline(identity)
        try:
            return await conn.endpoint.call_prepared(prepared, timeout=timeout)
        except EndpointClosed:
            raise ChargerDisconnected(identity) from None

    async def _drop_local(self, identity: str) -> None:
        """Another node has accepted this charger: this connection is stale."""
        conn = self.connections.get(identity)
        if conn is not None:
            await self._second_connection(conn, None)

    async def _second_connection(self, previous: Connection, new: Connection | None) -> None:
        """The newest connection with an identity takes over (`second_connection.py`)."""
        where = f"from {new.address}" if new is not None else "on another node"
        await record_second_connection(
            self.store,
            previous.charger_id,
            previous.identity,
            where,
            previous.address,
            previous.since,
            self._now(),
        )
        await previous.endpoint.close()

    async def wait_connected(self, identity: str, timeout: float = 10.0) -> Connection:
        async with asyncio.timeout(timeout):
            while identity not in self.connections:
                await asyncio.sleep(0.01)
        return self.connections[identity]

    # --- the upgrade request: who is it? (ocpp_admission) --------------------------------------

    async def _check_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        verdict = await self.admission.check(connection, request)
        if isinstance(verdict, Response):
            return verdict
        self._accepted[connection] = verdict
        return None

    # --- after the upgrade: serve it ----------------------------------------------------------

    async def _serve_charger(self, ws: ServerConnection) -> None:
        credentials = self._accepted.pop(ws, None)
        if credentials is None:  # pragma: no cover - process_request always runs first
            await ws.close(1008, "not authenticated")
            return
        identity, charger_id = credentials.identity, credentials.id
        if ws.subprotocol != SUBPROTOCOL:  # pragma: no cover - checked before the upgrade
            await ws.close(1002, "ocpp1.6 required")
            return

        heard = asyncio.Event()
        keepalive = self.keepalive

        def seen(direction: str, _text: str) -> None:
            if direction == "in":
                self._seen[charger_id] = self._now()
                keepalive.heard(ws)
                heard.set()

        endpoint = RpcEndpoint(
            ws, role="CentralSystem", timeout=self.call_timeout, on_frame=seen, name=identity
        )
        ctx = handlers.ChargerContext(
            self.store,
            charger_id,
            identity,
            self.heartbeat_interval,
            self._now,
            certificates=self.csr_signer,
        )
        handlers.install(endpoint, ctx)
        conn = Connection(identity, charger_id, endpoint, address_of(ws), self._now())
        previous = self.connections.get(identity)
        self.connections[identity] = conn
        if previous is not None:
            await self._second_connection(previous, conn)
        await self.store.chargers.connected(charger_id, self.node_id, at=conn.since)
        log.info("charger connected identity=%s address=%s", identity, conn.address)
        greeting = asyncio.create_task(greet(conn, heard, self.on_connected))
        keepalive.add(ws, identity)
        try:
            if self.cluster is not None:
                await self.cluster.attach(identity)
            await endpoint.serve()
        finally:
            keepalive.remove(ws)
            await end_greeting(greeting, heard)
            if self.connections.get(identity) is conn:
                del self.connections[identity]
                try:
                    if self.cluster is not None:
                        await self.cluster.detach(identity)
                    await self.store.chargers.disconnected(charger_id, self.node_id, at=self._now())
                except Exception:
                    log.exception("disconnection not recorded identity=%s", identity)
            log.info("charger disconnected identity=%s code=%s", identity, ws.close_code)

    # --- last seen, in batches ---------------------------------------------------------------

    async def _flush_last_seen_forever(self) -> None:
        while True:
            await asyncio.sleep(self._last_seen_flush)
            try:
                await self._flush_last_seen()
            except Exception:
                failed_pass(log, "last-seen times not written")

    async def _flush_last_seen(self) -> None:
        seen, self._seen = self._seen, {}
        await self.store.chargers.seen(seen)
