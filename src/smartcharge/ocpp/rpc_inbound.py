"""Answering the peer's CALLs: one worker, in arrival order; the request checked against the
schema before a handler sees it, the handler's answer checked before it is sent, after-hooks
run once the CALLRESULT is out. Any fault becomes a CALLERROR or a log line."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.v16 import call as ocpp_call
from ocpp.v16 import call_result as ocpp_call_result

from smartcharge.ocpp.errors import (
    EndpointClosed,
    InternalError,
    NotImplementedAction,
    NotSupported,
    OcppError,
)
from smartcharge.ocpp.frames import (
    Call,
    CallErrorFrame,
    CallResult,
    encode,
)
from smartcharge.ocpp.rpc_state import (
    AfterHook,
    EndpointState,
    _plain,
    _Reject,
    _Route,
    _short,
    log,
)
from smartcharge.ocpp.schemas import (
    ACTIONS,
    validate_request,
    validate_response,
)


class _BadResponse(Exception):
    """A handler returned something that cannot be sent as the CALLRESULT."""


class InboundCalls(EndpointState):
    """The endpoint's answering half (see the module)."""

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
