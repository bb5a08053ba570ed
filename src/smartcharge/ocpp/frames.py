"""OCPP-J 1.6 frames: the three JSON arrays that travel over the websocket.

    CALL        [2, "<uniqueId>", "<Action>", {payload}]
    CALLRESULT  [3, "<uniqueId>", {payload}]
    CALLERROR   [4, "<uniqueId>", "<errorCode>", "<errorDescription>", {errorDetails}]

`parse` checks the shape strictly (arity, element types, unique id of at most 36 characters) and
nothing else: whether the action exists and the payload fits its schema is `schemas`' job.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any

import orjson

from smartcharge.ocpp.errors import FrameError

CALL = 2
CALLRESULT = 3
CALLERROR = 4
MAX_UNIQUE_ID_LENGTH = 36


@dataclass(frozen=True, slots=True)
class Call:
    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallErrorFrame:
    unique_id: str
    code: str
    description: str
    details: dict[str, Any]


Frame = Call | CallResult | CallErrorFrame


def valid_unique_id(value: object) -> bool:
    """True for a string of at most 36 characters (the spec sets no lower bound)."""
    return type(value) is str and len(value) <= MAX_UNIQUE_ID_LENGTH


def parse(raw: str | bytes) -> Frame:
    """Decode one websocket message into a frame, or raise `FrameError` (a FormationViolation).

    The error's `unique_id` is the frame's id when it could be read, else "-1"; its
    `message_type_id` tells a malformed CALLRESULT/CALLERROR (3/4, to be ignored) from a bad CALL.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FrameError("frame is not valid JSON") from None
    if type(data) is not list:
        raise FrameError("frame is not a JSON array")
    if not data:
        raise FrameError("frame is an empty array")

    type_id = data[0]
    unique_id = data[1] if len(data) > 1 and valid_unique_id(data[1]) else "-1"
    if type(type_id) is not int:
        raise FrameError("message type id is not an integer", unique_id=unique_id)

    def fail(description: str) -> FrameError:
        return FrameError(description, unique_id=unique_id, message_type_id=type_id)

    if type_id == CALL:
        arity = 4
    elif type_id == CALLRESULT:
        arity = 3
    elif type_id == CALLERROR:
        arity = 5
    else:
        raise fail(f"unknown message type id {type_id}")
    if len(data) != arity:
        raise fail(f"message type {type_id} needs {arity} elements, got {len(data)}")
    if type(data[1]) is not str:
        raise fail("unique id is not a string")
    if len(data[1]) > MAX_UNIQUE_ID_LENGTH:
        raise fail(f"unique id is longer than {MAX_UNIQUE_ID_LENGTH} characters")

    if type_id == CALL:
        if type(data[2]) is not str:
            raise fail("action is not a string")
        if type(data[3]) is not dict:
            raise fail("payload is not a JSON object")
        return Call(data[1], data[2], data[3])
    if type_id == CALLRESULT:
        if type(data[2]) is not dict:
            raise fail("payload is not a JSON object")
        return CallResult(data[1], data[2])
    if type(data[2]) is not str:
        raise fail("error code is not a string")
    if type(data[3]) is not str:
        raise fail("error description is not a string")
    if type(data[4]) is not dict:
        raise fail("error details is not a JSON object")
    return CallErrorFrame(data[1], data[2], data[3], data[4])


def encode(frame: Frame) -> str:
    """The frame as JSON text (orjson; Decimal values are written as numbers)."""
    if isinstance(frame, Call):
        data: list[Any] = [CALL, frame.unique_id, frame.action, frame.payload]
    elif isinstance(frame, CallResult):
        data = [CALLRESULT, frame.unique_id, frame.payload]
    else:
        data = [CALLERROR, frame.unique_id, frame.code, frame.description, frame.details]
    return dumps(data)


def dumps(value: Any) -> str:
    """`value` as JSON text; raises TypeError for what JSON cannot hold (2**64, sets, objects).

    orjson writes a float NaN or infinity as `null`; the schemas then reject it as a non-number.
    """
    try:
        return orjson.dumps(value, default=_default).decode()
    except orjson.JSONEncodeError as exc:
        raise TypeError(str(exc)) from None


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise TypeError("non-finite Decimal is not JSON")
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
