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
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import orjson
from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.v16 import call as ocpp_call
from ocpp.v16 import call_result as ocpp_call_result
from websockets.exceptions import ConnectionClosed

from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    EndpointClosed,
    FormationViolation,
    FrameError,
    InternalError,
    InvalidResponse,
    NotImplementedAction,
    NotSupported,
    OcppError,
)
from smartcharge.ocpp.frames import (
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallErrorFrame,
    CallResult,
    Frame,
    dumps,
    encode,
    parse,
    valid_unique_id,
)
from smartcharge.ocpp.schemas import (
    ACTIONS,
    ACTIONS_TO_CENTRAL_SYSTEM,
    ACTIONS_TO_CHARGE_POINT,
    validate_request,
    validate_response,
)

log = logging.getLogger("smartcharge.ocpp")

Role = Literal["ChargePoint", "CentralSystem"]
Handler = Callable[[Any], Any]
"""Takes the request (dataclass, or dict when raw) and returns the response, or an awaitable."""
AfterHook = Callable[[Any, Any], Any]
"""Takes (request, response) once the CALLRESULT is sent; may return an awaitable."""
H = TypeVar("H", bound=Callable[..., Any])

# What a transport raises from recv()/send() once the connection is gone.
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


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A CALL's action and payload, validated and encoded once (`prepare_call`), to be sent to
    many endpoints with `RpcEndpoint.call_prepared`: a DSR event to thousands of chargers
    differs only in its unique id, so the schema check and the JSON encoding are not repeated
    per charger."""

    action: str
    body: str  # the payload as JSON text, exactly as validated


def prepare_call(action: str, payload: dict[str, Any]) -> PreparedCall:
    """Check `payload` for `action` as `call_raw` does (NotImplementedAction, FormationViolation
    or the schema's OcppError) and encode it."""
    if action not in ACTIONS:
        raise NotImplementedAction(f"unknown action {_short(action)!r}")
    try:
        body = dumps(payload)
    except TypeError as exc:
        raise FormationViolation(f"{action} request: payload is not JSON: {exc}") from None
    # What is validated is what is sent: the payload as the peer will read it.
    validate_request(action, orjson.loads(body))
    return PreparedCall(action, body)


class _BadResponse(Exception):
    """A handler returned something that cannot be sent as the CALLRESULT."""


def _new_unique_id() -> str:
    return str(uuid.uuid4())


class RpcEndpoint:
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

    # --- routing -------------------------------------------------------------------------------

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

    # --- reading -------------------------------------------------------------------------------

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

    def _invalid(self, what: str) -> None:
        if self._on_invalid is not None:
            try:
                self._on_invalid(what)
            except Exception:
                log.exception("on_invalid callback failed endpoint=%r", self.name)

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

    # --- handling inbound CALLs ----------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            item = await self._inbox.get()
            if item is None:
                return
            if self._closed:
                self._log(logging.INFO, "inbound CALL dropped: closed", unique_id=item.unique_id)
                continue
            try:
                if isinstance(item, _Reject):
                    await self._reply_error(item.unique_id, item.error, None)
                else:
                    await self._handle_call(item)
            except Exception:  # pragma: no cover - the worker must outlive any bug of ours
                log.exception("unexpected error handling a CALL endpoint=%r", self.name)

    async def _handle_call(self, call: Call) -> None:
        action, uid = call.action, call.unique_id
        route = self._routes.get(action)
        try:
            if action not in ACTIONS:
                raise NotImplementedAction(f"unknown action {_short(action)!r}")
            if action not in self._receives:
                raise NotSupported(f"a {self.role} does not accept {action}")
            if route is None:
                raise NotSupported(f"{action} is not supported by this {self.role}")
            validate_request(action, call.payload)
        except OcppError as err:
            self._log(
                logging.WARNING,
                "CALL refused",
                action=_short(action),
                unique_id=uid,
                code=err.code,
                reason=err.description,
            )
            self._invalid(f"{err.code}: {err.description}")
            await self._reply_error(uid, err, action)
            return

        request: Any = call.payload
        try:
            if not route.raw:
                request = getattr(ocpp_call, action)(**camel_to_snake_case(call.payload))
            result = route.handler(request)
            if inspect.isawaitable(result):
                result = await result
        except OcppError as err:
            self._log(
                logging.INFO,
                "handler answered CALLERROR",
                action=action,
                unique_id=uid,
                code=err.code,
                reason=err.description,
            )
            await self._reply_error(uid, err, action)
            return
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being stopped
            self._log(logging.ERROR, "handler was cancelled", action=action, unique_id=uid)
            await self._reply_error(uid, InternalError(), action)
            return
        except Exception:
            self._log(logging.ERROR, "handler failed", exc_info=True, action=action, unique_id=uid)
            await self._reply_error(uid, InternalError(), action)
            return

        try:
            payload = self._response_payload(action, route, result)
        except (OcppError, _BadResponse) as err:
            reason = err.description if isinstance(err, OcppError) else str(err)
            self._log(
                logging.ERROR,
                "handler returned an invalid response",
                action=action,
                unique_id=uid,
                reason=reason,
            )
            await self._reply_error(uid, InternalError(), action)
            return

        sent = await self._send_reply(encode(CallResult(uid, payload)), action, uid)
        if sent and route.after is not None:
            hook = asyncio.create_task(
                self._run_after(route.after, request, result, action, uid),
                name=f"ocpp-after {action} {uid}",
            )
            self._hooks.add(hook)
            hook.add_done_callback(self._hooks.discard)

    def _response_payload(self, action: str, route: _Route, result: Any) -> dict[str, Any]:
        if route.raw:
            if not isinstance(result, dict):
                raise _BadResponse(f"raw handler returned {type(result).__name__}, not a dict")
            payload: Any = result
        else:
            expected = getattr(ocpp_call_result, action)
            if type(result) is not expected:
                raise _BadResponse(
                    f"handler returned {type(result).__name__}, not call_result.{action}"
                )
            payload = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
        try:
            plain: dict[str, Any] = _plain(payload)
        except TypeError as exc:
            raise _BadResponse(f"response is not JSON: {exc}") from None
        validate_response(action, plain)
        return plain

    async def _run_after(
        self, after: AfterHook, request: Any, response: Any, action: str, uid: str
    ) -> None:
        try:
            result = after(request, response)
            if inspect.isawaitable(result):
                await result
        except EndpointClosed:
            self._log(logging.INFO, "after-hook stopped: closed", action=action, unique_id=uid)
        except Exception:
            self._log(
                logging.ERROR, "after-hook failed", exc_info=True, action=action, unique_id=uid
            )

    async def _reply_error(self, uid: str, err: OcppError, action: str | None) -> None:
        try:
            text = encode(CallErrorFrame(uid, err.code, err.description, err.details))
        except TypeError:  # details a handler filled with something JSON cannot hold
            text = encode(CallErrorFrame(uid, err.code, err.description, {}))
        await self._send_reply(text, action, uid)

    async def _send_reply(self, text: str, action: str | None, uid: str) -> bool:
        try:
            await self._send(text)
        except Exception as exc:
            self._log(
                logging.WARNING,
                "answer not sent",
                action=action,
                unique_id=uid,
                reason=type(exc).__name__,
            )
            return False
        return True

    # --- outbound CALLs ------------------------------------------------------------------------

    async def call(
        self,
        request: Any,
        *,
        # The timeout is part of the protocol (answer within N s, on the injected clock), not
        # a cancel scope around the whole call: waiting for the lock does not count.
        timeout: float | None = None,  # noqa: ASYNC109, RUF100
        unique_id: str | None = None,
    ) -> Any:
        """Send an `ocpp.v16.call.<Action>` dataclass; return the `call_result.<Action>`.

        Raises as `call_raw` does, and TypeError for anything but an `ocpp.v16.call` dataclass.
        """
        action = type(request).__name__
        if getattr(ocpp_call, action, None) is not type(request):
            raise TypeError(f"expected an ocpp.v16.call dataclass, got {type(request)!r}")
        payload = snake_to_camel_case(remove_nones(serialize_as_dict(request)))
        answer = await self.call_raw(action, payload, timeout=timeout, unique_id=unique_id)
        return getattr(ocpp_call_result, action)(**camel_to_snake_case(answer))

    async def call_raw(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109, RUF100 (see call())
        unique_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a CALL with a camelCase payload; return the validated CALLRESULT payload.

        Before sending: an unknown action raises NotImplementedAction, one this role does not
        send raises NotSupported, an invalid payload raises the schema's OcppError (nothing is
        sent). Waits for the lock (one outstanding CALL), then `timeout` seconds (default: the
        endpoint's) for the answer. Raises `CallError` (CALLERROR), `InvalidResponse` (CALLRESULT
        failed validation), `CallTimeout` (no answer in time; a late answer is ignored) or
        `EndpointClosed`. `unique_id` (1 to 36 characters) resends a message under its old id.
        """
        if self._closed:
            raise EndpointClosed(f"{action}: endpoint is closed")
        if action not in ACTIONS:
            raise NotImplementedAction(f"unknown action {_short(action)!r}")
        if action not in self._sends:
            raise NotSupported(f"a {self.role} does not send {action}")
        return await self.call_prepared(
            prepare_call(action, payload), timeout=timeout, unique_id=unique_id
        )

    async def call_prepared(
        self,
        prepared: PreparedCall,
        *,
        timeout: float | None = None,  # noqa: ASYNC109, RUF100 (see call())
        unique_id: str | None = None,
    ) -> dict[str, Any]:
        """`call_raw` for a payload validated and encoded once by `prepare_call`."""
        action = prepared.action
        if self._closed:
            raise EndpointClosed(f"{action}: endpoint is closed")
        if action not in self._sends:
            raise NotSupported(f"a {self.role} does not send {action}")
        uid = self._id_factory() if unique_id is None else unique_id
        if not (valid_unique_id(uid) and uid):
            raise ValueError(f"unique id must be a string of 1 to 36 characters, not {uid!r}")
        text = f'[{CALL},{dumps(uid)},"{action}",{prepared.body}]'
        wait = self._timeout if timeout is None else timeout

        async with self._call_lock:
            if self._closed:
                raise EndpointClosed(f"{action}: endpoint is closed")
            future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending[uid] = _Pending(action, future)
            try:
                try:
                    await self._send(text)
                except _CLOSED as exc:
                    raise EndpointClosed(f"{action}: connection closed") from exc
                answer = await self._wait(future, wait, action, uid)
            finally:
                self._pending.pop(uid, None)

        if isinstance(answer, CallErrorFrame):
            self._log(
                logging.INFO, "CALLERROR received", action=action, unique_id=uid, code=answer.code
            )
            raise CallError(answer.code, answer.description, answer.details, action, uid)
        assert isinstance(answer, CallResult)
        try:
            validate_response(action, answer.payload)
        except OcppError as err:
            self._log(
                logging.WARNING,
                "invalid CALLRESULT",
                action=action,
                unique_id=uid,
                code=err.code,
                reason=err.description,
            )
            raise InvalidResponse(action, err, uid) from err
        return answer.payload

    async def _wait(
        self, future: asyncio.Future[Frame], seconds: float, action: str, uid: str
    ) -> Frame:
        try:
            if self._sleep is None:
                return await asyncio.wait_for(future, seconds)
            sleeper = asyncio.ensure_future(self._sleep(seconds))
            try:
                await asyncio.wait((future, sleeper), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
            if future.done():
                return future.result()
            if not sleeper.cancelled() and (failure := sleeper.exception()) is not None:
                raise failure  # the injected sleep itself failed: not a timeout
            raise TimeoutError
        except TimeoutError:
            self._expired.append(uid)
            self._log(
                logging.WARNING, "CALL timed out", action=action, unique_id=uid, timeout=seconds
            )
            raise CallTimeout(action, uid, seconds) from None

    # --- closing -------------------------------------------------------------------------------

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

    # --- plumbing ------------------------------------------------------------------------------

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
