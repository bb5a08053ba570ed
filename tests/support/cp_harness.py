"""Running our charge point in-process on a fast simulated clock, against the independent
`ocpp`-package central system over a real loopback websocket (used by tests/e2e)."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from csms_peer import CentralSystemPeer

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.sim.clock import ManualClock

# On a manual clock, how long (real seconds) the network may take to deliver what one simulated
# second produced before the test gives up: generous, it is only a bound on a hang.
SETTLE_LIMIT_S = 30.0


@dataclass
class Running:
    app: ChargePointApp
    task: asyncio.Task[None]
    peer: CentralSystemPeer
    # Set when the charger runs on a manual clock: time moves only when the test advances it.
    manual: ManualClock | None = None

    @property
    def identity(self) -> str:
        return self.app.config.identity

    @property
    def hw(self) -> Any:
        """The simulated charger (behind its devices' wire protocols, where it is wired)."""
        return getattr(self.app.hardware, "world", self.app.hardware)

    async def call(self, request: Any) -> Any:
        return await self.peer.call(self.identity, request)

    def state(self, n: int) -> dict[str, Any]:
        assert self.app.station is not None
        return self.app.station.state()[n]

    async def until(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait for `predicate`. On a manual clock `timeout` is in simulated seconds: time is
        advanced a second at a time, and after each second everything the charger sends has
        been answered before the predicate is read again."""
        if self.manual is None:
            await self.peer.wait_for(predicate, timeout)
            return
        end = self.manual.monotonic() + timeout
        await self.settle()
        while not predicate():
            if self.manual.monotonic() >= end:
                raise AssertionError(f"not true within {timeout} simulated seconds")
            await self.manual.advance(1.0)
            await self.settle()

    async def advance(self, seconds: float) -> None:
        """Move the manual clock on by `seconds`, a second at a time, settling after each."""
        assert self.manual is not None, "advance() needs a charger on a manual clock"
        end = self.manual.monotonic() + seconds
        while self.manual.monotonic() < end:
            await self.manual.advance(min(1.0, end - self.manual.monotonic()))
            await self.settle()

    async def settle(self) -> None:
        """Until the charger has no CALL waiting for an answer: what a simulated second made
        the charger send has reached the central system and been answered."""
        async with asyncio.timeout(SETTLE_LIMIT_S):
            quiet = 0
            while quiet < 3:
                await asyncio.sleep(0)
                link = self.app.link
                endpoint = link.endpoint if link is not None else None
                if endpoint is not None and endpoint.calling:
                    quiet = 0
                    await asyncio.sleep(0.001)  # the answer is on its way over loopback
                else:
                    quiet += 1

    async def until_status(self, n: int, status: str, timeout: float = 20.0) -> None:
        await self.until(lambda: self.peer.status.get((self.identity, n)) == status, timeout)


MakeCP = Callable[..., Awaitable[Running]]


async def start_process(config: Path, stderr: Path, *args: str) -> asyncio.subprocess.Process:
    """`smartcharge chargepoint run --config CONFIG` as a real process; stderr goes to a file."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smartcharge",
        "chargepoint",
        "run",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr.open("ab"),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def control(port: int, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    """Call the simulator's control API of a charge point process, waiting for it to be up."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.request(method, f"http://127.0.0.1:{port}{path}", json=body) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"control API on {port} never answered {path}")


def write_process_config(
    path: Path, *, identity: str, url: str, data_dir: Path, control_port: int
) -> None:
    """A cp.toml for a charge point process: profile 0, the control API on `control_port`,
    the simulated clock at real time (a killed and restarted charger's clock keeps running),
    quick reconnects."""
    path.write_text(
        f"""identity = "{identity}"
csms_url = "{url}"
data_dir = "{data_dir}"

[security]
profile = 0

[simulator]
control = "127.0.0.1:{control_port}"
speed = 1

[ocpp]
reconnect_min_s = 0.5
reconnect_max_s = 2
call_timeout = 5
"""
    )


RESENDABLE = ("StartTransaction", "StopTransaction", "MeterValues", "SecurityEventNotification")


async def last_clean_run(
    config: Path, stderr: Path, db_path: Path, peer: Any, identity: str
) -> None:
    """Run the charger once more until its outbox is empty (after the kills of a crash test)."""
    import signal
    import sqlite3

    proc = await start_process(config, stderr)
    try:

        def drained() -> bool:
            with sqlite3.connect(db_path) as db:
                return db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0

        await peer.wait_for(lambda: identity in peer.connected, timeout=30)
        await peer.wait_for(drained, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
