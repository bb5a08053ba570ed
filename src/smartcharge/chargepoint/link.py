"""The OCPP connection: connect, boot, heartbeat, deliver the outbox, reconnect.

- ws/wss with subprotocol `ocpp1.6`; what to dial (URL, Basic auth header, TLS context) comes
  from `security` each attempt (security/connection.py: profiles 1-3), which also hears how
  each attempt went (security events, the fallback after a failed profile change). The
  password goes into the Authorization header only, never a log line.
- Reconnect with randomised exponential back-off, so a fleet that lost its central system does
  not come back in one wave.
- BootNotification first and nothing else until Accepted (Pending and Rejected honour the
  interval); then every connector's status, heartbeats, and the outbox.
- The outbox is delivered strictly in order; a message is removed only when its result has been
  applied (store.outbox_delivered does both in one SQLite transaction). After a crash the same
  message goes again with the same message id, so a central system can recognise a resend.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import ssl
from collections.abc import Callable
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from smartcharge.chargepoint.security.replay import ReplayGuard
from smartcharge.chargepoint.security.tls import TlsSetupError
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.store_outbox import OutboxItem
from smartcharge.clock import Clock
from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse
from smartcharge.ocpp.rpc import RpcEndpoint

log = logging.getLogger("smartcharge.chargepoint.link")

SUBPROTOCOL = Subprotocol("ocpp1.6")
RECONNECT_GRACE_S = 1.0
STORAGE_RETRY_S = 30.0  # a full disk: how long before the outbox tries its head again


class Settings(Protocol):
    def int_value(self, name: str) -> int: ...

    def str_value(self, name: str) -> str: ...

    def change(self, key: str, value: str) -> str: ...


class Dial(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def ssl(self) -> ssl.SSLContext | None: ...


class Security(Protocol):
    def attempt(self) -> Dial:
        """What to dial now; raises TlsSetupError when the profile's material is missing."""
        ...

    def connected(self) -> None: ...

    def failed(self, exc: BaseException) -> None: ...


class NetworkLink(Protocol):
    def is_up(self) -> bool: ...

    def on_change(self, callback: Callable[[bool], None]) -> None: ...


class Link:
    def __init__(
        self,
        *,
        identity: str,
        security: Security,
        station: Station,
        store: Store,
        settings: Settings,
        clock: Clock,
        network: NetworkLink,
        boot_payload: Callable[[], dict[str, Any]],
        register_handlers: Callable[[RpcEndpoint], None],
        call_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        backoff: tuple[float, float] = (1.0, 60.0),
        rng: random.Random | None = None,
        on_frame: Callable[[str, str], None] | None = None,
        on_invalid: Callable[[str], None] | None = None,
        on_replay: Callable[[str], None] | None = None,
        on_time: Callable[[object, float], object] | None = None,
    ) -> None:
        self.identity = identity
        self.security = security
        self.station = station
        self.store = store  # the durable outbox
        self.settings = settings
        self.clock = clock
        self.network = network
        self._boot_payload = boot_payload
        self._register = register_handlers
        self._call_timeout = call_timeout
        self._connect_timeout = connect_timeout
        self._backoff = backoff
        self._rng = rng or random.SystemRandom()
        self._on_frame = on_frame
        self._on_invalid = on_invalid
        self._on_replay = on_replay
        self._on_time = on_time  # the central system's currentTime, and half the round trip
        self.endpoint: RpcEndpoint | None = None
        self._ws: ClientConnection | None = None
        self._accepted = False
        self.boot_accepted = False  # once per boot of the software (OCPP 4.2)
        self._outbox_wake = asyncio.Event()
        self._network_up = asyncio.Event()
        if network.is_up():
            self._network_up.set()
        self.connected_once = asyncio.Event()

    # --- the Online interface the station uses --------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.endpoint is not None and self._accepted

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        endpoint = self.endpoint
        if endpoint is None:
            raise ConnectionError("not connected")
        return await self._call(endpoint, action, payload)

    async def _call(
        self, endpoint: RpcEndpoint, action: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        sent = self.clock.monotonic()
        result = await endpoint.call_raw(action, payload, timeout=self._call_timeout)
        if self._on_time is not None and action in ("BootNotification", "Heartbeat"):
            try:
                self._on_time(result.get("currentTime"), (self.clock.monotonic() - sent) / 2)
            except Exception:  # setting the clock must never break the connection
                log.exception("the central system's time could not be applied")
        return result

    def wake_outbox(self) -> None:
        self._outbox_wake.set()

    # --- connection loop -----------------------------------------------------------------------
    def on_network(self, up: bool) -> None:
        if up:
            self._network_up.set()
            return
        self._network_up.clear()
        ws = self._ws
        if ws is not None:
            # A pulled cable: no closing handshake reaches the other side.
            ws.transport.abort()

    async def reconnect(self, grace_s: float = RECONNECT_GRACE_S) -> None:
        """Close the connection (a normal close); the loop dials again with `security`.

        Called right after a CallResult: `grace_s` (real time: it is about the network) lets
        the central system read that CallResult first; a peer that is still busy with an
        earlier frame when the close arrives may otherwise never see it."""
        await asyncio.sleep(grace_s)
        ws = self._ws
        if ws is not None:
            await ws.close()

    async def run(self) -> None:
        failures = 0
        while True:
            await self._network_up.wait()
            try:
                ping = self.settings.int_value("WebSocketPingInterval")
                dial = self.security.attempt()
                ws = await connect(
                    dial.url,
                    subprotocols=[SUBPROTOCOL],
                    additional_headers=dial.headers,
                    ssl=dial.ssl,
                    open_timeout=self._connect_timeout,
                    ping_interval=ping if ping > 0 else None,
                    ping_timeout=ping if ping > 0 else None,
                    max_size=2**20,
                )
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError, TlsSetupError) as exc:
                self.security.failed(exc)
                failures += 1
                delay = self._delay(failures)
                log.info("connect failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                await self.clock.sleep(delay)
                continue
            if ws.subprotocol != SUBPROTOCOL:
                log.warning("central system did not agree to ocpp1.6; closing")
                await ws.close()
                failures += 1
                await self.clock.sleep(self._delay(failures))
                continue
            failures = 0
            self.security.connected()
            log.info("connected to central system")
            await self._serve(ws)
            log.info("connection to central system lost")
            await self.clock.sleep(self._delay(1))

    def _delay(self, failures: int) -> float:
        lo, hi = self._backoff
        return self._rng.uniform(lo, min(hi, lo * 2 ** min(failures, 16)))

    async def _serve(self, ws: ClientConnection) -> None:
        # A CALL reusing a message id is refused or answered again, never executed twice.
        transport = ReplayGuard(ws, self._on_replay or (lambda what: None))
        endpoint = RpcEndpoint(
            transport,
            role="ChargePoint",
            timeout=self._call_timeout,
            on_frame=self._on_frame,
            name=self.identity,
            on_invalid=self._on_invalid,
        )
        self._register(endpoint)
        self._ws = ws
        self.endpoint = endpoint
        self._accepted = False
        reader = asyncio.ensure_future(endpoint.serve())
        session = asyncio.ensure_future(self._session(endpoint))
        try:
            await asyncio.wait({reader, session}, return_when=asyncio.FIRST_COMPLETED)
            if session.done() and not session.cancelled() and session.exception():
                log.error("session ended with an error", exc_info=session.exception())
        finally:
            self._accepted = False
            self.endpoint = None
            self._ws = None
            for t in (reader, session):
                t.cancel()
            await asyncio.gather(reader, session, return_exceptions=True)
            await ws.close()

    async def _session(self, endpoint: RpcEndpoint) -> None:
        if not self.boot_accepted:
            await self._boot(endpoint)
        self._accepted = True
        self.connected_once.set()
        self.station.resend_all_statuses()
        await asyncio.gather(self._heartbeats(endpoint), self._pump(endpoint))

    async def _boot(self, endpoint: RpcEndpoint) -> None:
        while True:
            try:
                result = await self._call(endpoint, "BootNotification", self._boot_payload())
            except (CallError, CallTimeout, InvalidResponse) as exc:
                log.warning("BootNotification failed: %s", type(exc).__name__)
                await self.clock.sleep(self._delay(3))
                continue
            interval = int(result.get("interval", 0))
            status = result.get("status")
            if status == "Accepted":
                if interval > 0:
                    self.settings.change("HeartbeatInterval", str(interval))
                self.boot_accepted = True
                log.info("boot accepted")
                return
            # Pending or Rejected: wait the interval the central system asked for, then retry.
            wait = interval if interval > 0 else self.settings.int_value("HeartbeatInterval")
            log.info("boot %s; retrying in %s s", status, wait)
            await self.clock.sleep(wait)

    async def _heartbeats(self, endpoint: RpcEndpoint) -> None:
        while True:
            interval = max(1, self.settings.int_value("HeartbeatInterval"))
            await self.clock.sleep(interval)
            try:
                await self._call(endpoint, "Heartbeat", {})
            except (CallError, CallTimeout, InvalidResponse) as exc:
                log.info("heartbeat failed: %s", type(exc).__name__)

    async def _pump(self, endpoint: RpcEndpoint) -> None:
        store = self.store
        while True:
            item = store.outbox_head()
            if item is None:
                self._outbox_wake.clear()
                if store.outbox_head() is None:
                    await self._outbox_wake.wait()
                continue
            try:
                await self._deliver(endpoint, item)
            except (sqlite3.Error, OSError) as exc:
                # A full disk (MemoryExhaustion): the message stays at the head; sent again
                # later with the same message id.
                failed = self.station.storage_failed
                if failed is None or not failed("outbox", exc):
                    raise
                await self.clock.sleep(STORAGE_RETRY_S)

    async def _deliver(self, endpoint: RpcEndpoint, item: OutboxItem) -> None:
        store = self.store
        payload = dict(item.payload)
        if item.action in ("MeterValues", "StopTransaction") and item.tx_local_id is not None:
            session = store.session(item.tx_local_id)
            if session is None or session.transaction_id is None:
                # The start was never accepted by a central system (dropped after its
                # attempts): there is no transaction id to attach this to.
                log.error("dropping %s of an unregistered transaction", item.action)
                store.outbox_drop(item.seq)
                return
            payload["transactionId"] = session.transaction_id
        try:
            result = await endpoint.call_raw(
                item.action, payload, timeout=self._call_timeout, unique_id=item.unique_id
            )
        except (CallError, CallTimeout, InvalidResponse) as exc:
            attempts = item.attempts + 1
            limit = max(1, self.settings.int_value("TransactionMessageAttempts"))
            if attempts >= limit:
                log.error("%s not accepted after %s attempts; dropped", item.action, attempts)
                if item.action == "StartTransaction" and item.tx_local_id is not None:
                    store.mark_start_abandoned(item.tx_local_id)
                store.outbox_drop(item.seq)
                return
            store.outbox_failed(item.seq)
            wait = self.settings.int_value("TransactionMessageRetryInterval") * attempts
            log.warning("%s failed (%s); retry in %s s", item.action, type(exc).__name__, wait)
            await self.clock.sleep(wait)
            return
        except ConnectionClosed:
            raise
        if item.action == "StartTransaction":
            info = result.get("idTagInfo", {})
            store.outbox_delivered(
                item, transaction_id=int(result["transactionId"]), status=info.get("status")
            )
            if item.tx_local_id is not None:
                self.station.on_start_result(item.tx_local_id, info)
        else:
            store.outbox_delivered(item)
