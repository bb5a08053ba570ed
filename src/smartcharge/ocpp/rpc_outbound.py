"""Our CALLs to the peer: at most one outstanding (OCPP-J), the payload checked before it is
sent, the answer checked when it comes, a timeout on the injected clock; `prepare_call` checks and
encodes a payload once for many peers (a DSR event to thousands of chargers)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.v16 import call as ocpp_call
from ocpp.v16 import call_result as ocpp_call_result

from smartcharge.ocpp.errors import (
    CallError,
    CallTimeout,
    EndpointClosed,
    FormationViolation,
    InvalidResponse,
    NotImplementedAction,
    NotSupported,
    OcppError,
)
from smartcharge.ocpp.frames import (
    CALL,
    CallErrorFrame,
    CallResult,
    Frame,
    dumps,
    valid_unique_id,
)
from smartcharge.ocpp.rpc_state import _CLOSED, EndpointState, _Pending, _short
from smartcharge.ocpp.schemas import (
    ACTIONS,
    validate_request,
    validate_response,
)


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


class OutboundCalls(EndpointState):
    """The endpoint's calling half (see the module)."""

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
