"""The load generator's chargers: lean OCPP-J clients on raw asyncio protocols.

On a 2-core machine the generator competes with the server it measures, so each simulated
charger costs as little as it can: no websockets library, no task per charger, no JSON parsing of
the answers it does not need. One `LeanCharger` is an `asyncio.Protocol` that does the
RFC 6455 client handshake itself and then writes pre-built frames (masked with an all-zero key,
which RFC 6455 allows a non-browser client: the payload goes out as it is, no XOR per byte) and
reads the server's unmasked text frames by their headers. A `Schedule` sends every charger's
MeterValues once a second from one timer for all of them (chargers spread over the second), and
records each answer's latency from the moment the message was due (a late answer or a backlog
counts: no coordinated omission).

Only what the bench needs: text frames, ping (answered with pong), close. Not a general client.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

_MASK = b"\0\0\0\0"


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One final, masked (all-zero key) client frame."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + struct.pack("!H", n)
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + struct.pack("!Q", n)
    return head + _MASK + payload


@dataclass
class Stats:
    measuring: bool = False
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    # How late the generator itself put due messages on the wire when nothing was outstanding
    # (its own lag, which the latencies include): if this grows, the generator is the bottleneck.
    send_lags: list[float] = field(default_factory=list)
    dsr_seen: int = 0


class LeanCharger(asyncio.Protocol):
    """One charger's connection. `call()` (setup) awaits an answer; the schedule uses `send()`
    and gets `on_answer(charger, frame_text)` for each answer."""

    def __init__(self, identity: str, authorization: str, host: str, path: str) -> None:
        self.identity = identity
        self._request = (
            f"GET {path}/{identity} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
            f"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
            f"Authorization: {authorization}\r\n\r\n"
        ).encode()
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._upgraded = False
        self._waiting: asyncio.Future[str] | None = None
        self.on_answer: Callable[[LeanCharger, bytes], None] | None = None
        self.stats: Stats | None = None
        self.n = 0
        self.tx = 0
        # Schedule state: when the outstanding message was due, and sends waiting for it.
        self.busy_since: float | None = None
        self.backlog: list[tuple[float, bytes]] = []
        self.closed = False

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"{self.identity}: closed before upgrade"))
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_exception(ConnectionError(f"{self.identity}: closed"))

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        if not self._upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.opened.set_exception(ConnectionError(f"{self.identity}: {status.decode()}"))
                assert self.transport is not None
                self.transport.close()
                return
            self._upgraded = True
            self.opened.set_result(None)
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n = b1 & 0x7F
            start = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = (buf[2] << 8) | buf[3]
                start = 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n = struct.unpack_from("!Q", buf, 2)[0]
                start = 10
            if len(buf) < start + n:
                return
            payload = bytes(buf[start : start + n])
            del buf[: start + n]
            opcode = b0 & 0x0F
            if opcode == 0x1:
                self._text(payload)
            elif opcode == 0x9:  # ping: pong with the same data
                self._write(frame(payload, 0xA))
            elif opcode == 0x8:  # close: answer it and let the server close the TCP connection
                self._write(frame(payload[:2], 0x8))

    # --- frames ---------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def _text(self, payload: bytes) -> None:
        kind = payload[1:2]
        if kind == b"2":  # a CALL from the server: the DSR event; always Accepted
            uid_end = payload.index(b'"', 4)
            self._write(frame(b'[3,"' + payload[4:uid_end] + b'",{"status":"Accepted"}]'))
            if self.stats is not None:
                self.stats.dsr_seen += 1
            return
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            if not waiting.done():
                waiting.set_result(payload.decode())
        elif self.on_answer is not None:
            self.on_answer(self, payload)

    def send(self, text: bytes) -> None:
        self._write(frame(text))

    async def call(self, action: str, payload_json: str) -> Any:
        """Send one CALL and wait for its answer (setup only: one at a time)."""
        self.n += 1
        self._waiting = asyncio.get_running_loop().create_future()
        self.send(f'[2,"{self.n}","{action}",{payload_json}]'.encode())
        answer = orjson.loads(await asyncio.wait_for(self._waiting, 120))
        if answer[0] == 4:
            raise RuntimeError(f"{action}: CALLERROR {answer[2]} {answer[3]}")
        return answer[2]

    async def setup(self) -> None:
        await self.call("BootNotification", '{"chargePointVendor":"bench","chargePointModel":"L"}')
        status = (
            '{"connectorId":1,"errorCode":"NoError","status":"Charging",'
            f'"timestamp":"{utc_stamp()}"}}'
        )
        await self.call("StatusNotification", status)
        start = f'{{"connectorId":1,"idTag":"BENCH","meterStart":0,"timestamp":"{utc_stamp()}"}}'
        self.tx = (await self.call("StartTransaction", start))["transactionId"]

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self._write(frame(struct.pack("!H", 1000), 0x8))
            self.transport.close()


async def open_charger(
    host: str, port: int, path: str, identity: str, authorization: str
) -> LeanCharger:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: LeanCharger(identity, authorization, f"{host}:{port}", path), host, port
    )
    await asyncio.wait_for(protocol.opened, 120)
    return protocol


def utc_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Schedule:
    """Every charger sends MeterValues once a second (charger i at `first + i/N + k`) and a
    Heartbeat every `heartbeat_every` s, one CALL outstanding per charger (OCPP): a message due
    while the previous one is unanswered waits for it, and its latency still counts from when
    it was due."""

    TICK = 0.005  # the timer's step: sends are at most this late

    def __init__(
        self, chargers: list[LeanCharger], stats: Stats, values: str, heartbeat_every: int
    ) -> None:
        self.chargers, self.stats, self.heartbeat_every = chargers, stats, heartbeat_every
        self._loop = asyncio.get_running_loop()
        # The sampledValue JSON around the energy register's value (`{e}` in `values`).
        before, after = values.split("{e}")
        self._heads = [
            f'"MeterValues",{{"connectorId":1,"transactionId":{ch.tx},'
            f'"meterValue":[{{"timestamp":"'.encode()
            for ch in chargers
        ]
        self._mid = f'","sampledValue":{before}'.encode()
        self._tail = f"{after}}}]}}]".encode()
        self._stamp_second = -1
        self._stamp = b""
        for ch in chargers:
            ch.on_answer = self._answered
            ch.stats = stats

    def _now_stamp(self) -> bytes:
        second = int(time.time())
        if second != self._stamp_second:
            self._stamp_second = second
            self._stamp = utc_stamp().encode()
        return self._stamp

    def _message(self, i: int, tick: int) -> bytes:
        ch = self.chargers[i]
        ch.n += 1
        return b"".join(
            (
                b'[2,"',
                str(ch.n).encode(),
                b'",',
                self._heads[i],
                self._now_stamp(),
                self._mid,
                str(tick * 3).encode(),
                self._tail,
            )
        )

    def _due(self, ch: LeanCharger, due: float, text: bytes) -> None:
        if ch.closed:
            return
        if ch.busy_since is None:
            ch.busy_since = due
            ch.send(text)
            if self.stats.measuring:
                self.stats.send_lags.append(self._loop.time() - due)
        else:
            ch.backlog.append((due, text))

    def _answered(self, ch: LeanCharger, payload: bytes) -> None:
        due = ch.busy_since
        ch.busy_since = None
        stats = self.stats
        if payload[1:2] == b"4":
            stats.errors += 1
        elif due is not None and stats.measuring:
            stats.answered += 1
            stats.latencies.append(self._loop.time() - due)
        if ch.backlog:
            due, text = ch.backlog.pop(0)
            ch.busy_since = due
            ch.send(text)

    async def run(self, first: float, until: float) -> None:
        n = len(self.chargers)
        heartbeat = self.heartbeat_every
        next_index = 0  # the next charger (of all seconds, as one sequence) to send
        while True:
            now = self._loop.time()
            while True:
                tick, i = divmod(next_index, n)
                due = first + tick + i / n
                if due > now:
                    break
                if due >= until:
                    return
                ch = self.chargers[i]
                self._due(ch, due, self._message(i, tick))
                if heartbeat and tick % heartbeat == heartbeat - 1:  # after that second's values
                    ch.n += 1
                    self._due(ch, due, f'[2,"{ch.n}","Heartbeat",{{}}]'.encode())
                next_index += 1
            await asyncio.sleep(min(self.TICK, max(0.0, due - now)))
