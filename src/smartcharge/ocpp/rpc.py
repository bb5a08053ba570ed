"""One OCPP-J 1.6 RPC endpoint for either role.

An `RpcEndpoint` sits on one websocket (anything with `send`/`recv`, see `Transport`):

- `serve()` reads frames until the connection closes. Answers (CALLRESULT/CALLERROR) are matched
  to our pending CALL at once, by the reader; inbound CALLs go to a queue that one worker task
  handles in arrival order. A handler may therefore `await endpoint.call(...)` itself: the reader
  is still free to read the answer.
- `call()` / `call_raw()` send one CALL and wait for its answer; a lock keeps at most one of our
  CALLs outstanding, as OCPP-J requires.
- Every payload is checked against the official schemas (`schemas`) both ways: an invalid
  inbound CALL never reaches a handler, an invalid handler response is never sent, an invalid
  outbound CALL is never sent, an invalid CALLRESULT is reported as `InvalidResponse`.

Nothing a peer sends can stop the endpoint: every fault becomes a CALLERROR or a log line.

The parts: rpc_inbound.py (answering CALLs), rpc_outbound.py (our CALLs, `prepare_call`),
rpc_state.py (the state and plumbing both share); this module reads frames and closes.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from smartcharge.ocpp.errors import (
    EndpointClosed,
    FrameError,
)
from smartcharge.ocpp.frames import (
    CALLERROR,
    CALLRESULT,
    Call,
    CallErrorFrame,
    CallResult,
    parse,
)
from smartcharge.ocpp.rpc_inbound import InboundCalls
from smartcharge.ocpp.rpc_outbound import OutboundCalls
from smartcharge.ocpp.rpc_state import (
    _CLOSED,
    _EXPIRED_IDS_KEPT,
    AfterHook,
    Handler,
    Role,
    Transport,
    _Pending,
    _Reject,
    _Route,
    log,
)
from smartcharge.ocpp.schemas import (
    ACTIONS,
    ACTIONS_TO_CENTRAL_SYSTEM,
    ACTIONS_TO_CHARGE_POINT,
)

H = TypeVar("H", bound=Callable[..., Any])


def _new_unique_id() -> str:
    return str(uuid.uuid4())


class RpcEndpoint(OutboundCalls, InboundCalls):
    """OCPP-J 1.6 RPC over one connection, as a charge point or as a central system."""

    def __init__(
        self,
        transport: Transport,
        *,
        role: Role,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_frame: Callable[[str, str], None] | None = None,
        id_factory: Callable[[], str] = _new_unique_id,
        name: str = "",
        on_invalid: Callable[[str], None] | None = None,
    ) -> None:
        if role == "ChargePoint":
            self._receives, self._sends = ACTIONS_TO_CHARGE_POINT, ACTIONS_TO_CENTRAL_SYSTEM
        elif role == "CentralSystem":
            self._receives, self._sends = ACTIONS_TO_CENTRAL_SYSTEM, ACTIONS_TO_CHARGE_POINT
        else:
            raise ValueError(f"role must be 'ChargePoint' or 'CentralSystem', not {role!r}")
        self.role: Role = role
        self.name = name
        self._transport = transport
        self._timeout = timeout
        self._sleep = sleep
        self._on_frame = on_frame
        self._on_invalid = on_invalid  # a peer sent something invalid (a security event)
        self._id_factory = id_factory
        self._routes: dict[str, _Route] = {}
        self._call_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        self._pending: dict[str, _Pending] = {}
        self._expired: collections.deque[str] = collections.deque(maxlen=_EXPIRED_IDS_KEPT)
        self._inbox: asyncio.Queue[Call | _Reject | None] = asyncio.Queue()
        self._hooks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[Any] | None = None
        self._serving = False
        self._closed = False
        self._cancelled_by_close = False

    def route(
        self,
        action: str,
        handler: Handler,
        *,
        raw: bool = False,
        after: AfterHook | None = None,
    ) -> None:
        """Handle inbound CALLs of `action` with `handler` (replacing any earlier one).

        Typed (default): `handler` gets the `ocpp.v16.call.<Action>` dataclass and returns the
        `ocpp.v16.call_result.<Action>` dataclass. Raw: it gets and returns camelCase dicts.
        `after(request, response)` runs once the CALLRESULT has been sent.
        """
        if action not in ACTIONS:
            raise ValueError(f"{action!r} is not an OCPP 1.6 action")
        if action not in self._receives:
            raise ValueError(f"a {self.role} does not receive {action}")
        self._routes[action] = _Route(handler, raw, after)

    def on(
        self, action: str, *, raw: bool = False, after: AfterHook | None = None
    ) -> Callable[[H], H]:
        """Decorator form of `route`."""

        def register(handler: H) -> H:
            self.route(action, handler, raw=raw, after=after)
            return handler

        return register

    @property
    def closed(self) -> bool:
        """True once the connection closed or `close()` was called; calls then fail at once."""
        return self._closed

    @property
    def calling(self) -> bool:
        """A CALL of ours is waiting for its answer (or for its turn)."""
        return self._call_lock.locked()

    async def serve(self) -> None:
        """Read and dispatch frames until the connection closes, then return None.

        A close is `websockets.exceptions.ConnectionClosed` from `recv()` (clean or not: the
        connection's `close_code` tells which), `EOFError` or `ConnectionError`, or `close()`:
        `serve()` returns normally for all of them, it does not re-raise ConnectionClosed.
        Pending calls then fail with `EndpointClosed`, queued inbound CALLs are dropped, and
        `serve()` returns once the handler and after-hooks in progress have finished (they see
        `EndpointClosed` if they call). If `serve()` is cancelled, it cancels them and re-raises
        CancelledError. Any other exception from `recv()` (a transport bug) propagates.
        Nothing a peer sends makes `serve()` raise.
        """
        if self._serving:
            raise RuntimeError("serve() is already running on this endpoint")
        if self._closed:
            raise EndpointClosed("endpoint is closed")
        self._serving = True
        self._reader = asyncio.current_task()
        worker = asyncio.create_task(self._work(), name=f"ocpp-worker {self.name}".strip())
        reason: BaseException | None = None
        cancelled = False
        try:
            while True:
                try:
                    raw = await self._transport.recv()
                except _CLOSED as exc:
                    reason = exc
                    break
                self._received(raw)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._cancelled_by_close and task is not None and task.cancelling() <= 1:
                task.uncancel()  # close() stopped a transport that has no close() of its own
            else:
                cancelled = True
                raise
        finally:
            self._log(logging.INFO, "connection closed", reason=type(reason).__name__)
            await self._shutdown(worker, reason, cancelled)

    def _received(self, raw: str | bytes) -> None:
        try:
            text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            self._emit("in", text)
            try:
                frame = parse(raw)
            except FrameError as err:
                if err.message_type_id in (CALLRESULT, CALLERROR):
                    # An answer we cannot read: answering an answer is not allowed, so the
                    # CALL it belonged to (if any) will time out.
                    self._log(
                        logging.WARNING,
                        "malformed answer ignored",
                        unique_id=err.unique_id,
                        reason=err.description,
                    )
                    self._invalid(f"malformed answer: {err.description}")
                    return
                self._log(
                    logging.WARNING,
                    "malformed frame",
                    unique_id=err.unique_id,
                    reason=err.description,
                )
                self._invalid(f"malformed frame: {err.description}")
                self._inbox.put_nowait(_Reject(err.unique_id, err))
                return
            if isinstance(frame, Call):
                self._inbox.put_nowait(frame)
            else:
                self._answer(frame)
        except Exception:  # pragma: no cover - the reader must outlive any bug of ours
            log.exception("unexpected error reading a frame endpoint=%r", self.name)

    def _answer(self, frame: CallResult | CallErrorFrame) -> None:
        pending = self._pending.get(frame.unique_id)
        if pending is None:
            event = (
                "late answer ignored"
                if frame.unique_id in self._expired
                else "answer for unknown id ignored"
            )
            self._log(logging.WARNING, event, unique_id=frame.unique_id)
            return
        if pending.future.done():
            self._log(logging.WARNING, "duplicate answer ignored", unique_id=frame.unique_id)
            return
        pending.future.set_result(frame)

    async def _shutdown(
        self, worker: asyncio.Task[None], reason: BaseException | None, cancelled: bool
    ) -> None:
        self._closed = True
        self._fail_pending(reason)
        if cancelled:
            worker.cancel()
            for hook in self._hooks:
                hook.cancel()
        else:
            self._inbox.put_nowait(None)
        try:
            await asyncio.gather(worker, return_exceptions=True)
            if self._hooks:
                await asyncio.gather(*self._hooks, return_exceptions=True)
        except asyncio.CancelledError:
            # Cancelled while waiting for them: gather() has cancelled what it waited for; the
            # rest goes too, so that nothing of this connection outlives serve().
            worker.cancel()
            for hook in self._hooks:
                hook.cancel()
            raise
        finally:
            self._serving = False

    def _fail_pending(self, reason: BaseException | None) -> None:
        for uid, pending in self._pending.items():
            if not pending.future.done():
                error = EndpointClosed(
                    f"{pending.action}: connection closed before {uid} was answered"
                )
                error.__cause__ = reason
                pending.future.set_exception(error)

    async def close(self) -> None:
        """Close the endpoint and its transport; `serve()` then returns as for any close.

        Pending calls fail with `EndpointClosed` at once; later calls fail likewise. The
        transport is closed with its own `close()` when it has one (websockets: a clean close
        handshake); otherwise the reader is stopped directly. Safe to call more than once and
        from a handler.
        """
        if self._closed and not self._serving:
            return
        self._closed = True
        self._fail_pending(None)
        closer = getattr(self._transport, "close", None)
        if callable(closer):
            try:
                result = closer()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                self._log(logging.WARNING, "transport close failed", reason=type(exc).__name__)
            return
        reader = self._reader
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            self._cancelled_by_close = True
            reader.cancel()
