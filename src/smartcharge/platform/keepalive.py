"""Keepalive pings for the chargers that have gone quiet, not for every charger.

websockets' own keepalive pings every connection every `ping_interval` seconds whatever it
carries: at 5,000 chargers and 20 s, 250 pings a second, each a frame out, a pong in and a task
woken twice, for chargers most of which had just sent a message (bench/platform.md). A charger
whose message has just arrived is plainly there. So one sweep for all connections pings only
those from which nothing has come for `interval` seconds, and fails a connection (close code
1011, as websockets does) whose pong has not come `timeout` seconds later: a dead link is found
as soon as before (within `interval` + `timeout` + a quarter of `interval`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

log = logging.getLogger("smartcharge.platform.ocpp")


class Keepalive:
    def __init__(self, interval: float, timeout: float) -> None:
        if interval <= 0 or timeout <= 0:
            raise ValueError("interval and timeout must be positive")
        self.interval, self.timeout = interval, timeout
        self._heard: dict[ServerConnection, float] = {}  # when something last came from each
        self._names: dict[ServerConnection, str] = {}
        self._latest: dict[str, ServerConnection] = {}  # each name's newest connection
        self._probes: dict[ServerConnection, asyncio.Task[None]] = {}
        self.pinged: dict[str, int] = {}  # pings per connected charger (what a test can see)

    def add(self, ws: ServerConnection, name: str) -> None:
        self._names[ws] = name
        self._latest[name] = ws
        self.pinged[name] = 0
        self.heard(ws)

    def heard(self, ws: ServerConnection) -> None:
        """Something came from `ws` (called for every inbound message: keep it cheap)."""
        self._heard[ws] = asyncio.get_running_loop().time()

    def remove(self, ws: ServerConnection) -> None:
        self._heard.pop(ws, None)
        name = self._names.pop(ws, None)
        if name is not None and self._latest.get(name) is ws:  # not taken over meanwhile
            del self._latest[name], self.pinged[name]
        probe = self._probes.pop(ws, None)
        if probe is not None:
            probe.cancel()

    async def run(self) -> None:
        """Sweep every quarter of `interval` until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval / 4)
            quiet_since = loop.time() - self.interval
            for ws, heard in list(self._heard.items()):
                if heard <= quiet_since and ws not in self._probes:
                    self._probes[ws] = asyncio.create_task(self._probe(ws))

    async def _probe(self, ws: ServerConnection) -> None:
        try:
            pong = await ws.ping()
            name = self._names.get(ws)
            if name is not None:
                self.pinged[name] = self.pinged.get(name, 0) + 1
            async with asyncio.timeout(self.timeout):
                await pong
            if ws in self._heard:
                self.heard(ws)
        except ConnectionClosed:
            pass  # closing anyway: serve() sees it
        except TimeoutError:
            log.warning(
                "keepalive ping timeout, connection failed identity=%s timeout_s=%s",
                self._names.get(ws, "?"),
                self.timeout,
            )
            # As websockets' keepalive does: fail the connection, the reader then ends.
            with contextlib.suppress(ConnectionClosed):
                async with ws.send_context():
                    ws.protocol.fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
        finally:
            if self._probes.get(ws) is asyncio.current_task():
                del self._probes[ws]
