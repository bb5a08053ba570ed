"""AttemptedReplayAttacks: a CALL from the central system that reuses a message id.

OCPP-J 1.6 (section 4.1.3) says a CALL's message id "MUST be different from all message IDs
previously used by the same sender for any other CALL messages on the same WebSocket
connection". On one connection therefore:

- a CALL whose id was already used for a *different* CALL (another action or another payload)
  is a replay, or a forged message riding on an id the charger accepted: it is not executed, it
  is answered with a CALLERROR SecurityError, and AttemptedReplayAttacks is recorded;
- the *same* CALL again (same id, action and payload) is a resend (a central system that lost
  our answer): it is not executed a second time (a RemoteStartTransaction must not start two
  sessions); the answer already sent is sent again, or, while the first is still being handled,
  the resend is dropped (its answer is on the way under the same id).

Ids are remembered per connection (a new connection may reuse them: that is allowed) and only the
last MAX_IDS of them, with answers up to MAX_ANSWER_CHARS, so the memory stays bounded.

The guard sits between the websocket and the shared RPC endpoint (`smartcharge.ocpp.rpc`), as
its transport: the endpoint never sees a repeated CALL, and every answer it sends passes here.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import orjson

from smartcharge.ocpp.errors import FrameError
from smartcharge.ocpp.frames import (
    Call,
    CallErrorFrame,
    CallResult,
    encode,
    parse,
)

log = logging.getLogger("smartcharge.chargepoint.security")

MAX_IDS = 512
MAX_ANSWER_CHARS = 4096
_TOO_BIG = ""  # the answer was sent but is too large to keep


class Transport(Protocol):
    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self) -> None: ...


@dataclass
class _Seen:
    action: str
    fingerprint: bytes
    answer: str | None = None  # None: still being handled


def fingerprint(call: Call) -> bytes:
    """The CALL's content, independent of key order and whitespace."""
    body = orjson.dumps([call.action, call.payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).digest()


class ReplayGuard:
    """A transport for `RpcEndpoint` that filters repeated inbound CALLs (see the module)."""

    def __init__(
        self, transport: Transport, on_replay: Callable[[str], None], *, keep: int = MAX_IDS
    ) -> None:
        self._transport = transport
        self._on_replay = on_replay
        self._keep = keep
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._send_lock = asyncio.Lock()

    async def recv(self) -> str | bytes:
        while True:
            raw = await self._transport.recv()
            reply = self._screen(raw)
            if reply is False:
                return raw
            if reply is not True:
                await self._send(reply)  # not remembered: the first answer stays the answer

    async def send(self, message: str) -> None:
        self._remember_answer(message)
        await self._send(message)

    async def _send(self, message: str) -> None:
        async with self._send_lock:
            await self._transport.send(message)

    async def close(self) -> None:
        await self._transport.close()

    def _screen(self, raw: str | bytes) -> str | bool:
        """False: pass the frame on; True: drop it; a string: answer it with that frame."""
        try:
            frame = parse(raw)
        except FrameError:
            return False  # the endpoint answers malformed frames itself
        if not isinstance(frame, Call):
            return False
        uid = frame.unique_id
        seen = self._seen.get(uid)
        fp = fingerprint(frame)
        if seen is None:
            self._seen[uid] = _Seen(frame.action, fp)
            while len(self._seen) > self._keep:
                self._seen.popitem(last=False)
            return False
        if seen.fingerprint != fp:
            what = f"message id {uid!r} reused: {seen.action} before, now {frame.action[:40]}"
            log.warning("replayed message id refused unique_id=%r action=%r", uid, frame.action)
            self._on_replay(what)
            refusal = "message id already used on this connection"
            return encode(CallErrorFrame(uid, "SecurityError", refusal, {}))
        log.info("repeated CALL not executed again unique_id=%r action=%r", uid, seen.action)
        if seen.answer is None:
            return True  # the first one's answer will answer both
        if seen.answer == _TOO_BIG:
            return encode(
                CallErrorFrame(uid, "GenericError", "already answered; answer no longer held", {})
            )
        return seen.answer

    def _remember_answer(self, message: str) -> None:
        try:
            frame = parse(message)
        except FrameError:
            return
        if not isinstance(frame, CallResult | CallErrorFrame):
            return  # one of our own CALLs
        seen = self._seen.get(frame.unique_id)
        if seen is not None and seen.answer is None:
            seen.answer = message if len(message) <= MAX_ANSWER_CHARS else _TOO_BIG
