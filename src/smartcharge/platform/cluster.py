"""Several platform nodes: a command reaches the node holding the charger's websocket via NATS.

Every node connects to the same NATS server (`bus_url`); they share one PostgreSQL database.

- A node that accepts a charger subscribes to `<prefix>.charger.<identity>`: the subscription *is*
  the record of where the charger is, and it disappears with the node (NATS drops a dead
  client's subscriptions), so there is nothing stale to clean up.
- `OcppServer.send` for a charger that is not connected here makes a NATS request on that
  subject; the holding node makes the OCPP call and replies with the answer or the error, which
  the caller re-raises as if the charger were local. With no node subscribed, NATS answers "no
  responders" at once: `ChargerOffline`.
- A node that accepts a charger also publishes on `<prefix>.connected.<identity>`; a node still
  holding an older connection of the same charger (half-open after a network fault) closes it,
  as a single node does for a reconnect.

The bus carries commands only. What chargers send is written to the shared database by the node
they are connected to, before it is acknowledged, so a node's death loses nothing: its chargers
reconnect (through the load balancer) to another node and resend what was not acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    InvalidResponse,
    OcppError,
    error_for_code,
)
from smartcharge.platform.errors import ChargerDisconnected, ChargerOffline

log = logging.getLogger("smartcharge.platform.cluster")

LocalSend = Callable[[str, str, dict[str, Any], float], Awaitable[dict[str, Any]]]
"""Call a charger connected to this node: (identity, action, payload, timeout) -> answer."""

REPLY_MARGIN_S = 2.0
"""How much longer than the charger's own timeout a caller waits for the holding node's reply."""


def subject_token(identity: str) -> str:
    """An identity as one NATS subject token: '.' separates tokens, so it is escaped ('%' is
    not an identity character, so the mapping is one to one)."""
    return identity.replace(".", "%2E")


class Cluster:
    """This node's link to the others. `start()` it before the OCPP server accepts chargers."""

    def __init__(self, url: str, node_id: str, *, prefix: str = "smartcharge") -> None:
        self.url = url
        self.node_id = node_id
        self.prefix = prefix
        self._nc: Client | None = None
        self._local: LocalSend | None = None
        self._takeover: Callable[[str], Awaitable[None]] | None = None
        self._subs: dict[str, Subscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(
        self,
        local_send: LocalSend | None = None,
        on_takeover: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Connect. Without `local_send` this is a client only (the CLI): it sends commands but
        holds no chargers. Raises `ConnectionError` when the broker is unreachable."""
        try:
            self._nc = await nats.connect(
                self.url,
                name=f"smartcharge-platform-{self.node_id}",
                connect_timeout=5,
                allow_reconnect=True,
                max_reconnect_attempts=-1,  # a broker restart must not cut a node off for good
                reconnect_time_wait=1,
                error_cb=self._log_error,
                disconnected_cb=self._log_disconnected,
                reconnected_cb=self._log_reconnected,
            )
        except (OSError, nats.errors.Error) as exc:
            raise ConnectionError(f"the bus at {self.url} is unreachable: {exc!r}") from None
        self._local = local_send
        self._takeover = on_takeover
        if on_takeover is not None:
            await self._nc.subscribe(f"{self.prefix}.connected.*", cb=self._on_connected)
        log.info("bus connected url=%s node=%s prefix=%s", self.url, self.node_id, self.prefix)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.drain()  # answers in progress still go out
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._subs.clear()

    @property
    def _client(self) -> Client:
        assert self._nc is not None, "start() first"
        return self._nc

    # --- where chargers are --------------------------------------------------------------------

    async def attach(self, identity: str) -> None:
        """The charger is now connected here: route its commands here, and tell the others."""
        if identity not in self._subs:
            self._subs[identity] = await self._client.subscribe(
                self._charger_subject(identity), cb=self._on_call
            )
        await self._client.publish(
            f"{self.prefix}.connected.{subject_token(identity)}",
            orjson.dumps({"identity": identity, "node": self.node_id}),
        )

    async def detach(self, identity: str) -> None:
        sub = self._subs.pop(identity, None)
        if sub is not None and not self._client.is_closed:
            await sub.unsubscribe()

    async def _on_connected(self, msg: Msg) -> None:
        note = orjson.loads(msg.data)
        if note["node"] != self.node_id and note["identity"] in self._subs:
            log.info("charger moved node identity=%s to=%s", note["identity"], note["node"])
            assert self._takeover is not None
            await self._takeover(note["identity"])

    # --- commands ------------------------------------------------------------------------------

    def _charger_subject(self, identity: str) -> str:
        return f"{self.prefix}.charger.{subject_token(identity)}"

    async def call(
        self, identity: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """Call a charger connected to another node; raises what a local call would raise."""
        request = orjson.dumps(
            {"identity": identity, "action": action, "payload": payload, "timeout": timeout}
        )
        try:
            msg = await self._client.request(
                self._charger_subject(identity), request, timeout=timeout + REPLY_MARGIN_S
            )
        except NoRespondersError:
            raise ChargerOffline(identity) from None
        except NatsTimeout:
            raise CallTimeout(action, "", timeout) from None
        return _unpack(identity, action, orjson.loads(msg.data))

    async def _on_call(self, msg: Msg) -> None:
        # Each call in its own task: a slow charger must not hold up the commands of others.
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: Msg) -> None:
        try:
            req = orjson.loads(msg.data)
            identity, action = str(req["identity"]), str(req["action"])
            payload, timeout = req["payload"], float(req["timeout"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("bad command on the bus subject=%s", msg.subject)
            return
        if self._local is None:  # pragma: no cover - a client never subscribes
            return
        try:
            reply: dict[str, Any] = {
                "result": await self._local(identity, action, payload, timeout)
            }
        except ChargerDisconnected:
            reply = {"error": "disconnected"}
        except ChargerOffline:
            reply = {"error": "offline"}
        except CallTimeout as exc:
            reply = {"error": "timeout", "timeout": exc.timeout}
        except CallError as exc:
            reply = {
                "error": "call_error",
                "code": exc.code,
                "description": exc.description,
                "details": exc.details,
            }
        except InvalidResponse as exc:
            reply = {"error": "invalid_response", **_ocpp_error(exc.error)}
        except OcppError as exc:  # the payload failed validation: nothing was sent
            reply = {"error": "invalid_request", **_ocpp_error(exc)}
        except Exception:
            log.exception("command failed identity=%s action=%s", identity, action)
            reply = {"error": "internal"}
        await msg.respond(orjson.dumps(reply))

    # --- logging --------------------------------------------------------------------------------

    async def _log_error(self, exc: Exception) -> None:
        log.warning("bus error node=%s error=%r", self.node_id, exc)

    async def _log_disconnected(self) -> None:
        log.warning("bus disconnected node=%s", self.node_id)

    async def _log_reconnected(self) -> None:
        log.info("bus reconnected node=%s", self.node_id)


def _ocpp_error(err: OcppError) -> dict[str, Any]:
    return {"code": err.code, "description": err.description, "details": err.details}


def _unpack(identity: str, action: str, reply: dict[str, Any]) -> dict[str, Any]:
    error = reply.get("error")
    if error is None:
        result: dict[str, Any] = reply["result"]
        return result
    if error == "offline":
        raise ChargerOffline(identity)
    if error == "disconnected":
        raise ChargerDisconnected(identity)
    if error == "timeout":
        raise CallTimeout(action, "", float(reply["timeout"]))
    if error == "call_error":
        raise CallError(reply["code"], reply["description"], reply["details"], action)
    if error in ("invalid_response", "invalid_request"):
        err = error_for_code(reply["code"])(reply["description"], reply["details"])
        if error == "invalid_response":
            raise InvalidResponse(action, err)
        raise err
    raise RuntimeError(f"{action} to {identity!r} failed on the node holding it")
