"""Running our charge point in-process on a fast simulated clock, against the independent
`ocpp`-package central system over a real loopback websocket (used by tests/e2e)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csms_peer import CentralSystemPeer

from smartcharge.chargepoint.app import ChargePointApp


@dataclass
class Running:
    app: ChargePointApp
    task: asyncio.Task[None]
    peer: CentralSystemPeer

    @property
    def identity(self) -> str:
        return self.app.config.identity

    @property
    def hw(self) -> Any:
        return self.app.hardware

    async def call(self, request: Any) -> Any:
        return await self.peer.call(self.identity, request)

    def state(self, n: int) -> dict[str, Any]:
        assert self.app.station is not None
        return self.app.station.state()[n]

    async def until(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        await self.peer.wait_for(predicate, timeout)

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
