"""What both halves of an OCPP-J endpoint share (rpc.py has the whole picture): the endpoint's
state, the transport it sits on, sending a frame and logging without payloads."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson
from websockets.exceptions import ConnectionClosed

from smartcharge.ocpp.errors import (
    OcppError,
)
from smartcharge.ocpp.frames import (
    Call,
    Frame,
    dumps,
)

log = logging.getLogger("smartcharge.ocpp")

Role = Literal["ChargePoint", "CentralSystem"]


Handler = Callable[[Any], Any]
"""Takes the request (dataclass, or dict when raw) and returns the response, or an awaitable."""


AfterHook = Callable[[Any, Any], Any]
"""Takes (request, response) once the CALLRESULT is sent; may return an awaitable."""


_CLOSED: tuple[type[BaseException], ...] = (ConnectionClosed, EOFError, ConnectionError)


_EXPIRED_IDS_KEPT = 64


class Transport(Protocol):
    """A message-oriented connection; a `websockets` connection is one."""

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...


@dataclass(frozen=True, slots=True)
class _Route:
    handler: Handler
    raw: bool
    after: AfterHook | None


@dataclass(frozen=True, slots=True)
class _Pending:
    action: str
    future: asyncio.Future[Frame]


@dataclass(frozen=True, slots=True)
class _Reject:
    """A frame that was not a usable CALL: answer it with `error`, in arrival order."""

    unique_id: str
    error: OcppError


class EndpointState:
    """The state `RpcEndpoint.__init__` sets up, and the plumbing every part uses."""

    role: Role
    name: str
    _receives: frozenset[str]
    _sends: frozenset[str]
    _transport: Transport
    _timeout: float
    _sleep: Callable[[float], Awaitable[None]] | None
    _on_frame: Callable[[str, str], None] | None
    _on_invalid: Callable[[str], None] | None
    _id_factory: Callable[[], str]
    _routes: dict[str, _Route]
    _call_lock: asyncio.Lock
    _send_lock: asyncio.Lock
    _pending: dict[str, _Pending]
    _expired: collections.deque[str]
    _inbox: asyncio.Queue[Call | _Reject | None]
    _hooks: set[asyncio.Task[None]]
    _reader: asyncio.Task[Any] | None
    _serving: bool
    _closed: bool
    _cancelled_by_close: bool

    def _invalid(self, what: str) -> None:
        if self._on_invalid is not None:
            try:
                self._on_invalid(what)
            except Exception:
                log.exception("on_invalid callback failed endpoint=%r", self.name)

    async def _send(self, text: str) -> None:
        self._emit("out", text)
        async with self._send_lock:
            await self._transport.send(text)

    def _emit(self, direction: str, text: str) -> None:
        if self._on_frame is None:
            return
        try:
            self._on_frame(direction, text)
        except Exception:
            log.exception("on_frame hook failed endpoint=%r", self.name)

    def _log(self, level: int, event: str, *, exc_info: bool = False, **fields: Any) -> None:
        # key=value in the text for humans, the same fields under extra["ocpp"] for machines.
        # Payloads are never logged: ChangeConfiguration can carry the AuthorizationKey.
        if not log.isEnabledFor(level):
            return
        fields = {"endpoint": self.name, **fields}
        text = " ".join(f"{key}={value!r}" for key, value in fields.items())
        log.log(level, "%s %s", event, text, exc_info=exc_info, extra={"ocpp": fields})


def _plain(payload: Any) -> Any:
    """`payload` as the peer will read it: through JSON and back (so what is validated is
    exactly what is sent: enums become strings, tuples lists, NaN null, Decimal a number)."""
    return orjson.loads(dumps(payload))


def _short(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
